"""Feature extractors without the zoo or ImageNet weights: tiny stand-ins.

The classifier zoo is a temporary folder holding a small saved classifier;
Inception-v3 is replaced by a stub network, so its file lookup, input
preprocessing, batching and description are checked without the 90 MB
weights.
"""

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_hsvae import evaluation
from keras_hsvae.evaluation import _features

WEIGHTS_FILE = _features.INCEPTION_WEIGHTS_FILE


def _dense_chain(names, widths=(3, 2, 2)):
    """Input (4,) -> Dense layers named `names`, with fixed random weights."""
    inputs = keras.Input((4,))
    h = inputs
    for name, width in zip(names, widths):
        h = keras.layers.Dense(width, name=name)(h)
    model = keras.Model(inputs, h)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    return model


def _affine(model, layer, x):
    kernel, bias = model.get_layer(layer).get_weights()
    return x @ kernel + bias


def test_default_feature_layer_is_named_features_wherever_it_is():
    # "features" is the first Dense layer, not the penultimate one.
    model = _dense_chain(["features", "middle", "logits"])
    x = np.random.default_rng(1).random((5, 4)).astype("float32")
    extractor = evaluation.ClassifierFeatures(model)
    assert extractor.layer_name == "features"
    np.testing.assert_allclose(
        extractor(x), _affine(model, "features", x), rtol=1e-5, atol=1e-6
    )


def test_images_of_another_size_are_refused():
    # (3, 4) images for a (4,) input: the trailing axis matches, the size not.
    extractor = evaluation.ClassifierFeatures(_dense_chain(["a", "b", "c"]))
    message = (
        "Expected images of shape (n,) + (4,) (or of the same size). "
        "Received: images.shape=(5, 3, 4)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        extractor(np.zeros((5, 3, 4)))


def test_zoo_classifier_uses_the_recorded_feature_layer(tmp_path, monkeypatch):
    # The metadata names "hidden"; without it the penultimate layer "middle"
    # would be used.
    model = _dense_chain(["hidden", "middle", "logits"])
    (tmp_path / "toy").mkdir()
    model.save(tmp_path / "toy" / "classifier.keras")
    metadata = {"feature_layer": "hidden", "test_accuracy": 0.5}
    (tmp_path / "toy" / "metadata.json").write_text(json.dumps(metadata))
    monkeypatch.setenv("KERAS_HSVAE_FID_CLASSIFIERS", str(tmp_path))
    extractor = evaluation.get_feature_extractor("classifier:toy")
    assert evaluation.describe_feature_extractor(extractor) == {
        "name": "classifier:toy",
        "kind": "in_domain_classifier",
        "layer": "hidden",
        "dataset": "toy",
        "path": str(tmp_path / "toy" / "classifier.keras"),
        "test_accuracy": 0.5,
    }
    x = np.random.default_rng(2).random((6, 4)).astype("float32")
    np.testing.assert_allclose(
        extractor(x), _affine(model, "hidden", x), rtol=1e-5, atol=1e-6
    )


def test_classifier_identifiers_and_their_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HSVAE_FID_CLASSIFIERS", str(tmp_path))
    # "classifier:<name>" looks up <name> (absent here), whatever `dataset` is.
    with pytest.raises(evaluation.FeatureExtractorUnavailableError, match="'absent'"):
        evaluation.get_feature_extractor("classifier:absent", dataset="other")
    message = "`identifier='classifier'` needs a dataset. Received: dataset=None"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        evaluation.get_feature_extractor("classifier")
    monkeypatch.setattr(
        evaluation.InceptionFeatures, "cached_weights_path", lambda: None
    )
    message = (
        "No Inception-v3 weights cached and no dataset given to pick an "
        "in-domain classifier. Received: identifier=None, dataset=None"
    )
    with pytest.raises(
        evaluation.FeatureExtractorUnavailableError, match=f"^{re.escape(message)}$"
    ):
        evaluation.get_feature_extractor(None)


def test_inception_weights_lookup(tmp_path, monkeypatch):
    # Without $KERAS_HOME: ~/.keras/models/.
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    cached = tmp_path / ".keras" / "models" / WEIGHTS_FILE
    cached.parent.mkdir(parents=True)
    cached.touch()
    assert evaluation.InceptionFeatures.cached_weights_path() == cached
    # $KERAS_HOME without the file: /tmp/.keras/models/ is the fallback (the
    # file system is not touched: `is_file` answers for that one path).
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    fallback = Path("/tmp/.keras/models") / WEIGHTS_FILE
    with monkeypatch.context() as m:
        m.setattr(Path, "is_file", lambda self: self == fallback)
        assert evaluation.InceptionFeatures.cached_weights_path() == fallback


def _stub_inception(calls):
    """Stands for `keras.applications.InceptionV3`: the centre pixel's channels
    (a float32 mean over 299 x 299 pixels would be off by 1e-4 on TF/JAX)."""

    def build(**kwargs):
        calls.append(kwargs)
        return lambda x: x[:, 149, 149, :]

    return build


def test_inception_preprocessing_batches_and_description(tmp_path, monkeypatch):
    weights = tmp_path / WEIGHTS_FILE
    weights.touch()
    calls = []
    monkeypatch.setattr(keras.applications, "InceptionV3", _stub_inception(calls))
    extractor = evaluation.InceptionFeatures(weights=weights, batch_size=2)
    assert calls == [
        {
            "include_top": False,
            "weights": str(weights),
            "input_shape": (299, 299, 3),
            "pooling": "avg",
        }
    ]
    assert extractor.describe() == {
        "name": "inception_v3_pool",
        "kind": "inception_v3",
        "weights": str(weights),
    }
    # Constant images stay constant when resized; [0, 1] -> [-1, 1] is 2c - 1,
    # and grey images (with or without a channel axis) fill all 3 channels.
    grey = np.broadcast_to(
        np.array([0.0, 0.25, 1.0], "float32")[:, None, None], (3, 5, 5)
    )
    for images in (grey, grey[..., None]):
        features = extractor(images)
        assert features.dtype == np.float64
        np.testing.assert_allclose(
            features, np.repeat(2.0 * grey[:, :1, 0] - 1.0, 3, axis=1), atol=1e-6
        )
    colour = np.broadcast_to(np.array([0.1, 0.5, 0.9], "float32"), (3, 4, 6, 3))
    np.testing.assert_allclose(
        extractor(colour), np.tile([-0.8, 0.0, 0.8], (3, 1)), atol=1e-6
    )
    message = (
        "InceptionFeatures expects images (n, H, W, 1 or 3) in [0, 1]. "
        "Received: images.shape=(2, 4, 4, 2)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        extractor(np.zeros((2, 4, 4, 2)))
