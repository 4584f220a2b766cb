"""Argument checks of the latent layers (kept for imports; see `_validation`)."""

import keras

from keras_hsvae._validation import check_beta, check_seed

INFERENCE_MODES = ("mean", "sample")

__all__ = ["INFERENCE_MODES", "add_beta_weight", "check_beta", "check_inference"]
__all__ += ["check_features_shape", "check_seed"]


def check_inference(inference):
    """Return `inference` if it is one of `INFERENCE_MODES`."""
    if inference not in INFERENCE_MODES:
        raise ValueError(
            f"`inference` must be one of {INFERENCE_MODES}. "
            f"Received: inference={inference!r}"
        )
    return inference


def check_features_shape(layer, input_shape):
    """Posterior layers take features `(batch, ..., features)`: rank >= 2."""
    if len(input_shape) < 2:
        raise ValueError(
            f"`{type(layer).__name__}` needs features of shape (batch, ..., "
            f"features). Received: input_shape={tuple(input_shape)}"
        )


def add_beta_weight(layer, beta):
    """Give `layer` its KL weight: a non-trainable scalar `beta_weight`.

    Callbacks change it during `fit` with `layer.beta_weight.assign(value)`
    (e.g. `BetaSchedule`); it is saved with the weights. Not autocast: under
    a mixed policy it keeps its float32 value.
    """
    return layer.add_weight(
        shape=(),
        initializer=keras.initializers.Constant(beta),
        trainable=False,
        autocast=False,
        name="beta",
    )
