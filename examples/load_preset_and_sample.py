"""Load the built-in MNIST S-VAE preset, embed test digits, sample, fine-tune.

    python examples/load_preset_and_sample.py                # full test split
    python examples/load_preset_and_sample.py --quick        # a few images
    python examples/load_preset_and_sample.py --preset path/to/preset_folder

Binarized MNIST comes from `keras_hsvae.data.load` (`--data-dir`, else
`$KERAS_HSVAE_DATA`, else tensorflow-datasets). With `--quick`, when the data
or the preset folder is not available offline, random binary images and an
untrained model of the same architecture stand in, so the script still runs.
"""

import argparse

import keras
import numpy as np

from keras_hsvae import data, presets, training


def load_model(preset, quick):
    try:
        return presets.load_preset(preset)
    except ValueError:
        if not quick:
            raise
        print(f"Preset {preset!r} unavailable; using an untrained model.")
        return training.build_model("svae", (28, 28, 1), 10, seed=0)


def load_images(quick, data_dir):
    try:
        x = data.load(
            "binarized_mnist", "test", data_dir=data_dir, as_numpy=True, download=False
        )
    except data.DatasetNotFoundError:
        if not quick:
            raise
        print("Binarized MNIST not found; random binary images stand in.")
        x = np.random.default_rng(0).random((64, 28, 28, 1)) > 0.87
    x = np.asarray(x, "float32")
    return x[:64] if quick else x


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="svae_mnist_10d")
    parser.add_argument("--quick", action="store_true", help="a few images only")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    print(presets.format_table(presets.list_presets()))
    model = load_model(args.preset, args.quick)
    x = load_images(args.quick, args.data_dir)

    # Latent codes on the unit sphere S^9, and their reconstructions.
    z = keras.ops.convert_to_numpy(model.embed(x))
    p = np.clip(keras.ops.convert_to_numpy(model.reconstruct(x)), 1e-7, 1 - 1e-7)
    nll = -(x * np.log(p) + (1 - x) * np.log1p(-p)).reshape(len(x), -1).sum(-1)
    print(
        f"{len(x)} images: |z| in [{np.linalg.norm(z, axis=-1).min():.6f}, "
        f"{np.linalg.norm(z, axis=-1).max():.6f}], reconstruction "
        f"-log p(x|z) = {nll.mean():.2f} nats"
    )

    # Samples from the uniform prior, as ASCII art.
    samples = keras.ops.convert_to_numpy(model.generate(3, seed=0))
    for image in samples:
        print(
            "\n".join(
                "".join("#" if v > 0.5 else "." for v in row[::2])
                for row in image[::2, :, 0]
            )
        )
        print()

    # Fine-tune a little on the loaded images (e.g. another binarization).
    model.compile(optimizer=keras.optimizers.Adam(1e-4))
    history = model.fit(x, epochs=1, batch_size=32, verbose=0)
    print(f"fine-tuned one epoch: loss {history.history['loss'][-1]:.2f}")
    return history


if __name__ == "__main__":
    main()
