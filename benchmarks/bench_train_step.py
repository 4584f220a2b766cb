"""Cost of one training step of each spherical model, as a ratio to BetaVAE.

Every model is the S-VAE paper's MLP (784-256-128 encoder, 128-256-784
decoder, Bernoulli likelihood) on random binary 28x28 images; each is timed
against a `BetaVAE` of the same latent size built and trained in the same
process:

- `svae_vmf`: `SVAE`, vMF posterior, m = 10 (baseline: BetaVAE, 10);
- `svae_power_spherical`: `SVAE`, Power Spherical posterior, m = 10;
- `product_svae`: `ProductSVAE([10, 10, 10, 11])` (baseline: BetaVAE, 41);
- `hscvae`: `HSCVAE`, n = 128 (baseline: BetaVAE, 128).

One step is `train_on_batch` (the compiled train step of `fit`). The first
call, which traces and compiles the step, is timed on its own (`first_step_s`).
After `--warmup` more calls, `--repeats` rounds each time `--steps` calls of
every model, the order of the models rotated from round to round; a round's
ratio is `t(model) / t(baseline)` of that round, and the summary is the
median ratio with its [min, max] over the rounds (the machine's load moves
both timings of a round together).

Run once per backend:
`python benchmarks/bench_train_step.py --backend jax` (or set
`KERAS_BACKEND`). Writes `benchmarks/results/train_step_<backend>.json`.
"""

import argparse
import os
import statistics
import sys
import time


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND"))
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--models",
        nargs="+",
        default=["svae_vmf", "svae_power_spherical", "product_svae", "hscvae"],
    )
    parser.add_argument("--output", default=None, help="result name (no .json)")
    return parser.parse_args()


ARGS = _args()
if ARGS.backend:
    # Keras reads the backend once, at import: set it first.
    os.environ["KERAS_BACKEND"] = ARGS.backend

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _common import (  # noqa: E402
    MLP_SHAPE,
    SHELLS,
    build_mlp_model,
    environment,
    mlp_baseline,
    write,
)


def build(name):
    model = build_mlp_model(name)
    model.compile(optimizer="adam")
    return model


def measure(batch_size):
    x = (np.random.default_rng(0).random((batch_size,) + MLP_SHAPE) > 0.5).astype(
        "float32"
    )
    names = list(ARGS.models)
    for base in dict.fromkeys(mlp_baseline(n) for n in ARGS.models):
        names.append(base)
    models, first = {}, {}
    for name in names:
        models[name] = build(name)
        start = time.perf_counter()
        models[name].train_on_batch(x)
        first[name] = time.perf_counter() - start
        for _ in range(ARGS.warmup):
            models[name].train_on_batch(x)
        print(f"  b{batch_size} {name}: first step {first[name]:.1f} s", flush=True)
    rounds = {name: [] for name in names}
    for r in range(ARGS.repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            start = time.perf_counter()
            for _ in range(ARGS.steps):
                models[name].train_on_batch(x)
            rounds[name].append((time.perf_counter() - start) / ARGS.steps)
    rows = []
    for name in ARGS.models:
        base = mlp_baseline(name)
        ratios = [a / b for a, b in zip(rounds[name], rounds[base])]
        rows.append(
            {
                "model": name,
                "baseline": base,
                "batch_size": batch_size,
                "ms_per_step": 1e3 * statistics.median(rounds[name]),
                "baseline_ms_per_step": 1e3 * statistics.median(rounds[base]),
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "first_step_s": first[name],
                "baseline_first_step_s": first[base],
            }
        )
        print(
            f"  b{batch_size} {name}: {rows[-1]['ratio_median']:.2f} "
            f"[{rows[-1]['ratio_min']:.2f}, {rows[-1]['ratio_max']:.2f}] x {base}",
            flush=True,
        )
    return rows


def main():
    backend = keras.backend.backend()
    load_before = os.getloadavg()
    rows = []
    for batch_size in ARGS.batch_sizes:
        rows.extend(measure(batch_size))
        # Written after each batch size: a run stopped early keeps its rows.
        save(backend, load_before, rows)


def save(backend, load_before, rows):
    payload = {
        "benchmark": "train_step",
        "backend": backend,
        "environment": environment(),
        "load_average_1_5_15": {"before": load_before, "after": os.getloadavg()},
        "settings": {
            "mlp": "784-256-128 / 128-256-784, bernoulli",
            "batch_sizes": ARGS.batch_sizes,
            "repeats": ARGS.repeats,
            "steps_per_repeat": ARGS.steps,
            "warmup_steps": ARGS.warmup,
            "product_shells": SHELLS,
        },
        "rows": rows,
    }
    write(ARGS.output or f"train_step_{backend}", payload)


if __name__ == "__main__":
    main()
