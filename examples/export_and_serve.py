"""Train an S-VAE, export it as a TensorFlow SavedModel, serve it without Keras.

    python examples/export_and_serve.py            # 2 epochs on MNIST
    python examples/export_and_serve.py --quick    # a few steps (used by tests)

Runs on any Keras backend: under JAX or PyTorch, `export_saved_model` writes
the SavedModel from a TensorFlow-backend child process. The artifact is then
served by a fresh Python process that imports TensorFlow only (imports of
`keras` and `keras_hsvae` are blocked there), and its outputs are compared
with the Keras model's. MNIST comes from `keras_hsvae.data.load`; with
`--quick` and no local copy, random binary images stand in.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import keras
import numpy as np

from keras_hsvae import data
from keras_hsvae.export import export_saved_model
from keras_hsvae.models import SVAE, mlp_decoder, mlp_encoder

# What a serving process runs: TensorFlow and numpy only.
SERVE = r"""
import json, sys
for name in ("keras", "keras_hsvae"):
    sys.modules[name] = None  # not needed to serve: make imports fail
import numpy as np
import tensorflow as tf

export_dir, images_path, out_path = sys.argv[1:4]
loaded = tf.saved_model.load(export_dir)
x = np.load(images_path)
out = {
    "embed": loaded.embed(x).numpy(),
    "reconstruct": loaded.reconstruct(x).numpy(),
    "generate": loaded.generate(4, 0).numpy(),
}
for key, value in loaded.encode(x).items():
    out["encode_" + key] = value.numpy()
np.savez(out_path, **out)
print(json.dumps({name: list(sig.structured_outputs)
                  for name, sig in loaded.signatures.items()}))
"""


def load_images(quick, data_dir=None):
    try:
        x = data.load(
            "mnist", "train", data_dir=data_dir, as_numpy=True, download=not quick
        )
        return (x > 0.5).astype("float32")
    except data.DatasetNotFoundError:
        if not quick:
            raise
        rng = np.random.default_rng(0)
        return (rng.random((256, 28, 28, 1)) > 0.87).astype("float32")


def serve(export_dir, images, workdir):
    """Run the SavedModel in a TensorFlow-only process; return its outputs."""
    images_path = os.path.join(workdir, "images.npy")
    out_path = os.path.join(workdir, "served.npz")
    np.save(images_path, images)
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    result = subprocess.run(
        [sys.executable, "-c", SERVE, export_dir, images_path, out_path],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    signatures = json.loads(result.stdout.strip().splitlines()[-1])
    return dict(np.load(out_path)), signatures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only")
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--export-dir", default=None, help="default: a temp dir")
    args = parser.parse_args(argv)

    x = load_images(args.quick, args.data_dir)
    hidden = (32,) if args.quick else (256, 128)
    if args.quick:
        x = x[:128]
    model = SVAE(
        mlp_encoder((28, 28, 1), hidden),
        mlp_decoder(args.latent_dim, (28, 28, 1), hidden[::-1]),
        args.latent_dim,
        posterior="power_spherical" if args.quick else "vmf",
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(
        x, epochs=1 if args.quick else args.epochs, batch_size=64, verbose=2
    )

    with tempfile.TemporaryDirectory() as workdir:
        export_dir = args.export_dir or os.path.join(workdir, "svae")
        export_saved_model(model, export_dir)
        print(f"exported to {export_dir} (backend {keras.backend.backend()})")
        served, signatures = serve(export_dir, x[:8], workdir)
    print("signatures and their outputs:", signatures)

    expected = {
        "embed": model.embed(x[:8]),
        "reconstruct": model.reconstruct(x[:8]),
    }
    for key, value in model.encode(x[:8]).items():
        expected["encode_" + key] = value
    for key, value in expected.items():
        error = np.max(np.abs(served[key] - keras.ops.convert_to_numpy(value)))
        print(f"{key:>24}: max |served - keras| = {error:.2e}")
        assert error < 1e-5, key
    print("generated images:", served["generate"].shape)
    return history


if __name__ == "__main__":
    main()
