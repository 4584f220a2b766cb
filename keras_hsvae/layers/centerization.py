"""Centerization of latent vectors (Spherical Auto-Encoder), as a layer."""

import keras

from keras_hsvae.ops.sae import centerize


@keras.saving.register_keras_serializable(package="keras_hsvae")
class Centerization(keras.layers.Layer):
    """Subtract from each vector the mean of its own entries.

    `z - mean_j(z_j)` over the last axis (per example, not over the batch;
    SPEC section 5), so every output sums to 0. A constant vector (the zero
    vector included) maps to exactly the zero vector. Usually followed by
    `Spherization`: together they are the latent constraint of the
    Spherical Auto-Encoder and its prior-robust sampling (Algorithm 1).

    The layer has no weights and no arguments beyond the base ones.

    Args:
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `(..., n)`.

    Input shape:
        `(..., n)`.

    Output shape:
        Same as the input.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from keras_hsvae.layers.centerization import Centerization
    >>> z = np.array([[1.0, 2.0, 6.0]], "float32")
    >>> keras.ops.convert_to_numpy(Centerization()(z)).astype(float).tolist()
    [[-2.0, -1.0, 3.0]]

    Reference:
        "Latent Variables on Spheres for Sampling and Spherical Inference"
        (anonymous ICLR 2020 submission; the Spherical Auto-Encoder,
        `seeds/003_*`): centerization, spherization and Algorithm 1.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if not len(input_shape):
            raise ValueError(
                "`Centerization` needs inputs with a last axis, shape (..., n). "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        return centerize(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        base_config = super().get_config()
        config = {}
        return {**base_config, **config}
