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

Graph presets (dataset `cora`) hold, instead of `images`, the inputs of a
fixed 8-node subgraph of Cora (the first 8 nodes of a breadth-first search
from node 0): `features` (1, 8, F) and the normalized `adjacency` (1, 8, 8)
of `keras_hsvae.models.graph_inputs`; `embed` is then (1, 8, m) and
`decode_embed` (1, 8, 8) link probabilities.

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


def graph_golden_inputs(graph):
    """`graph_inputs` of the first 8 nodes of a breadth-first search from 0."""
    from keras_hsvae.models import graph_inputs

    adjacency = graph.adjacency
    order, frontier = [0], [0]
    while frontier and len(order) < NUM_IMAGES:
        node = frontier.pop(0)
        for neighbour in np.flatnonzero(adjacency[node]).tolist():
            if neighbour not in order and len(order) < NUM_IMAGES:
                order.append(neighbour)
                frontier.append(neighbour)
    nodes = np.array(order)
    return graph_inputs(graph.features[nodes], adjacency[np.ix_(nodes, nodes)])


def golden_outputs(model, images):
    """The recorded outputs of `model` on `images` (a dict of numpy arrays).

    `images` is an array, or for graph models the dict of `graph_inputs`.
    """
    from keras import ops

    if isinstance(images, dict):
        inputs = {key: np.asarray(value, "float32") for key, value in images.items()}
        images = inputs
    else:
        images = np.asarray(images, dtype="float32")
        inputs = {"images": images}
    embedded = ops.convert_to_numpy(model.embed(images))
    rng = np.random.default_rng(LATENT_SEED)
    directions = rng.standard_normal((NUM_LATENTS, embedded.shape[-1]))
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    radius = np.linalg.norm(embedded, axis=-1).mean()
    latents = (directions * radius).astype("float32")
    return {
        **inputs,
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
        dataset = presets.PRESETS[name]["dataset"]
        if dataset in ("cora", "citeseer", "pubmed"):
            images = graph_golden_inputs(data.load(dataset, data_dir=args.data_dir))
        else:
            images = data.load(
                dataset, "test", data_dir=args.data_dir, download=False, as_numpy=True
            )[:NUM_IMAGES]
        outputs = golden_outputs(model, images)
        source = f"{args.source} keras {keras.__version__} {keras.backend.backend()}"
        np.savez(target, source=np.array(source.strip()), **outputs)
        print(f"{name}: wrote {target} ({source.strip()})")


if __name__ == "__main__":
    main()
