"""Spherization of latent vectors (Spherical Auto-Encoder), as a layer."""

import keras

from keras_hsvae.ops.sae import check_radius, spherize


@keras.saving.register_keras_serializable(package="keras_hsvae")
class Spherization(keras.layers.Layer):
    """Project each vector radially onto the sphere of radius `radius`.

    `radius * z / ||z||` over the last axis (SPEC section 5). No finite input
    overflows or underflows (the norm is taken after dividing by
    `max_j |z_j|`). The zero vector, which has no direction, is returned as
    the zero vector, with a zero gradient. Usually preceded by
    `Centerization` (the Spherical Auto-Encoder's latent constraint).

    The layer has no weights.

    Args:
        radius: positive finite float, the radius of the sphere (default 1).
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
    >>> from keras_hsvae.layers.spherization import Spherization
    >>> z = np.array([[3.0, 0.0, -4.0]], "float32")
    >>> out = Spherization(radius=10.0)(z)
    >>> keras.ops.convert_to_numpy(out).astype(float).tolist()
    [[6.0, 0.0, -8.0]]

    Reference:
        "Latent Variables on Spheres for Sampling and Spherical Inference"
        (anonymous ICLR 2020 submission; the Spherical Auto-Encoder,
        `seeds/003_*`): centerization, spherization and Algorithm 1.
    """

    def __init__(self, radius=1.0, **kwargs):
        super().__init__(**kwargs)
        self.radius = check_radius(radius)
        self.supports_masking = True

    def build(self, input_shape):
        if not len(input_shape):
            raise ValueError(
                "`Spherization` needs inputs with a last axis, shape (..., n). "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        return spherize(inputs, radius=self.radius)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        base_config = super().get_config()
        config = {"radius": self.radius}
        return {**base_config, **config}
