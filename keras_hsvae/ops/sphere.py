"""Points on spheres: rescaling rows to a radius."""

from keras import backend, ops

from keras_hsvae.ops._dtypes import compute_dtype


def _prepare(z):
    """`z` as a float tensor in a working dtype, and the dtype to return."""
    z = ops.convert_to_tensor(z)
    dtype = backend.standardize_dtype(z.dtype)
    if not backend.is_float_dtype(dtype):
        dtype = backend.floatx()
    # Half precision: sums of n entries / squares need float32.
    return ops.cast(z, compute_dtype(dtype)), dtype


def rescale_to_radius(z, radius):
    """Scale each row of `z` (last axis) to Euclidean norm `radius`.

    A row that is exactly zero has no direction; it is mapped to
    `radius * e_1` so the output always lies on the sphere. Half-precision
    rows are scaled in float32 and rounded once.

    Example:

    >>> from keras import ops
    >>> from keras_hsvae.ops.sphere import rescale_to_radius
    >>> z = rescale_to_radius(ops.convert_to_tensor([[3.0, 4.0], [0.0, 0.0]]), 2.0)
    >>> ops.convert_to_numpy(z).astype("float64").round(3).tolist()
    [[1.2, 1.6], [2.0, 0.0]]
    """
    z, dtype = _prepare(z)
    # Tiny or huge rows: z_j^2 under/overflows (float32: |z| < 1e-19 or
    # > 1e19), so divide by the largest |z_j| first. z / ||z|| is invariant to
    # that scale, so the scale is a constant for the gradient.
    scale = ops.stop_gradient(ops.max(ops.abs(z), axis=-1, keepdims=True))
    zero = scale == 0
    u = z / ops.where(zero, ops.ones_like(scale), scale)
    # Every nonzero u has a coordinate of magnitude 1: 1 <= ||u|| <= sqrt(n).
    # Zero rows: sqrt is taken of a safe 1, not of 0, whose infinite
    # derivative would turn the zero cotangent of the untaken branch into NaN.
    sum_sq = ops.sum(u * u, axis=-1, keepdims=True)
    norm = ops.sqrt(ops.where(zero, ops.ones_like(sum_sq), sum_sq))
    scaled = u / norm
    e1 = ops.cast(ops.arange(z.shape[-1]) == 0, z.dtype)
    return ops.cast(ops.cast(radius, z.dtype) * ops.where(zero, e1, scaled), dtype)
