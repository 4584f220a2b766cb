"""Train the in-domain FID feature classifier of a dataset and save it.

Inception-v3's ImageNet weights cannot always be had (no network), and they
are a poor fit for 28x28 grey digits anyway; the usual substitute in the VAE
literature is a small classifier trained on the dataset itself, whose
penultimate layer (`"features"`, 128 units) gives the features of the Frechet
distance. This script trains one on the training split, reports its accuracy
on the test split and writes

    <output_dir>/<dataset>/classifier.keras
    <output_dir>/<dataset>/metadata.json

(`output_dir` defaults to `zoo/fid_classifiers` of the repository).
`keras_hsvae.evaluation.ClassifierFeatures.from_zoo(dataset)` loads them.

Usage:

    KERAS_HSVAE_DATA=/work/shared/datasets \
        python -m keras_hsvae.evaluation.train_classifier --dataset mnist
"""

import argparse
import json
import os
import time
from pathlib import Path

import keras

from keras_hsvae import data

DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parents[2] / "zoo" / "fid_classifiers"
SUPPORTED = ("mnist", "fashion_mnist")
FEATURE_LAYER = "features"


def build_classifier(input_shape=(28, 28, 1), num_classes=10, feature_units=128):
    """A small conv net whose layer `"features"` gives the FID features.

    Three stride-2 3x3 convolutions (32, 64, 64 filters), dropout, then
    `Dense(feature_units, relu, name="features")` and the softmax head; about
    0.2 M parameters (< 1 MB saved).

    Args:
        input_shape: image shape `(H, W, C)`.
        num_classes: number of classes.
        feature_units: width of the feature layer.

    Returns:
        An uncompiled functional `keras.Model`.

    Example:

    >>> model = build_classifier()
    >>> model.get_layer("features").output.shape
    (None, 128)
    """
    inputs = keras.Input(tuple(input_shape))
    h = inputs
    for filters in (32, 64, 64):
        h = keras.layers.Conv2D(
            filters, 3, strides=2, padding="same", activation="relu"
        )(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dropout(0.3)(h)
    h = keras.layers.Dense(feature_units, activation="relu", name=FEATURE_LAYER)(h)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="logits")(h)
    return keras.Model(inputs, outputs, name="fid_classifier")


def train(dataset, output_dir=DEFAULT_OUTPUT_DIR, epochs=5, batch_size=128, seed=0):
    """Train, evaluate and save the classifier of `dataset`; return the metadata."""
    if dataset not in SUPPORTED:
        raise ValueError(
            f"`dataset` must be one of {SUPPORTED}. Received: dataset={dataset!r}"
        )
    keras.utils.set_random_seed(seed)
    x_train, y_train = data.load(
        dataset, "train", with_labels=True, as_numpy=True, download=False
    )
    x_test, y_test = data.load(
        dataset, "test", with_labels=True, as_numpy=True, download=False
    )
    model = build_classifier(x_train.shape[1:], int(y_train.max()) + 1)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.time()
    model.fit(
        x_train, y_train, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=2
    )
    seconds = time.time() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    folder = Path(output_dir) / dataset
    folder.mkdir(parents=True, exist_ok=True)
    # Save an uncompiled copy: the Adam moments would triple the file size.
    inference_model = build_classifier(x_train.shape[1:], int(y_train.max()) + 1)
    inference_model.set_weights(model.get_weights())
    inference_model.save(folder / "classifier.keras")
    metadata = {
        "dataset": dataset,
        "purpose": "FID feature extractor (penultimate layer)",
        "feature_layer": FEATURE_LAYER,
        "feature_dim": int(model.get_layer(FEATURE_LAYER).output.shape[-1]),
        "test_accuracy": float(accuracy),
        "train_split": "train",
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "num_parameters": int(model.count_params()),
        "train_seconds": round(seconds, 1),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "script": "python -m keras_hsvae.evaluation.train_classifier",
    }
    with open(folder / "metadata.json", "w") as f:
        json.dump(metadata, f, indent=2)
        f.write("\n")
    return metadata


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist", choices=SUPPORTED)
    parser.add_argument("--output-dir", default=str(DEFAULT_OUTPUT_DIR))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not os.environ.get(data.ENV_VAR):
        print(f"note: ${data.ENV_VAR} is not set; looking for local copies fails.")
    metadata = train(
        args.dataset, args.output_dir, args.epochs, args.batch_size, args.seed
    )
    print(json.dumps(metadata, indent=2))


if __name__ == "__main__":
    main()
