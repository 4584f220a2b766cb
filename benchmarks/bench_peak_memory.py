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

MODELS = {
    # name -> (latent size, baseline name)
    "beta_vae_10": (10, None),
    "svae_vmf": (10, "beta_vae_10"),
    "svae_power_spherical": (10, "beta_vae_10"),
    "beta_vae_41": (41, None),
    "product_svae": (41, "beta_vae_41"),
    "beta_vae_128": (128, None),
    "hscvae": (128, "beta_vae_128"),
}


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND"))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def _peak_mib():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(name, steps, batch):
    """Build and train one model; print its peaks as one JSON line."""
    import keras
    import numpy as np

    from keras_hsvae.models import (
        HSCVAE,
        SVAE,
        BetaVAE,
        ProductSVAE,
        mlp_decoder,
        mlp_encoder,
    )

    latent = MODELS[name][0]
    shape = (28, 28, 1)
    encoder, decoder = mlp_encoder(shape), mlp_decoder(latent, shape)
    if name.startswith("beta_vae"):
        model = BetaVAE(encoder, decoder, latent, seed=1)
    elif name == "svae_vmf":
        model = SVAE(encoder, decoder, latent, posterior="vmf", seed=1)
    elif name == "svae_power_spherical":
        model = SVAE(encoder, decoder, latent, posterior="power_spherical", seed=1)
    elif name == "product_svae":
        model = ProductSVAE(encoder, decoder, [10, 10, 10, 11], seed=1)
    else:
        model = HSCVAE(encoder, decoder, latent, likelihood="bernoulli", seed=1)
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
    if args.child:
        child(args.child, args.steps, args.batch)
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
    for name, row in rows.items():
        baseline = MODELS[name][1]
        if baseline in rows:
            row["baseline"] = baseline
            base = rows[baseline]
            row["peak_minus_baseline_mib"] = row["peak_mib"] - base["peak_mib"]
            row["train_minus_baseline_mib"] = row["train_mib"] - base["train_mib"]
    from _common import environment, write

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
