"""The S-VAE's score-function correction: gradient variance with and without.

Measures, for the S-VAE of the paper (MLP 784-256-128, vMF on S^10) on one
batch of 64 statically binarized MNIST images, the variance over repeated
posterior draws of the stochastic gradient of the loss, with
`score_correction=True` (unbiased: reparameterized + score-function terms,
002 eq. 9) and `False` (reparameterized term only, as the authors' code and
004). It reports the ratio of the summed variances over all weights and over
the concentration head only, at initialisation and after one epoch of
training on 10,000 images, and writes benchmarks/results/score_correction.json.

    KERAS_BACKEND=tensorflow python benchmarks/score_correction.py

The default of `SVAE(score_correction=...)` is chosen from this output.
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_hsvae import data  # noqa: E402
from keras_hsvae.training import build_model  # noqa: E402

REPEATS = 64
RESULTS = Path(__file__).parent / "results" / "score_correction.json"


def gradients(model, x, score_correction, repeats, seed):
    model.posterior.score_correction = score_correction
    generator = model.posterior.seed_generator
    generator.state.assign(np.array([seed, 0], generator.state.dtype))
    draws = []
    for _ in range(repeats):
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y_pred=y_pred)
        grads = tape.gradient(loss, model.trainable_variables)
        draws.append([g.numpy() for g in grads])
    return draws


def variance_ratio(model, x):
    names = [v.path for v in model.trainable_variables]
    head = [i for i, n in enumerate(names) if "concentration" in n]
    out = {}
    per = {}
    for flag in (True, False):
        draws = gradients(model, x, flag, REPEATS, seed=1)
        per[flag] = [
            np.var(np.stack([d[i] for d in draws]), axis=0).sum()
            for i in range(len(names))
        ]
    total = {f: float(sum(v)) for f, v in per.items()}
    kappa = {f: float(sum(v[i] for i in head)) for f, v in per.items()}
    out["total_variance"] = {"with": total[True], "without": total[False]}
    out["total_ratio"] = total[True] / total[False]
    out["concentration_head_variance"] = {"with": kappa[True], "without": kappa[False]}
    out["concentration_head_ratio"] = kappa[True] / kappa[False]
    return out


def main():
    keras.utils.set_random_seed(0)
    data_dir = os.environ.get("KERAS_HSVAE_DATA")
    x_train = np.asarray(
        data.load("binarized_mnist", "train", data_dir=data_dir, as_numpy=True),
        "float32",
    )[:10000]
    batch = x_train[:64]
    model = build_model("svae", (28, 28, 1), 11, seed=0, score_correction=False)
    model.posterior.score_correction = True  # the layer returns `c`
    start = time.perf_counter()
    result = {"repeats": REPEATS, "batch": 64, "latent_dim": 11, "model": "svae"}
    result["at_initialisation"] = variance_ratio(model, batch)
    model.posterior.score_correction = False
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x_train, epochs=1, batch_size=64, verbose=0)
    result["after_one_epoch"] = variance_ratio(model, batch)
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["backend"] = keras.backend.backend()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
