"""Eager use outside `fit`: vMF draws and the importance-sampled LL, timed.

Issue 13's target: the importance-sampled log-likelihood (K = 500) of the
10,000 MNIST test images takes at most 90 s on each backend on these CPUs.
On JAX every eager `sample()` used to trace and compile a new rejection
`while` loop; the loop is now compiled once per shape
(`keras_hsvae.ops.vmf._wood_loop`). This script times, in one process:

1. `VonMisesFisher(mu, kappa).sample((200,), seed=i)` for 100 mean
   directions in R^11 (kappa 50), called eagerly: the first call and the
   median of `--calls` more, with the loop as shipped (`ours`) and, as the
   baseline, the same loop uncompiled (`_wood_rounds`, the code before);
   the ratio is baseline / ours per call (1 on TensorFlow and PyTorch,
   where the two are one function).
2. `keras_hsvae.evaluation.importance_sampled_log_likelihood` of the preset
   `zoo/<--preset>` on the first `--examples` test images (binarized with
   `keras_hsvae.data.binarize(x, seed=0)`, as the zoo evaluates), K =
   `--samples`: wall time and value.

    python benchmarks/bench_eager_eval.py --backend jax

Writes `benchmarks/results/eager_eval_<backend>.json`.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND"))
    parser.add_argument("--preset", default="svae_mnist_d10")
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("KERAS_HSVAE_DATA")
        or str(ROOT.parent / "shared" / "datasets"),
    )
    return parser.parse_args()


ARGS = _args()
if ARGS.backend:
    # Keras reads the backend once, at import: set it first.
    os.environ["KERAS_BACKEND"] = ARGS.backend

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _common import environment, write  # noqa: E402

import keras_hsvae  # noqa: E402
from keras_hsvae import data  # noqa: E402
from keras_hsvae.distributions import VonMisesFisher  # noqa: E402
from keras_hsvae.evaluation import importance_sampled_log_likelihood  # noqa: E402
from keras_hsvae.ops import vmf  # noqa: E402


def _sample_calls(loop):
    """First-call and median later-call seconds of an eager vMF draw."""
    vmf._wood_loop = loop
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(100, 11)).astype("float32")
    mu /= np.linalg.norm(mu, axis=-1, keepdims=True)
    q = VonMisesFisher(mu, np.full((100,), 50.0, "float32"))
    times = []
    for i in range(ARGS.calls + 1):
        start = time.perf_counter()
        np.asarray(q.sample((200,), seed=i))
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def main():
    shipped = vmf._wood_loop
    base_first, base_call = _sample_calls(vmf._wood_rounds)
    ours_first, ours_call = _sample_calls(shipped)
    vmf._wood_loop = shipped

    model = keras_hsvae.from_preset(str(ROOT / "zoo" / ARGS.preset))
    x = data.load("mnist", "test", data_dir=ARGS.data_dir, as_numpy=True)
    x = data.binarize(x, seed=data.TEST_BINARIZATION_SEED)[: ARGS.examples]
    start = time.perf_counter()
    ll = importance_sampled_log_likelihood(model, x, num_samples=ARGS.samples)
    ll_seconds = time.perf_counter() - start
    load = os.getloadavg()
    payload = {
        "backend": environment()["backend"],
        "environment": environment(),
        "settings": {**vars(ARGS), "sample_shape": [200, 100, 11], "kappa": 50.0},
        "sample": {
            "baseline_first_s": base_first,
            "baseline_call_s": base_call,
            "ours_first_s": ours_first,
            "ours_call_s": ours_call,
            "call_ratio": base_call / ours_call,
        },
        "log_likelihood": {
            "preset": ARGS.preset,
            "examples": int(x.shape[0]),
            "num_samples": ARGS.samples,
            "value": ll,
            "seconds": ll_seconds,
        },
        "load_average_1_5_15_after": list(load),
    }
    print(payload["sample"], payload["log_likelihood"])
    write(f"eager_eval_{payload['backend']}", payload)


if __name__ == "__main__":
    main()
