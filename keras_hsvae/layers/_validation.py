"""Argument checks shared by the latent layers (messages quote the value)."""

import math

import keras

INFERENCE_MODES = ("mean", "sample")


def check_beta(beta):
    """Return `beta` as a float if it is a finite number >= 0."""
    if isinstance(beta, bool):
        raise ValueError(f"`beta` must be a float >= 0. Received: beta={beta!r}")
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise ValueError(
            f"`beta` must be a float >= 0. Received: beta={beta!r}"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"`beta` must be a float >= 0. Received: beta={beta!r}")
    return value


def check_inference(inference):
    """Return `inference` if it is one of `INFERENCE_MODES`."""
    if inference not in INFERENCE_MODES:
        raise ValueError(
            f"`inference` must be one of {INFERENCE_MODES}. "
            f"Received: inference={inference!r}"
        )
    return inference


def check_seed(seed):
    """Return `seed` if it is an int or `None` (the form kept in configs)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"`seed` must be an int or None. Received: seed={seed!r}")
    return seed


def add_beta_weight(layer, beta):
    """Give `layer` its KL weight: a non-trainable scalar `beta_weight`.

    Callbacks change it during `fit` with `layer.beta_weight.assign(value)`
    (e.g. `BetaSchedule`); it is saved with the weights.
    """
    return layer.add_weight(
        shape=(),
        initializer=keras.initializers.Constant(beta),
        trainable=False,
        name="beta",
    )
