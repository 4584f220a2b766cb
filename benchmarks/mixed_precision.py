"""Train every model under float32, mixed_float16 and mixed_bfloat16.

For each model (the zoo's MLP 784-256-128 builders) and dtype policy: `fit`
on the first `--examples` statically binarized MNIST training images
(Gaussian likelihood and grey levels for hsc_vae and sae), then report the
logged metrics of every epoch, whether all are finite, and seconds per
epoch after the first (tracing) epoch. Writes
benchmarks/results/mixed_precision_<backend>.json.

    KERAS_BACKEND=tensorflow python benchmarks/mixed_precision.py
    KERAS_BACKEND=jax python benchmarks/mixed_precision.py --epochs 2

Before the redesign (0.1) an S-VAE on binarized MNIST logged
`kl [0.17, nan, nan, nan]` under mixed_float16 and every spherical model
crashed under mixed_bfloat16.
"""

import argparse
import json
import math
import os
import time
from pathlib import Path

import keras
import numpy as np

from keras_hsvae import data
from keras_hsvae.training import build_model

MODELS = {
    "beta_vae": 10,
    "svae": 11,
    "svae_power": 11,
    "product_svae": 12,
    "hsc_vae": 16,
    "sae": 16,
}
POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
GREY = ("hsc_vae", "sae")


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def run(name, policy, x, epochs, batch_size):
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        kwargs = {"seed": 0}
        if name not in GREY:
            kwargs["likelihood"] = "bernoulli"
        model = build_model(name, x.shape[1:], MODELS[name], **kwargs)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        timer = EpochTimer()
        history = model.fit(
            x, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[timer]
        )
    finally:
        keras.config.set_dtype_policy("float32")
    logs = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    finite = all(math.isfinite(v) for vs in logs.values() for v in vs)
    steady = timer.times[1:] or timer.times
    return {
        "logs": logs,
        "finite": finite,
        "seconds_per_epoch": round(float(np.median(steady)), 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--policies", nargs="+", default=list(POLICIES))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data-dir", default=os.environ.get("KERAS_HSVAE_DATA"))
    args = parser.parse_args()
    binary = np.asarray(
        data.load("binarized_mnist", "train", data_dir=args.data_dir, as_numpy=True),
        "float32",
    )[: args.examples]
    grey = np.asarray(
        data.load("mnist", "train", data_dir=args.data_dir, as_numpy=True), "float32"
    )[: args.examples]
    backend = keras.backend.backend()
    results = {
        "backend": backend,
        "epochs": args.epochs,
        "examples": args.examples,
        "batch_size": args.batch_size,
        "runs": {},
    }
    for name in args.models:
        x = grey if name in GREY else binary
        for policy in args.policies:
            result = run(name, policy, x, args.epochs, args.batch_size)
            results["runs"][f"{name}/{policy}"] = result
            last = {k: round(v[-1], 3) for k, v in result["logs"].items()}
            print(
                f"{name:13s} {policy:15s} finite={result['finite']} "
                f"{result['seconds_per_epoch']:6.2f} s/epoch {last}",
                flush=True,
            )
    out = Path(__file__).parent / "results" / f"mixed_precision_{backend}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
