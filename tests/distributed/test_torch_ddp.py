"""examples/distributed/torch_ddp.py: two gloo processes equal one process.

Two CPU processes under `DistributedDataParallel`, each on half of every
global batch, against one process on the whole global batch, same initial
weights, plain SGD. The SAE has no posterior noise, so the weights must agree
to float32 rounding: each process's loss is the mean over its half and DDP
averages the gradients, which equals the gradient of the mean over the whole
batch. Halving (a sum over processes) or doubling (a per-process sum) of the
gradient would show as a difference of the size of one SGD step.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE = EXAMPLES / "distributed" / "torch_ddp.py"
STEPS = 2


def _example():
    # Importable by name: the spawned processes unpickle `worker` from it
    # (spawn passes sys.path on to them).
    if str(EXAMPLE.parent) not in sys.path:
        sys.path.insert(0, str(EXAMPLE.parent))
    return importlib.import_module(EXAMPLE.stem)


def _arrays(path):
    with np.load(path) as f:
        weights = [f[f"arr_{i}"] for i in range(len(f.files) - 1)]
        return weights, f["losses"]


@pytest.mark.slow  # spawns two PyTorch processes (about a minute on 2 cores)
def test_two_processes_equal_one_process_on_the_global_batch(tmp_path):
    import keras

    if keras.backend.backend() != "torch":
        pytest.skip("DistributedDataParallel is the PyTorch backend's path")
    ddp = _example()
    paths = ddp.run("sae", steps=STEPS, world_size=2, out_dir=str(tmp_path))
    (w0, losses0), (w1, losses1) = (_arrays(p) for p in paths)

    model = ddp.build("sae")
    x = ddp.images(STEPS * ddp.GLOBAL_BATCH)
    start = [np.array(keras.ops.convert_to_numpy(w)) for w in model.weights]
    losses = ddp.train(model, model, x, STEPS, 0.05)
    single = [keras.ops.convert_to_numpy(w) for w in model.weights]

    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(single, start))
    assert moved > 1e-3  # the steps changed the weights
    for a, b, c in zip(w0, w1, single):
        np.testing.assert_array_equal(a, b)  # DDP keeps the ranks in step
        np.testing.assert_allclose(a, c, atol=1e-6, rtol=1e-5)
    # Each rank's first loss is the mean over its half: their mean is the
    # one-process loss of the first global batch.
    assert (losses0[0] + losses1[0]) / 2 == pytest.approx(losses[0], rel=1e-5)
