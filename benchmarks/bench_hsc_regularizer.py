"""Cost of the HSC-VAE regularizer as a fraction of a VAE training step.

A small convolutional VAE on 28x28x1 inputs (batch 128) is trained with
`train_on_batch` (the compiled train step of `fit`) in three variants that
share the encoder trunk and the decoder:

- `gaussian`: baseline, `GaussianPosterior(n)` (the beta-VAE's Gaussian KL;
  its two dense heads sit inside the layer);
- `hsc`: dense heads `mu = Dense(n)`, `sigma = Dense(n, softplus)` feeding
  `HypersphericalKLRegularizer` (O(B n) cosines, rescale to sqrt(n));
- `hsc_masked`: the same model with the cosines computed by the papers'
  O(B n^2) masked form (001 appendix A.2, its +0.001 included), swapped in
  for the timing only.

The overhead is `t(variant) / t(gaussian) - 1`, with `t` the median time of
one train step after warm-up; repeats are interleaved across the variants.
The papers report +32 % per epoch for their masked form at n = 200 (batch
200, PyTorch, GPU).

Run: `KERAS_BACKEND=tensorflow python benchmarks/bench_hsc_regularizer.py`
Writes `benchmarks/results/hsc_regularizer.json`.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import keras
import numpy as np
from keras import layers, ops

from keras_hsvae.layers.gaussian_posterior import GaussianPosterior
from keras_hsvae.layers.hyperspherical_kl_regularizer import (
    HypersphericalKLRegularizer,
)
from keras_hsvae.ops import hsc

RESULTS = os.path.join(os.path.dirname(__file__), "results", "hsc_regularizer.json")


def masked_spherical_cosines(x):
    """The papers' O(B n^2) form: an n x n mask per sample (001, A.2)."""
    n = x.shape[-1]
    mask = ops.triu(ops.ones((n, n), x.dtype))
    tails = ops.sum(ops.square(ops.expand_dims(x, 1)) * mask[None], axis=2)
    cosines = x / ops.sqrt(tails + 0.001)
    return ops.sqrt(ops.sum(x * x, axis=-1)), cosines[:, : n - 1]


class _Cosines:
    """Context that swaps the cosine kernel used by `ops.hsc` (masked form)."""

    def __init__(self, variant):
        self.masked = variant == "hsc_masked"

    def __enter__(self):
        self.original = hsc.spherical_cosines
        if self.masked:
            hsc.spherical_cosines = masked_spherical_cosines

    def __exit__(self, *exc):
        hsc.spherical_cosines = self.original


def build_model(variant, n):
    inputs = keras.Input((28, 28, 1))
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(inputs)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    h = layers.Dense(256, activation="relu")(h)
    if variant == "gaussian":
        z = GaussianPosterior(n, beta=1.0, seed=0)(h)
    else:
        mu = layers.Dense(n)(h)
        sigma = layers.Dense(n, activation="softplus")(h)
        z = HypersphericalKLRegularizer(prior="compressed", beta=1.0, seed=0)(
            [mu, sigma]
        )
    h = layers.Dense(7 * 7 * 64, activation="relu")(z)
    h = layers.Reshape((7, 7, 64))(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    outputs = layers.Conv2D(1, 3, padding="same")(h)
    return keras.Model(inputs, outputs)


def time_variants(variants, n, batch, repeats, steps, jit_compile):
    """Median step time per variant; repeats interleaved across variants.

    The machine may be shared: interleaving (with a rotating order) spreads
    slow periods over all variants instead of one.
    """
    keras.utils.clear_session()
    x = np.random.default_rng(0).uniform(size=(batch, 28, 28, 1)).astype("float32")
    models, out, per_step = {}, {}, {}
    for variant in variants:
        model = build_model(variant, n)
        model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
        with _Cosines(variant):  # the swap must be live while tracing
            start = time.perf_counter()
            model.train_on_batch(x, x)
            first = time.perf_counter() - start
            for _ in range(2):
                model.train_on_batch(x, x)
        models[variant] = model
        per_step[variant] = []
        out[variant] = {
            "first_call_s": first,
            "resolved_jit_compile": bool(model.jit_compile),
        }
    for r in range(repeats):
        for i in range(len(variants)):
            variant = variants[(r + i) % len(variants)]
            with _Cosines(variant):  # and while running eagerly (torch)
                start = time.perf_counter()
                for _ in range(steps):
                    loss = models[variant].train_on_batch(x, x)  # a host float
                elapsed = time.perf_counter() - start
            assert np.isfinite(loss), (variant, n, loss)
            per_step[variant].append(elapsed / steps)
    for variant, result in out.items():
        result["median_step_ms"] = 1e3 * statistics.median(per_step[variant])
        result["min_step_ms"] = 1e3 * min(per_step[variant])
    return out


def versions():
    out = {"python": platform.python_version(), "keras": keras.__version__}
    out["numpy"] = np.__version__
    for name in ("tensorflow", "jax", "torch"):
        if name in sys.modules:
            out[name] = sys.modules[name].__version__
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=2, help="steps per repeat")
    parser.add_argument("--no-masked", action="store_true", help="skip hsc_masked")
    parser.add_argument(
        "--jit-compile", choices=["auto", "true", "false"], default="auto"
    )
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args()
    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]

    variants = ["gaussian", "hsc"] + ([] if args.no_masked else ["hsc_masked"])
    rows = []
    start = time.perf_counter()
    print(
        f"backend={keras.backend.backend()} batch={args.batch} "
        f"jit_compile={args.jit_compile} cpus={os.cpu_count()}"
    )
    print(f"{'n':>6} {'variant':>11} {'step ms':>9} {'overhead':>9}")
    for n in args.dims:
        results = time_variants(variants, n, args.batch, args.repeats, args.steps, jit)
        base = results["gaussian"]["median_step_ms"]
        for variant in variants:
            result = results[variant]
            overhead = 100.0 * (result["median_step_ms"] / base - 1.0)
            rows.append(
                {"n": n, "variant": variant, **result, "overhead_pct": overhead}
            )
            print(
                f"{n:>6} {variant:>11} {result['median_step_ms']:>9.2f} "
                f"{overhead:>+8.1f}%"
            )
    elapsed = time.perf_counter() - start
    print(f"total {elapsed:.0f} s")

    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    report = {
        "benchmark": "hsc_regularizer",
        "description": (
            "Median wall time of one train_on_batch step of a conv VAE on "
            "28x28x1, per latent layer variant, repeats interleaved; overhead "
            "relative to the GaussianPosterior baseline. hsc_masked uses the "
            "papers' O(B n^2) masked cosines (001 A.2)."
        ),
        "baseline": "gaussian (GaussianPosterior: plain Gaussian KL to N(0, I))",
        "backend": keras.backend.backend(),
        "versions": versions(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": None if affinity is None else len(affinity),
        "load_average_at_end": list(os.getloadavg())
        if hasattr(os, "getloadavg")
        else None,
        "batch": args.batch,
        "repeats": args.repeats,
        "steps_per_repeat": args.steps,
        "jit_compile": args.jit_compile,
        "paper_reference": "+32 % per epoch at n = 200, batch 200 (masked form)",
        "results": rows,
        "total_seconds": elapsed,
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
