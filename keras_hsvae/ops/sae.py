"""Spherical Auto-Encoder latent maps: centerization and spherization.

SPEC section 5 (003): `centerize(z) = z - mean_j(z_j) 1`, the mean over the
entries of each vector (last axis), not over the batch; `spherize(z) =
radius * z / ||z||`. Together they put any latent (or any prior draw: normal,
uniform, Poisson, ...) on the sphere of radius `radius` inside the hyperplane
`sum_j z_j = 0`.

Degenerate vectors. A constant vector (the zero vector included) centers to
exactly the zero vector, and `spherize` maps the zero vector to the zero
vector (it has no direction; this matches `keras.ops.normalize` and
`keras.layers.UnitNormalization`), with a gradient of 0 there instead of an
infinite one. Half-precision inputs are computed in float32 and cast back.
"""

import math

from keras import ops

from keras_hsvae.ops.sphere import (
    _prepare,
    rescale_to_radius,  # noqa: F401 (moved)
    row_max,
    row_max_abs,
)


def centerize(z):
    """Subtract from each vector the mean of its entries.

    `z - mean_j(z_j)`, the mean taken over the last axis (per vector, not
    over the batch), so every output vector sums to 0. A constant vector
    (e.g. the zero vector, or a Poisson draw with equal entries) gives
    exactly the zero vector, not the rounding error of its mean; the gradient
    is that of the linear map `I - 1 1^T / n` everywhere.

    Args:
        z: float tensor `(..., n)` (integers are cast to
            `keras.backend.floatx()`).

    Returns:
        Tensor of the shape and dtype of `z`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_hsvae.ops.sae import centerize
    >>> z = np.array([[1.0, 2.0, 6.0], [5.0, 5.0, 5.0]], "float32")
    >>> ops.convert_to_numpy(centerize(z)).astype(float).tolist()
    [[-2.0, -1.0, 3.0], [0.0, 0.0, 0.0]]
    """
    z, dtype = _prepare_vectors(z)
    # sum / n, not ops.mean: Keras 3.15 computes the mean of float64 in float32
    # on JAX and PyTorch.
    n = ops.cast(ops.shape(z)[-1], z.dtype)
    centered = z - ops.sum(z, axis=-1, keepdims=True) / n
    # Constant vector: the rounded mean can miss the entries by an ulp, and
    # spherize would blow that rounding noise up to a unit vector. x - x is
    # an exact 0 and keeps the gradient of the linear map.
    constant = row_max(z) == -row_max(-z)
    centered = ops.where(constant, centered - ops.stop_gradient(centered), centered)
    return ops.cast(centered, dtype)


def spherize(z, radius=1.0):
    """Project each vector radially onto the sphere of radius `radius`.

    `radius * z / ||z||` over the last axis. The norm is computed after
    dividing by `max_j |z_j|`, so no finite input overflows or underflows.
    The zero vector is returned as the zero vector (it has no direction),
    with a zero gradient; a vector holding NaN or inf gives NaN; elsewhere
    the gradient is the exact `radius (I - u u^T) / ||z||`, `u = z / ||z||`.

    Args:
        z: float tensor `(..., n)` (integers are cast to
            `keras.backend.floatx()`).
        radius: positive finite float, the radius of the sphere.

    Returns:
        Tensor of the shape and dtype of `z`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_hsvae.ops.sae import spherize
    >>> z = np.array([[3.0, 0.0, -4.0], [0.0, 0.0, 0.0]], "float32")
    >>> ops.convert_to_numpy(spherize(z, radius=10.0)).astype(float).tolist()
    [[6.0, 0.0, -8.0], [0.0, 0.0, 0.0]]
    """
    radius = check_radius(radius)
    z, dtype = _prepare_vectors(z)
    # Divide by max|z_j| before squaring: z^2 overflows for |z| > ~1e19
    # (float32) and underflows for |z| < ~1e-19. The result is scale
    # invariant, so the gradient through the (non-smooth) max is exactly 0.
    scale = ops.stop_gradient(row_max_abs(z))
    # Not `scale > 0`: a row with NaN (scale NaN) must stay NaN, not become 0.
    nonzero = ops.logical_not(scale == 0)
    y = z / ops.where(nonzero, scale, ops.ones_like(scale))
    # ||y||^2 is in [1, n] unless z = 0: a safe argument keeps sqrt' finite.
    squares = ops.sum(ops.square(y), axis=-1, keepdims=True)
    norm = ops.sqrt(ops.where(nonzero, squares, ops.ones_like(squares)))
    out = ops.where(nonzero, y * (radius / norm), ops.zeros_like(y))
    return ops.cast(out, dtype)


def _prepare_vectors(z):
    """`_prepare(z)` for a tensor of vectors `(..., n)` (rank >= 1)."""
    z, dtype = _prepare(z)
    if len(z.shape) == 0:
        raise ValueError(
            "`z` must be a tensor of vectors (..., n). "
            f"Received: z.shape={tuple(z.shape)}"
        )
    return z, dtype


def check_radius(radius):
    """Return `radius` as a float if it is a positive finite number."""
    message = f"`radius` must be a positive finite float. Received: radius={radius!r}"
    # float("1") would pass: a string is a mistake, not a radius.
    if isinstance(radius, (bool, str, bytes)):
        raise ValueError(message)
    try:
        value = float(radius)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(message)
    return value
