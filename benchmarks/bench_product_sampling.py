"""Product of vMF shells: one joint rejection loop vs one loop per shell.

`ProductVonMisesFisher.sample` draws the cosines of all shells in one Wood
rejection loop (a column per shell); the baseline is what it did before:
each shell's own `VonMisesFisher.sample` (one loop per shell), concatenated.
Both are the same distribution; each call draws one sample per batch row
with random mean directions and concentrations, compiled (`tf.function`,
`jax.jit`; PyTorch eager), timed as the median of repeated calls after
warm-up; the first call (trace and compile) is timed apart.
Ratio = baseline / ours (above 1: the joint loop is faster).

    KERAS_BACKEND=jax python benchmarks/bench_product_sampling.py
"""

import os
import time

import keras
import numpy as np
from _common import environment, median_time, write

from keras_hsvae.distributions import ProductVonMisesFisher, VonMisesFisher

SHELLS = [[20, 21], [10, 10, 10, 11], [2, 3, 4, 5, 6, 7, 14]]
BATCHES = [64, 256]


def _inputs(dims, batch):
    rng = np.random.default_rng(0)
    mus = []
    for m in dims:
        mu = rng.normal(size=(batch, m))
        mus.append((mu / np.linalg.norm(mu, axis=1, keepdims=True)).astype("float32"))
    kappas = [rng.uniform(1.0, 200.0, size=batch).astype("float32") for _ in dims]
    return mus, kappas


def _product(mus, kappas):
    return ProductVonMisesFisher(
        [VonMisesFisher(mu, k, validate_args=False) for mu, k in zip(mus, kappas)]
    )


def ours(mus, kappas, seed):
    return _product(mus, kappas).sample(seed=seed)


def baseline(mus, kappas, seed):
    q = _product(mus, kappas)
    return keras.ops.concatenate([s.sample(seed=seed) for s in q.shells], axis=-1)


def _compiled(fn):
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        from keras_hsvae.ops._backend_random import TensorSeedStream

        traced = tf.function(lambda m, k, s: fn(m, k, TensorSeedStream(s)))
        return traced, lambda i: tf.constant([3, i], tf.int64)
    if name == "jax":
        import jax

        from keras_hsvae.ops._backend_random import TensorSeedStream

        jitted = jax.jit(lambda m, k, s: fn(m, k, TensorSeedStream(s)))
        return jitted, lambda i: jax.numpy.asarray([3, i], "uint32")
    return fn, lambda i: i


def main():
    rows = []
    print(f"{'shells':>24} {'batch':>5} {'ours ms':>9} {'base ms':>9} {'ratio':>6}")
    for dims in SHELLS:
        for batch in BATCHES:
            mus, kappas = _inputs(dims, batch)
            times, first = {}, {}
            for label, fn in (("ours", ours), ("baseline", baseline)):
                call, seed = _compiled(fn)
                start = time.perf_counter()
                keras.ops.convert_to_numpy(call(mus, kappas, seed(0)))
                first[label] = time.perf_counter() - start
                counter = iter(range(1, 10**6))
                times[label] = median_time(
                    lambda call=call, seed=seed, counter=counter, args=(mus, kappas): (
                        keras.ops.convert_to_numpy(call(*args, seed(next(counter))))
                    ),
                    repeats=15,
                )
            ratio = times["baseline"] / times["ours"]
            rows.append(
                {
                    "shell_dims": dims,
                    "batch": batch,
                    "ours_s": times["ours"],
                    "baseline_s": times["baseline"],
                    "baseline_over_ours": ratio,
                    "first_call_ours_s": first["ours"],
                    "first_call_baseline_s": first["baseline"],
                }
            )
            print(
                f"{str(dims):>24} {batch:>5} {1e3 * times['ours']:>9.2f} "
                f"{1e3 * times['baseline']:>9.2f} {ratio:>6.2f}"
            )
    backend = keras.backend.backend()
    write(
        f"product_sampling_{backend}",
        {
            "benchmark": "ProductVonMisesFisher.sample: joint loop vs per-shell",
            "environment": environment(),
            "load_average_1_5_15": list(os.getloadavg()),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
