"""Record the golden outputs of the built-in presets into zoo/<name>/golden.npz.

    KERAS_BACKEND=tensorflow python zoo/make_golden.py              # missing ones
    python zoo/make_golden.py --only svae_mnist_10d --force        # overwrite

`tests/presets/test_preset_golden.py` loads every built-in preset on each backend and
compares its outputs with these files to 1e-5, so a refactor cannot change what
a shipped preset computes without failing a test. Each file holds:

- `images`: the first 8 test images of the preset's dataset (so the test needs
  no dataset);
- `embed`: `model.embed(images)`;
- `decode_embed`: `model.decode(model.embed(images))`;
- `latents`: 4 fixed latent vectors, random directions (numpy seed 20240901)
  scaled to the mean norm of `embed` (on the sphere for spherical models);
- `decode_latents`: `model.decode(latents)`;
- `source`: the code the outputs were computed with (a string).

Record a preset's golden file once, from the code that trained it, and never
regenerate it to make a failing test pass. The file of `svae_mnist_10d` was
computed from commit 721328e (before the model refactor of issue #8) with

    git archive 721328e | tar -x -C /tmp/headsrc
    KERAS_BACKEND=tensorflow PYTHONPATH=/tmp/headsrc python zoo/make_golden.py \
        --source 721328e

on TensorFlow; the test checks it on TensorFlow, JAX and PyTorch.
"""

import argparse
import os
from pathlib import Path

import numpy as np

ZOO = Path(__file__).resolve().parent
GOLDEN_FILE = "golden.npz"
NUM_IMAGES = 8
NUM_LATENTS = 4
LATENT_SEED = 20240901


def golden_outputs(model, images):
    """The recorded outputs of `model` on `images` (a dict of numpy arrays)."""
    from keras import ops

    images = np.asarray(images, dtype="float32")
    embedded = ops.convert_to_numpy(model.embed(images))
    rng = np.random.default_rng(LATENT_SEED)
    directions = rng.standard_normal((NUM_LATENTS, embedded.shape[-1]))
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    radius = np.linalg.norm(embedded, axis=-1).mean()
    latents = (directions * radius).astype("float32")
    return {
        "images": images,
        "embed": embedded,
        "decode_embed": ops.convert_to_numpy(model.decode(model.embed(images))),
        "latents": latents,
        "decode_latents": ops.convert_to_numpy(model.decode(latents)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="preset names (default: all)")
    parser.add_argument("--force", action="store_true", help="overwrite")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("KERAS_HSVAE_DATA")
        or str(ZOO.parent.parent / "shared" / "datasets"),
    )
    parser.add_argument("--source", default="", help="recorded as `source`")
    args = parser.parse_args()

    import keras

    from keras_hsvae import data, presets

    for name in args.only or sorted(presets.PRESETS):
        target = ZOO / name / GOLDEN_FILE
        if target.exists() and not args.force:
            print(f"{name}: {target} exists (use --force to overwrite)")
            continue
        model = presets.load_preset(os.fspath(ZOO / name))
        images = data.load(
            presets.PRESETS[name]["dataset"],
            "test",
            data_dir=args.data_dir,
            download=False,
            as_numpy=True,
        )[:NUM_IMAGES]
        outputs = golden_outputs(model, images)
        source = f"{args.source} keras {keras.__version__} {keras.backend.backend()}"
        np.savez(target, source=np.array(source.strip()), **outputs)
        print(f"{name}: wrote {target} ({source.strip()})")


if __name__ == "__main__":
    main()
