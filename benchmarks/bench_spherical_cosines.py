"""Speed of `spherical_cosines` (O(B n)) against the papers' masked O(B n^2) form.

Both compute the radius and the n-1 angle cosines of a batch of B = 200
vectors, for n in {64, 200, 1000, 4096}, in float32, written in `keras.ops`
on the same backend and compiled the same way: `tf.function(jit_compile=True)`
(XLA) on TensorFlow, `jax.jit` on JAX; PyTorch runs eagerly (no compiler).

- `ours`: `keras_hsvae.ops.spherical.spherical_cosines`: tail sums by one
  reversed cumulative sum.
- `masked`: the papers' code (001 appendix A.2, `cart_to_cos_sph` plus the
  radius `r`), transcribed: an upper-triangular n x n mask expanded to every
  sample, `sum(x_j^2 * mask)` over the last axis, `+ 0.001` under the root.

At n = 4096 the masked form builds B x n x n floats (13.4 GB at B = 200), so
it is run over the batch in chunks of `chunk` samples (the largest divisor of
B whose B x n x n mask fits in `MASK_BUDGET_BYTES`), one compiled call per
chunk, all chunks of one batch in sequence. Its time is the measured total
for all B samples (nothing is extrapolated). `ours` always runs the whole
batch in one call.

Each time is the median of repeated calls after untimed warm-up calls (the
first of which compiles); a call ends when its result is on the host.

    KERAS_BACKEND=tensorflow python benchmarks/bench_spherical_cosines.py

Writes `benchmarks/results/spherical_cosines.json` (TensorFlow) or
`spherical_cosines_<backend>.json`.
"""

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _common import environment, write  # noqa: E402
from keras import ops  # noqa: E402

from keras_hsvae.ops.spherical import spherical_cosines  # noqa: E402

BATCH = 200
DIMS = (64, 200, 1000, 4096)
MASK_BUDGET_BYTES = 256 * 2**20  # per compiled call of the masked form


def masked_cosines(x):
    """The papers' O(B n^2) form (001, A.2), transcribed to `keras.ops`."""
    m, n = x.shape
    mask = ops.triu(ops.ones((n, n), x.dtype))
    mask = ops.broadcast_to(ops.expand_dims(mask, 0), (m, n, n))
    big_x = ops.broadcast_to(ops.expand_dims(x, 1), (m, n, n))
    denom = ops.sqrt(ops.sum(ops.square(big_x) * mask, axis=2) + 0.001)
    cosines = (x / denom)[:, : n - 1]
    return ops.sqrt(ops.sum(x * x, axis=-1)), cosines


def compile_fn(fn):
    """The backend's compiler: XLA on TensorFlow and JAX, eager on PyTorch."""
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True), "tf.function(jit_compile=True)"
    if name == "jax":
        import jax

        return jax.jit(fn), "jax.jit"
    return fn, "eager (no compilation)"


def to_host(out):
    """Wait for a result: copy one element of it to the host."""
    return ops.convert_to_numpy(out[0][:1])


def timed(fn, target_s=3.0, min_repeats=3, max_repeats=15, warmup=2):
    """Median wall time of `fn()`; repeats chosen to last about `target_s`."""
    start = time.perf_counter()
    fn()  # first call: compiles
    first = time.perf_counter() - start
    times = []
    for _ in range(warmup - 1):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    estimate = times[-1] if times else first
    repeats = int(min(max_repeats, max(min_repeats, target_s / max(estimate, 1e-6))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), repeats, first


def largest_chunk(batch, n, itemsize):
    """Largest divisor of `batch` whose chunk x n x n floats fit the budget."""
    limit = max(1, MASK_BUDGET_BYTES // (n * n * itemsize))
    return max(d for d in range(1, batch + 1) if batch % d == 0 and d <= limit)


def fit_line(xs, ys):
    """Least-squares slope and intercept of ys against xs."""
    slope, intercept = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return float(slope), float(intercept)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=list(DIMS))
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args()
    backend = keras.backend.backend()
    ours_fn, compiler = compile_fn(spherical_cosines)
    masked_fn, _ = compile_fn(masked_cosines)
    rows = []
    header = (
        f"{'n':>5} {'ours ms':>9} {'masked ms':>10} {'speed-up':>9} "
        f"{'chunk':>6} {'ours ns/(B n)':>14} {'masked ns/(B n^2)':>18} "
        f"{'max|d cos|':>11}"
    )
    print(f"backend={backend} compiler={compiler} batch={args.batch} float32")
    print(header)
    for n in args.dims:
        x_np = np.random.default_rng(n).normal(size=(args.batch, n)).astype("float32")
        x = ops.convert_to_tensor(x_np)
        chunk = largest_chunk(args.batch, n, 4)
        chunks = [x[i : i + chunk] for i in range(0, args.batch, chunk)]

        def run_ours(x=x):
            return to_host(ours_fn(x))

        def run_masked(chunks=chunks):
            for part in chunks:
                out = masked_fn(part)
            return to_host(out)

        t_ours, r_ours, first_ours = timed(run_ours)
        t_masked, r_masked, first_masked = timed(run_masked)
        # Accuracy aside: the masked form's +0.001 biases every cosine.
        diff = np.max(
            np.abs(
                ops.convert_to_numpy(ours_fn(chunks[0])[1])
                - ops.convert_to_numpy(masked_fn(chunks[0])[1])
            )
        )
        row = {
            "n": n,
            "ours_s": t_ours,
            "masked_s": t_masked,
            "speedup": t_masked / t_ours,
            "ours_ns_per_sample_dim": 1e9 * t_ours / (args.batch * n),
            "masked_ns_per_sample_dim2": 1e9 * t_masked / (args.batch * n * n),
            "masked_chunk": chunk,
            "masked_calls_per_batch": len(chunks),
            "masked_mask_bytes_per_call": chunk * n * n * 4,
            "masked_mask_bytes_full_batch": args.batch * n * n * 4,
            "repeats": {"ours": r_ours, "masked": r_masked},
            "first_call_s": {"ours": first_ours, "masked": first_masked},
            "max_abs_cosine_difference": float(diff),
        }
        rows.append(row)
        print(
            f"{n:>5} {1e3 * t_ours:>9.3f} {1e3 * t_masked:>10.2f} "
            f"{row['speedup']:>8.1f}x {chunk:>6} "
            f"{row['ours_ns_per_sample_dim']:>14.3f} "
            f"{row['masked_ns_per_sample_dim2']:>18.4f} {diff:>11.2e}"
        )

    ns = [r["n"] for r in rows]
    slope_ours, icpt_ours = fit_line(ns, [r["ours_s"] for r in rows])
    slope_masked, icpt_masked = fit_line(ns, [r["masked_s"] for r in rows])
    exponents = {}
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        for key in ("ours", "masked"):
            exponents[key] = math.log(b[f"{key}_s"] / a[f"{key}_s"]) / math.log(
                b["n"] / a["n"]
            )
    print(
        f"time-per-n slope (least squares, t = a + s n, batch {args.batch}): "
        f"ours s = {1e9 * slope_ours:.1f} ns per unit n "
        f"(a = {1e6 * icpt_ours:.1f} us); "
        f"masked s = {1e6 * slope_masked:.1f} us per unit n"
    )
    if exponents:
        print(
            f"growth exponent between n = {rows[-2]['n']} and {rows[-1]['n']} "
            f"(t ~ n^p): ours p = {exponents['ours']:.2f}, "
            f"masked p = {exponents['masked']:.2f}"
        )
    payload = {
        "benchmark": "spherical_cosines vs the papers' masked O(B n^2) form",
        "batch": args.batch,
        "dtype": "float32",
        "compiler": compiler,
        "timing": (
            "median wall time of repeated calls after warm-up (the first call "
            "compiles and is reported separately); a call ends when its result "
            "is on the host"
        ),
        "masked_method": (
            "001 appendix A.2 transcribed to keras.ops: triu(ones(n, n)) "
            "expanded to (B, n, n), x expanded to (B, n, n), "
            "sqrt(sum(x^2 * mask, axis=2) + 0.001), plus the radius; run over "
            f"the batch in chunks whose mask fits {MASK_BUDGET_BYTES} bytes, "
            "one compiled call per chunk, the time is the total for the full "
            "batch (not extrapolated)"
        ),
        "ours_method": "keras_hsvae.ops.spherical.spherical_cosines, full batch",
        "rows": rows,
        "linear_fit_seconds_vs_n": {
            "ours": {"slope_s_per_n": slope_ours, "intercept_s": icpt_ours},
            "masked": {"slope_s_per_n": slope_masked, "intercept_s": icpt_masked},
        },
        "growth_exponent_last_two_n": exponents,
        "environment": environment(),
    }
    if backend == "jax":
        import jax

        payload["environment"]["jax"] = jax.__version__
    elif backend == "torch":
        import torch

        payload["environment"]["torch"] = torch.__version__
    name = (
        "spherical_cosines"
        if backend == "tensorflow"
        else f"spherical_cosines_{backend}"
    )
    write(name, payload)


if __name__ == "__main__":
    main()
