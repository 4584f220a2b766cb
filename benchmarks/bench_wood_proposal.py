"""Wood's proposal Beta(c, c): `sample_symmetric_beta` vs the previous draw.

The vMF rejection loop draws Beta(c, c) proposals, c = (m - 1) / 2, and needs
no gradient through them. The baseline is what the backend adapter used
before `sample_symmetric_beta`: on TensorFlow the reparameterized
`sample_beta_logit` (shape-boosted Marsaglia-Tsang, 8 proposals per Gamma),
on JAX `jax.random.beta`, on PyTorch `keras.random.beta` (still used there;
timed for comparison). Each draw is compiled (`tf.function`, `jax.jit`;
PyTorch eager) and timed as the median of repeated calls after warm-up; the
first call (trace and compile) is timed apart. Ratio = baseline / ours.

    KERAS_BACKEND=jax python benchmarks/bench_wood_proposal.py
"""

import os
import time

import keras
from _common import environment, median_time, write

from keras_hsvae.ops import beta as hbeta
from keras_hsvae.ops._backend_random import TensorSeedStream

SIZE = 100_000
CONCENTRATIONS = [0.5, 1.5, 4.5, 31.5, 255.5]  # m = 2, 4, 10, 64, 512


def _draws(c):
    """(ours, baseline) as callables of a seed, compiled where possible."""
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        @tf.function
        def ours(seed):
            return hbeta.sample_symmetric_beta((SIZE,), c, seed=TensorSeedStream(seed))

        @tf.function
        def baseline(seed):
            logit = hbeta.sample_beta_logit((SIZE,), c, c, seed=TensorSeedStream(seed))
            return tf.sigmoid(logit)

        return ours, baseline, lambda i: tf.constant([3, i], tf.int64)
    if name == "jax":
        import jax

        ours = jax.jit(
            lambda key: hbeta.sample_symmetric_beta(
                (SIZE,), c, seed=TensorSeedStream(key)
            )
        )
        baseline = jax.jit(lambda key: jax.random.beta(key, c, c, (SIZE,)))
        return ours, baseline, lambda i: jax.numpy.asarray([3, i], "uint32")

    def ours(seed):
        return hbeta.sample_symmetric_beta((SIZE,), c, seed=seed)

    def baseline(seed):
        return keras.random.beta((SIZE,), c, c, seed=seed)

    return ours, baseline, lambda i: i


def main():
    rows = []
    print(f"{'c':>6} {'ours ms':>9} {'base ms':>9} {'base/ours':>9} {'1st ours s':>10}")
    for c in CONCENTRATIONS:
        ours, baseline, seed = _draws(c)
        first = {}
        for label, fn in (("ours", ours), ("baseline", baseline)):
            start = time.perf_counter()
            keras.ops.convert_to_numpy(fn(seed(0)))
            first[label] = time.perf_counter() - start
        counter = iter(range(1, 10**6))

        def timed(fn, seed=seed, counter=counter):
            return median_time(
                lambda: keras.ops.convert_to_numpy(fn(seed(next(counter))))
            )

        t_ours, t_base = timed(ours), timed(baseline)
        rows.append(
            {
                "c": c,
                "m": int(2 * c + 1),
                "size": SIZE,
                "ours_s": t_ours,
                "baseline_s": t_base,
                "baseline_over_ours": t_base / t_ours,
                "first_call_ours_s": first["ours"],
                "first_call_baseline_s": first["baseline"],
            }
        )
        print(
            f"{c:>6g} {1e3 * t_ours:>9.2f} {1e3 * t_base:>9.2f} "
            f"{t_base / t_ours:>9.2f} {first['ours']:>10.2f}"
        )
    backend = keras.backend.backend()
    write(
        f"wood_proposal_{backend}",
        {
            "benchmark": "Beta(c, c) proposals: sample_symmetric_beta vs baseline",
            "environment": environment(),
            "load_average_1_5_15": list(os.getloadavg()),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
