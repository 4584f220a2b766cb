"""Shared helpers for the benchmark scripts: timing and the result record."""

import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# The models the training-step and memory benchmarks compare, each against
# the BetaVAE of its latent size: the S-VAE paper's MLP on 28x28 images.
MLP_SHAPE = (28, 28, 1)
SHELLS = [10, 10, 10, 11]
# name -> (latent size, the model's class and keyword arguments)
MLP_MODELS = {
    "svae_vmf": (10, "SVAE", {"posterior": "vmf"}),
    "svae_power_spherical": (10, "SVAE", {"posterior": "power_spherical"}),
    "product_svae": (sum(SHELLS), "ProductSVAE", {}),
    "hscvae": (128, "HSCVAE", {"likelihood": "bernoulli"}),
}


def mlp_baseline(name):
    """The BetaVAE a model of `MLP_MODELS` is timed against: `beta_vae_<n>`."""
    return f"beta_vae_{MLP_MODELS[name][0]}"


def build_mlp_model(name):
    """An uncompiled model of `MLP_MODELS`, or `beta_vae_<n>` (seed 1).

    MLP 784-256-128 encoder, 128-256-784 decoder (the builders' defaults).
    Imports Keras: call it after the backend is chosen.
    """
    from keras_hsvae import models

    if name.startswith("beta_vae_"):
        latent, cls, kwargs = int(name.rsplit("_", 1)[1]), "BetaVAE", {}
    else:
        latent, cls, kwargs = MLP_MODELS[name]
    encoder = models.mlp_encoder(MLP_SHAPE)
    decoder = models.mlp_decoder(latent, MLP_SHAPE)
    if cls == "ProductSVAE":
        return models.ProductSVAE(encoder, decoder, SHELLS, seed=1)
    return getattr(models, cls)(encoder, decoder, latent, seed=1, **kwargs)


def median_time(fn, repeats=7, warmup=2):
    """Median wall time of `fn()` in seconds (after `warmup` untimed calls)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def environment():
    import keras

    info = {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    except ImportError:
        pass
    return info


def write(name, payload):
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
    return path
