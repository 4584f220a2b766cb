"""`python -m keras_hsvae.evaluation.train_classifier` on tiny synthetic data."""

import json

import keras
import numpy as np
import pytest

from keras_hsvae.evaluation import train_classifier

# (8, 8, 1) images, 3 classes: three stride-2 3x3 convolutions take 8 -> 4 ->
# 2 -> 1 pixels, so the flattened features are the 64 channels. Parameters:
# 3*3*1*32+32 + 3*3*32*64+64 + 3*3*64*64+64 + 64*128+128 + 128*3+3.
NUM_PARAMETERS = 320 + 18496 + 36928 + 8320 + 387


def test_build_classifier_architecture():
    model = train_classifier.build_classifier((8, 8, 1), num_classes=3)
    assert model.name == "fid_classifier"
    assert model.count_params() == NUM_PARAMETERS == 64451
    assert model.output.shape == (None, 3)
    assert model.get_layer("features").output.shape == (None, 128)


def test_train_writes_the_classifier_and_its_metadata(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)

    def load(dataset, split, **kwargs):
        # Stands for the MNIST loader: 12 train / 6 test images, labels 0..2.
        n = 12 if split == "train" else 6
        return rng.random((n, 8, 8, 1)).astype("float32"), np.arange(n) % 3

    monkeypatch.setattr(train_classifier.data, "load", load)
    metadata = train_classifier.train("mnist", tmp_path, epochs=1, batch_size=4, seed=3)
    written = (tmp_path / "mnist" / "metadata.json").read_text()
    assert written.endswith("}\n")
    assert json.loads(written) == metadata
    assert {k: metadata[k] for k in metadata if k != "train_seconds"} == {
        "dataset": "mnist",
        "purpose": "FID feature extractor (penultimate layer)",
        "feature_layer": "features",
        "feature_dim": 128,
        "test_accuracy": metadata["test_accuracy"],
        "train_split": "train",
        "epochs": 1,
        "batch_size": 4,
        "seed": 3,
        "num_parameters": NUM_PARAMETERS,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "script": "python -m keras_hsvae.evaluation.train_classifier",
    }
    # Accuracy on 6 test images is a multiple of 1/6.
    assert round(6 * metadata["test_accuracy"], 5) in range(7)
    saved = keras.saving.load_model(tmp_path / "mnist" / "classifier.keras")
    assert saved.input.shape == (None, 8, 8, 1)
    assert saved.output.shape == (None, 3)


def test_main_command_line(monkeypatch, capsys):
    calls = []

    def train(*args):
        calls.append(args)
        return {"ok": True}

    monkeypatch.setattr(train_classifier, "train", train)
    train_classifier.main(["--output-dir", "out"])
    train_classifier.main(["--dataset", "fashion_mnist", "--epochs", "2"])
    assert calls[0] == ("mnist", "out", 5, 128, 0)
    assert calls[1][0] == "fashion_mnist" and calls[1][2:] == (2, 128, 0)
    assert capsys.readouterr().out.count('"ok": true') == 2
    with pytest.raises(SystemExit):
        train_classifier.main(["--dataset", "cifar10"])
