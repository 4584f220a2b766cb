"""Peak memory (RSS) of a 200-step training run, per model, against BetaVAE.

Every model is the S-VAE paper's MLP (784-256-128 encoder, 128-256-784
decoder, Bernoulli likelihood) trained with `fit` for `--steps` steps at
batch `--batch` on random binary 28x28 images (the models of
`bench_train_step.py`; ten batches of images, `steps / 10` epochs). Each run
is a fresh child process, so each peak is its own: the child reports its
peak resident set size (`ru_maxrss`) after importing Keras and building the
model (`build_mib`), after the first training step (`first_step_mib`: the
step is traced and compiled there) and at the end of training (`peak_mib`);
`train_mib = peak - build` is what training added. The summary is the
difference of each model's peak from the BetaVAE peak of the same latent
size, measured in the same run.

    python benchmarks/bench_peak_memory.py --backend torch

Writes `benchmarks/results/peak_memory_<backend>.json`.
"""

import argparse
import json
import os
import resource
import subprocess
import sys

# The spherical models of `bench_train_step.py` and their BetaVAE baselines.
MODELS = [
    "beta_vae_10",
    "svae_vmf",
    "svae_power_spherical",
    "beta_vae_41",
    "product_svae",
    "beta_vae_128",
    "hscvae",
]


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND"))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def _peak_mib():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(name, steps, batch):
    """Build and train one model; print its peaks as one JSON line."""
    import keras
    import numpy as np
    from _common import MLP_SHAPE as shape
    from _common import build_mlp_model

    model = build_mlp_model(name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    # Ten batches, seen steps / 10 times: a data set of all the steps would
    # itself be the largest allocation (200 x 256 images: 160 MiB).
    data = np.random.default_rng(0).integers(0, 2, (10 * batch,) + shape, "uint8")
    data = data.astype("float32")
    model.build((None,) + shape)
    build = _peak_mib()
    # The first step traces and compiles the train step (the compiler's own
    # peak on TensorFlow and JAX); the other fit reuses the compiled step.
    model.fit(data[:batch], batch_size=batch, epochs=1, verbose=0)
    first = _peak_mib()
    model.fit(data, batch_size=batch, epochs=steps // 10, verbose=0, shuffle=False)
    peak = _peak_mib()
    print(
        json.dumps(
            {
                "build_mib": build,
                "first_step_mib": first,
                "peak_mib": peak,
                "train_mib": peak - build,
            }
        )
    )


def main():
    args = _args()
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args.child:
        child(args.child, args.steps, args.batch)
        return
    rows = {}
    for name in args.models:
        out = subprocess.run(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--child",
                name,
                "--steps",
                str(args.steps),
                "--batch",
                str(args.batch),
            ],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            check=True,
        )
        rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
        print(name, rows[name], flush=True)
    from _common import environment, mlp_baseline, write

    for name, row in rows.items():
        baseline = None if name.startswith("beta_vae_") else mlp_baseline(name)
        if baseline in rows:
            row["baseline"] = baseline
            base = rows[baseline]
            row["peak_minus_baseline_mib"] = row["peak_mib"] - base["peak_mib"]
            row["train_minus_baseline_mib"] = row["train_mib"] - base["train_mib"]
    write(
        f"peak_memory_{os.environ['KERAS_BACKEND']}",
        {
            "backend": os.environ["KERAS_BACKEND"],
            "steps": args.steps,
            "batch": args.batch,
            "rows": rows,
            "environment": environment(),
        },
    )


if __name__ == "__main__":
    main()
