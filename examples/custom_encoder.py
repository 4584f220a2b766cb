"""Swap in your own encoder and decoder: an HSC-VAE with a custom conv encoder.

    python examples/custom_encoder.py            # Fashion-MNIST, 5 epochs
    python examples/custom_encoder.py --quick    # 512 images, 1 epoch

Any `keras.Model` from images to a feature vector can be the encoder, and any
`keras.Model` from the latent to images the decoder: the model adds its own
latent heads (`mu`, `sigma` for the HSC-VAE) on top of the encoder features.
After training, generation follows the HSC-VAE paper (001, section 4.4): fit a
vMF to the embeddings of held-out images and sample from it.

Fashion-MNIST comes from `keras_hsvae.data.load` (`--data-dir`, else
`$KERAS_HSVAE_DATA`, else tensorflow-datasets). With `--quick`, random images
stand in when it is not available offline.
"""

import argparse

import keras
import numpy as np

from keras_hsvae import data
from keras_hsvae.models import HSCVAE
from keras_hsvae.samplers import FittedVonMisesFisherSampler

LATENT_DIM = 32


def my_encoder():
    """A user's encoder: conv + batch norm blocks, then a feature vector."""
    inputs = keras.Input((28, 28, 1))
    h = inputs
    for filters in (32, 64):
        h = keras.layers.Conv2D(filters, 3, strides=2, padding="same")(h)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.Activation("gelu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, keras.layers.Dense(128, activation="gelu")(h))


def my_decoder(latent_dim):
    """A user's decoder: dense, then two transposed convs to 28x28x1 means."""
    inputs = keras.Input((latent_dim,))
    h = keras.layers.Dense(7 * 7 * 32, activation="gelu")(inputs)
    h = keras.layers.Reshape((7, 7, 32))(h)
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same")(h)
    h = keras.layers.Activation("gelu")(h)
    h = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same")(h)
    return keras.Model(inputs, keras.layers.Activation("sigmoid")(h))


def load_images(split, quick, data_dir):
    try:
        x = data.load(
            "fashion_mnist", split, data_dir=data_dir, as_numpy=True, download=False
        )
    except data.DatasetNotFoundError:
        if not quick:
            raise
        print(f"Fashion-MNIST {split} not found; random images stand in.")
        x = np.random.default_rng(0).random((512, 28, 28, 1)).astype("float32")
    return x[:512] if quick else x


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="512 images, 1 epoch")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)

    x_train = load_images("train", args.quick, args.data_dir)
    x_test = load_images("test", args.quick, args.data_dir)
    model = HSCVAE(
        my_encoder(),
        my_decoder(LATENT_DIM),
        LATENT_DIM,
        prior="compressed",
        beta=1.0,
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(
        x_train,
        epochs=1 if args.quick else args.epochs,
        batch_size=128,
        validation_data=(x_test,),
        verbose=2,
    )

    # Generation from a vMF fitted to held-out embeddings (radius sqrt(n)).
    model.sampler = FittedVonMisesFisherSampler().fit_model(model, x_test)
    sampler = model.sampler
    print(
        f"fitted vMF: concentration {float(sampler.concentration):.1f}, "
        f"radius {float(sampler.sample_radius):.3f} (sqrt(n) = {LATENT_DIM**0.5:.3f})"
    )
    samples = keras.ops.convert_to_numpy(model.generate(16, seed=0))
    print(f"16 samples of shape {samples.shape[1:]}, mean pixel {samples.mean():.3f}")
    return history


if __name__ == "__main__":
    main()
