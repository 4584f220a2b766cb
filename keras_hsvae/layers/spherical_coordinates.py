"""Hyperspherical coordinates of a latent vector, as a layer."""

import keras

from keras_hsvae.ops.spherical import cartesian_to_spherical, spherical_cosines

OUTPUT_MODES = ("cosines", "angles")


@keras.saving.register_keras_serializable(package="keras_hsvae")
class SphericalCoordinates(keras.layers.Layer):
    """Radius and angle cosines (or angles) of each input vector.

    Maps `x in R^n` to its radius `r = ||x||` and either the cosines of its
    n-1 hyperspherical angles, `cos(phi_k) = x_k / sqrt(x_k^2 + ... + x_n^2)`,
    or the angles themselves (`phi_k in [0, pi]` for k <= n-2,
    `phi_{n-1} in [0, 2 pi)`), in O(n) per vector (SPEC section 1). Where a
    tail `x_k..x_n` is all zero the angles from `phi_k` on are 0 (cosines 1)
    and `x = 0` has radius 0; values and gradients stay finite. See
    `keras_hsvae.ops.spherical` for the conventions.

    The layer has no weights; it returns two tensors, as a tuple.

    Args:
        output_mode: `"cosines"` (the default; what the HSC-VAE regularizer
            uses) or `"angles"`. Named like the `output_mode` of Keras
            preprocessing layers: `output` is a reserved `Layer` attribute.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `(..., n)` with a known last axis `n >= 2`.

    Input shape:
        `(..., n)`.

    Output shape:
        Tuple `((...), (..., n - 1))`: the radius and the cosines or angles.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from keras_hsvae.layers.spherical_coordinates import SphericalCoordinates
    >>> radius, cosines = SphericalCoordinates()(np.ones((2, 4), "float32"))
    >>> keras.ops.convert_to_numpy(cosines[0]).astype(float).round(4).tolist()
    [0.5, 0.5774, 0.7071]
    >>> inputs = keras.Input((5,))
    >>> radius, angles = SphericalCoordinates(output_mode="angles")(inputs)
    >>> tuple(radius.shape), tuple(angles.shape)
    ((None,), (None, 4))

    Reference:
        "Improving the Generation of VAEs with High Dimensional Latent Spaces
        by the use of Hyperspherical Coordinates" and "Is the Sparsity of
        High Dimensional Spaces the Reason why VAEs are Poor Generative
        Models?" (the HSC-VAE papers, `seeds/000_*`, `seeds/001_*`):
        appendix A.1 (the coordinates); their O(B n^2) masked code (A.2) is
        replaced by O(B n) tail sums.
    """

    def __init__(self, output_mode="cosines", **kwargs):
        super().__init__(**kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"`output_mode` must be one of {OUTPUT_MODES}. "
                f"Received: output_mode={output_mode!r}"
            )
        self.output_mode = output_mode

    def build(self, input_shape):
        n = input_shape[-1] if len(input_shape) else None
        if n is None or n < 2:
            raise ValueError(
                "`SphericalCoordinates` needs a known last axis of size >= 2. "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        if self.output_mode == "cosines":
            return spherical_cosines(inputs)
        return cartesian_to_spherical(inputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        n = input_shape[-1]
        return input_shape[:-1], input_shape[:-1] + (None if n is None else n - 1,)

    def get_config(self):
        base_config = super().get_config()
        config = {"output_mode": self.output_mode}
        return {**base_config, **config}
