"""Pluggable feature extractors for the Frechet distance (FID, self-FID).

A feature extractor is any callable `extractor(images) -> (n, f)` array with
a `name` attribute and (optionally) a `describe()` dict; the evaluation
report always states which one was used, since FIDs from different
extractors are not comparable.
"""

import json
import math
import os
from pathlib import Path

import keras
import numpy as np
from keras import ops

INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
DEFAULT_ZOO_DIR = Path(__file__).resolve().parents[2] / "zoo" / "fid_classifiers"
ZOO_ENV_VAR = "KERAS_HSVAE_FID_CLASSIFIERS"
# Datasets whose FID uses the classifier of another: the same images, binarized.
CLASSIFIER_OF_DATASET = {
    "binarized_mnist": "mnist",
    "dynamic_binarized_mnist": "mnist",
}


class FeatureExtractorUnavailableError(RuntimeError):
    """The requested feature extractor cannot be built here (missing weights)."""


def _check_batch_size(batch_size):
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise ValueError(
            f"`batch_size` must be an integer >= 1. Received: batch_size={batch_size!r}"
        )
    return batch_size


def _as_images(images, shape=None):
    images = np.asarray(images, dtype="float32")
    if shape is not None and images.shape[1:] != tuple(shape):
        if images.ndim >= 2 and math.prod(images.shape[1:]) == math.prod(shape):
            # Flat vectors of the right size (MLP models): restore the image shape.
            images = images.reshape((images.shape[0],) + tuple(shape))
        else:
            raise ValueError(
                f"Expected images of shape (n,) + {tuple(shape)} (or of the same "
                f"size). Received: images.shape={images.shape}"
            )
    return images


class InceptionFeatures:
    """Inception-v3 pool features (2048-d): the standard FID extractor.

    Uses `keras.applications.InceptionV3(include_top=False, pooling="avg")`
    with ImageNet weights read from a local file only: never downloads, so
    it cannot hang without network access. Images in [0, 1] with 1 or 3
    channels are resized (bilinear) to 299x299, grey images repeated over 3
    channels, and scaled to [-1, 1] as Inception expects.

    Note: FIDs computed here use Keras' port of the ImageNet weights, not the
    TF1 graph of the reference FID implementation; values are close to but
    not identical with published FIDs.

    Args:
        weights: path of the `*_notop.h5` weights, or None to look in the
            Keras cache (`$KERAS_HOME` or `~/.keras`, then `/tmp/.keras`,
            under `models/`).
        batch_size: images per forward pass.

    Raises:
        FeatureExtractorUnavailableError: no weights file was found.

    Example:

    >>> InceptionFeatures.cached_weights_path() is None or True
    True
    """

    name = "inception_v3_pool"

    def __init__(self, weights=None, batch_size=50):
        self.batch_size = _check_batch_size(batch_size)
        path = Path(weights) if weights is not None else self.cached_weights_path()
        if path is None or not path.is_file():
            raise FeatureExtractorUnavailableError(
                "Inception-v3 ImageNet weights are not available locally "
                f"({INCEPTION_WEIGHTS_FILE} not found; no download is attempted). "
                f"Received: weights={weights!r}"
            )
        self.weights = str(path)
        self.model = keras.applications.InceptionV3(
            include_top=False,
            weights=self.weights,
            input_shape=(299, 299, 3),
            pooling="avg",
        )

    @staticmethod
    def cached_weights_path():
        """Path of cached ImageNet no-top weights, or None when absent."""
        home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
        for root in (home, "/tmp/.keras"):
            path = Path(root).expanduser() / "models" / INCEPTION_WEIGHTS_FILE
            if path.is_file():
                return path
        return None

    @classmethod
    def is_available(cls):
        """Whether the weights can be had without network access."""
        return cls.cached_weights_path() is not None

    def _preprocess(self, batch):
        if batch.ndim == 3:
            batch = batch[..., None]
        if batch.ndim != 4 or batch.shape[-1] not in (1, 3):
            raise ValueError(
                "InceptionFeatures expects images (n, H, W, 1 or 3) in [0, 1]. "
                f"Received: images.shape={batch.shape}"
            )
        x = ops.convert_to_tensor(batch)
        if batch.shape[-1] == 1:
            x = ops.repeat(x, 3, axis=-1)
        x = ops.image.resize(x, (299, 299), interpolation="bilinear")
        return 2.0 * x - 1.0

    def __call__(self, images):
        images = _as_images(images)
        out = [
            ops.convert_to_numpy(
                self.model(self._preprocess(images[i : i + self.batch_size]))
            )
            for i in range(0, len(images), self.batch_size)
        ]
        return np.concatenate(out).astype("float64")

    def describe(self):
        return {"name": self.name, "kind": "inception_v3", "weights": self.weights}


class ClassifierFeatures:
    """Features from a layer of an in-domain classifier (FID substitute).

    Wraps a trained Keras classifier; features are the outputs of the layer
    named `layer_name` (default `"features"` if the model has one, else the
    penultimate layer). `from_zoo(dataset)` loads the classifier trained by
    `python -m keras_hsvae.evaluation.train_classifier`.

    Args:
        model: a functional or sequential `keras.Model`.
        layer_name: name of the feature layer, or None (see above).
        batch_size: images per forward pass.
        name: name reported in evaluation results.
        metadata: optional dict reported by `describe()`.

    Example:

    >>> import numpy as np
    >>> inputs = keras.Input((4,))
    >>> h = keras.layers.Dense(3, name="features")(inputs)
    >>> clf = keras.Model(inputs, keras.layers.Dense(2)(h))
    >>> ClassifierFeatures(clf)(np.zeros((5, 4))).shape
    (5, 3)
    """

    def __init__(
        self, model, layer_name=None, batch_size=500, name="classifier", metadata=None
    ):
        if not isinstance(model, keras.Model):
            raise ValueError(
                f"`model` must be a keras.Model. Received: model={model!r}"
            )
        self.batch_size = _check_batch_size(batch_size)
        if layer_name is None:
            names = [layer.name for layer in model.layers]
            layer_name = "features" if "features" in names else model.layers[-2].name
        try:
            layer = model.get_layer(layer_name)
        except ValueError as error:
            raise ValueError(
                f"`layer_name` must name a layer of the classifier. "
                f"Received: layer_name={layer_name!r}"
            ) from error
        self.layer_name = layer_name
        self.input_shape = tuple(model.inputs[0].shape[1:])
        # A single input (not a one-element list) matches how it is called.
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        self.feature_model = keras.Model(inputs, layer.output)
        self.name = name
        self.metadata = dict(metadata or {})

    @classmethod
    def from_zoo(cls, dataset, zoo_dir=None, **kwargs):
        """Load the committed classifier of `dataset` (e.g. `"mnist"`).

        Looks for `<dataset>/classifier.keras` (and `<dataset>/metadata.json`)
        in `zoo_dir` when given, else in each folder of
        `keras_hsvae.presets.fid_classifier_roots()`:
        `$KERAS_HSVAE_FID_CLASSIFIERS`, then `fid_classifiers/` of
        `$KERAS_HSVAE_ZOO`, of the repository's `zoo/` and of the installed
        `keras-hsvae-zoo` distribution (`pip install "keras-hsvae[zoo]"`).

        Raises:
            FeatureExtractorUnavailableError: no classifier for `dataset`.
        """
        from keras_hsvae.presets import fid_classifier_roots

        # Binarized MNIST is MNIST's digits: its models are scored with the
        # MNIST classifier (the report names it: `classifier:mnist`).
        dataset = CLASSIFIER_OF_DATASET.get(dataset, dataset)
        roots = [Path(zoo_dir)] if zoo_dir else fid_classifier_roots()
        found = [r / str(dataset) for r in roots]
        found = [f for f in found if (f / "classifier.keras").is_file()]
        if not found:
            raise FeatureExtractorUnavailableError(
                f"No FID classifier for dataset {dataset!r} under "
                f"{[os.fspath(r) for r in roots]}: pip install "
                '"keras-hsvae[zoo]" for the shipped ones, or train '
                "one with `python -m keras_hsvae.evaluation.train_classifier "
                f"--dataset {dataset}`. Received: dataset={dataset!r}"
            )
        folder = found[0]
        path = folder / "classifier.keras"
        metadata = {}
        if (folder / "metadata.json").is_file():
            metadata = json.loads((folder / "metadata.json").read_text())
        model = keras.saving.load_model(path, compile=False)
        metadata.update({"dataset": dataset, "path": str(path)})
        kwargs.setdefault("name", f"classifier:{dataset}")
        kwargs.setdefault("layer_name", metadata.get("feature_layer"))
        return cls(model, metadata=metadata, **kwargs)

    def __call__(self, images):
        images = _as_images(images, self.input_shape)
        out = [
            ops.convert_to_numpy(
                self.feature_model(images[i : i + self.batch_size], training=False)
            )
            for i in range(0, len(images), self.batch_size)
        ]
        out = np.concatenate(out).astype("float64")
        return out.reshape(len(images), -1)

    def describe(self):
        info = {"name": self.name, "kind": "in_domain_classifier"}
        info["layer"] = self.layer_name
        for key in ("dataset", "path", "test_accuracy"):
            if key in self.metadata:
                info[key] = self.metadata[key]
        return info


def describe_feature_extractor(extractor):
    """A JSON-serializable description of `extractor` (at least `"name"`)."""
    if hasattr(extractor, "describe"):
        return dict(extractor.describe())
    name = getattr(extractor, "name", None) or getattr(
        extractor, "__name__", type(extractor).__name__
    )
    return {"name": str(name), "kind": "custom"}


def get_feature_extractor(identifier=None, dataset=None):
    """Resolve a feature extractor.

    Args:
        identifier: `None` or `"auto"` (Inception-v3 when its weights are
            cached locally, else the zoo classifier of `dataset`),
            `"inception"`, `"classifier"` (zoo classifier of `dataset`),
            `"classifier:<dataset>"`, or a callable (returned as is).
        dataset: dataset name used by `"auto"` and `"classifier"`.

    Returns:
        A callable feature extractor.

    Raises:
        FeatureExtractorUnavailableError: nothing usable was found.
        ValueError: unknown identifier.

    Example:

    >>> f = lambda images: images.reshape(len(images), -1)
    >>> get_feature_extractor(f) is f
    True
    """
    if callable(identifier):
        return identifier
    if identifier in (None, "auto"):
        if InceptionFeatures.is_available():
            return InceptionFeatures()
        if dataset is None:
            raise FeatureExtractorUnavailableError(
                "No Inception-v3 weights cached and no dataset given to pick an "
                "in-domain classifier. Received: identifier=None, dataset=None"
            )
        return ClassifierFeatures.from_zoo(dataset)
    if identifier == "inception":
        return InceptionFeatures()
    if isinstance(identifier, str) and identifier.startswith("classifier"):
        name = identifier.partition(":")[2] or dataset
        if not name:
            raise ValueError(
                "`identifier='classifier'` needs a dataset. Received: dataset=None"
            )
        return ClassifierFeatures.from_zoo(name)
    raise ValueError(
        "`feature_extractor` must be None, 'auto', 'inception', 'classifier', "
        f"'classifier:<dataset>' or a callable. Received: {identifier!r}"
    )
