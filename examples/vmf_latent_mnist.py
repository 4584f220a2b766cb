"""Train a small S-VAE-style autoencoder on MNIST with the vMF latent layer.

    python examples/vmf_latent_mnist.py            # 2 epochs on MNIST
    python examples/vmf_latent_mnist.py --quick    # a few steps (used by tests)

MNIST comes from `keras_hsvae.data.load` (a local copy via KERAS_HSVAE_DATA or
data_dir, else tensorflow-datasets); with `--quick` and no copy available,
random binary images stand in so the script still runs offline.
"""

import argparse

import keras
import numpy as np

from keras_hsvae import data, layers


def build(latent_dim=10, beta=1.0, seed=0):
    """784-256-128-m encoder, vMF latent on S^{m-1}, mirrored Bernoulli decoder."""
    inputs = keras.Input((28, 28, 1))
    h = keras.layers.Flatten()(inputs)
    h = keras.layers.Dense(256, activation="relu")(h)
    h = keras.layers.Dense(128, activation="relu")(h)
    z = layers.VonMisesFisherPosterior(dim=latent_dim, beta=beta, seed=seed)(h)
    h = keras.layers.Dense(128, activation="relu")(z)
    h = keras.layers.Dense(256, activation="relu")(h)
    logits = keras.layers.Dense(784)(h)
    outputs = keras.layers.Reshape((28, 28, 1))(logits)
    return keras.Model(inputs, outputs)


def load_images(quick, data_dir=None):
    try:
        x = data.load(
            "mnist", "train", data_dir=data_dir, as_numpy=True, download=not quick
        )
        return (x > 0.5).astype("float32")  # binarized once, as a simple demo
    except data.DatasetNotFoundError:
        if not quick:
            raise
        rng = np.random.default_rng(0)
        return (rng.random((256, 28, 28, 1)) > 0.87).astype("float32")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only")
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    x = load_images(args.quick, args.data_dir)
    if args.quick:
        x = x[:256]
    model = build(args.latent_dim)
    # Bernoulli likelihood: binary cross-entropy on logits, summed over pixels.
    bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction="sum")

    def reconstruction(y_true, y_pred):
        return bce(y_true, y_pred) / keras.ops.cast(
            keras.ops.shape(y_true)[0], "float32"
        )

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=reconstruction)
    history = model.fit(
        x, x, epochs=1 if args.quick else args.epochs, batch_size=64, verbose=2
    )
    print(f"final loss (reconstruction + KL): {history.history['loss'][-1]:.2f}")
    return history


if __name__ == "__main__":
    main()
