"""vMF sampling throughput: keras_hsvae vs tfp.distributions.VonMisesFisher.

Both samplers run on the TensorFlow backend inside `tf.function` (graph mode,
no XLA: TFP's sampler is a `tf.while_loop` whose trip count depends on the
data), draw `BATCH` samples with one mean direction per sample, and are timed
as the median of repeated calls after warm-up. The ratio is
`time(TFP) / time(keras_hsvae)`: above 1 means keras_hsvae is faster.

    KERAS_BACKEND=tensorflow python benchmarks/bench_vmf_sampling.py
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402
from _common import environment, median_time, write  # noqa: E402

from keras_hsvae.distributions import VonMisesFisher  # noqa: E402

BATCH = 1000
DIMS = [3, 10, 64, 512]
KAPPAS = [1.0, 100.0, 1e4]


def main():
    assert keras.backend.backend() == "tensorflow", "run with KERAS_BACKEND=tensorflow"
    rows = []
    print(f"{'m':>5} {'kappa':>8} {'ours ms':>9} {'tfp ms':>9} {'tfp/ours':>9}")
    for m in DIMS:
        rng = np.random.default_rng(0)
        mu = rng.normal(size=(BATCH, m)).astype("float32")
        mu /= np.linalg.norm(mu, axis=1, keepdims=True)
        mu = tf.constant(mu)
        for kappa in KAPPAS:
            k = tf.constant(np.full((BATCH,), kappa, "float32"))
            generator = keras.random.SeedGenerator(0)

            @tf.function
            def ours(mu=mu, k=k, generator=generator):
                return VonMisesFisher(mu, k, validate_args=False).sample(seed=generator)

            counter = tf.Variable([0, 0], dtype=tf.int32)

            @tf.function
            def theirs(mu=mu, k=k, counter=counter):
                counter.assign_add([0, 1])
                return tfp.distributions.VonMisesFisher(mu, k).sample(
                    seed=tf.identity(counter)
                )

            t_ours = median_time(lambda f=ours: f().numpy())
            t_tfp = median_time(lambda f=theirs: f().numpy())
            rows.append(
                {
                    "m": m,
                    "kappa": kappa,
                    "batch": BATCH,
                    "keras_hsvae_s": t_ours,
                    "tfp_s": t_tfp,
                    "tfp_over_ours": t_tfp / t_ours,
                }
            )
            print(
                f"{m:>5} {kappa:>8g} {1e3 * t_ours:>9.2f} {1e3 * t_tfp:>9.2f} "
                f"{t_tfp / t_ours:>9.2f}"
            )
    ratios = [r["tfp_over_ours"] for r in rows]
    summary = {
        "geometric_mean_tfp_over_ours": float(np.exp(np.mean(np.log(ratios)))),
        "min_tfp_over_ours": float(min(ratios)),
        "max_tfp_over_ours": float(max(ratios)),
    }
    print(summary)
    write(
        "vmf_sampling",
        {
            "benchmark": "vMF sampling, keras_hsvae vs TFP (graph mode)",
            "tfp": tfp.__version__,
            "environment": environment(),
            "rows": rows,
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
