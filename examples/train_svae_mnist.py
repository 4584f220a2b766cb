"""Train the S-VAE of Davidson et al. (2018) on binarized MNIST with `model.fit`.

    python examples/train_svae_mnist.py            # 20 epochs, latent S^9
    python examples/train_svae_mnist.py --quick    # 512 images, 1 epoch

The paper's setup: MLP encoder 784-256-128, vMF posterior and uniform prior on
S^{m-1} (here m = 10), mirrored decoder with a Bernoulli likelihood, the KL
weight warmed up linearly. Training logs the loss, the reconstruction term,
the KL and the mean concentration. MNIST comes from `keras_hsvae.data.load`
(`--data-dir`, else `$KERAS_HSVAE_DATA`, else tensorflow-datasets) and is
binarized afresh every epoch (`dynamic_binarized_mnist`); with `--quick`,
random binary images stand in when it is not available offline.
"""

import argparse

import keras
import numpy as np

from keras_hsvae import data
from keras_hsvae.callbacks import BetaSchedule
from keras_hsvae.models import SVAE, mlp_decoder, mlp_encoder


def load(split, quick, data_dir, batch_size):
    try:
        return data.load(
            "dynamic_binarized_mnist",
            split,
            data_dir=data_dir,
            download=False,
            batch_size=batch_size,
            shuffle=split == "train",
            seed=0,
        ).take(4 if quick else -1)
    except data.DatasetNotFoundError:
        if not quick:
            raise
        print(f"MNIST {split} not found; random binary images stand in.")
        rng = np.random.default_rng(0)
        return (rng.random((512, 28, 28, 1)) > 0.87).astype("float32")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 batches, 1 epoch")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)

    model = SVAE(
        mlp_encoder((28, 28, 1), hidden=(256, 128)),
        mlp_decoder(args.latent_dim, (28, 28, 1), hidden=(128, 256)),
        latent_dim=args.latent_dim,
        likelihood="bernoulli",
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    epochs = 1 if args.quick else args.epochs
    train = load("train", args.quick, args.data_dir, 128)
    test = load("test", args.quick, args.data_dir, 128)
    arrays = isinstance(train, np.ndarray)  # the offline stand-in
    history = model.fit(
        train,
        epochs=epochs,
        batch_size=128 if arrays else None,
        shuffle=arrays,  # the tf.data pipeline shuffles itself
        validation_data=(test,) if arrays else test,
        callbacks=[BetaSchedule("linear", start=0.0, end=1.0, epochs=max(epochs, 2))],
        verbose=2,
    )
    z = keras.ops.convert_to_numpy(model.embed(np.zeros((2, 28, 28, 1), "float32")))
    print(f"latent codes are unit vectors: |z| = {np.linalg.norm(z, axis=-1)}")
    return history


if __name__ == "__main__":
    main()
