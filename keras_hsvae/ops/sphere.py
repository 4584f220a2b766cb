"""Points on spheres: rescaling rows to a radius; row maxima for scaling."""

import math

from keras import backend, ops

from keras_hsvae.ops import _backend_trig as trig
from keras_hsvae.ops._dtypes import compute_dtype


def _prepare(z):
    """`z` as a float tensor in a working dtype, and the dtype to return."""
    z = ops.convert_to_tensor(z)
    dtype = backend.standardize_dtype(z.dtype)
    if not backend.is_float_dtype(dtype):
        dtype = backend.floatx()
    # Half precision: sums of n entries / squares need float32.
    return ops.cast(z, compute_dtype(dtype)), dtype


def row_max(x):
    """`max_j x_j` over the last axis (kept), NaN for a row holding NaN or inf.

    Two limits `ops.max` gets wrong for scaling rows: an empty batch
    (Keras refuses the max of an empty tensor on TensorFlow and PyTorch,
    while JAX returns an empty result) gives an empty result here on every
    backend; and a row with a NaN is NaN, on every path (TensorFlow's oneDNN
    reduction skips NaN, which turned a NaN input into a finite embedding
    in a served SavedModel). Used on `|x|` and `-x` for row scales.
    """
    x = ops.convert_to_tensor(x)
    if any(d == 0 for d in x.shape):
        return ops.zeros(tuple(x.shape[:-1]) + (1,), x.dtype)
    top = ops.max(x, axis=-1, keepdims=True)
    finite = ops.all(ops.isfinite(x), axis=-1, keepdims=True)
    return ops.where(finite, top, ops.full_like(top, math.nan))


def min_over_axis(x, axis):
    """`ops.min(x, axis)`, with an empty result for an empty `x` on every backend.

    (Keras refuses the min of an empty tensor on TensorFlow and PyTorch; the
    rejection samplers reduce over their proposals for every element of a
    batch that may be empty.)
    """
    x = ops.convert_to_tensor(x)
    if any(d == 0 for d in x.shape):
        shape = tuple(d for i, d in enumerate(x.shape) if i != axis % len(x.shape))
        return ops.zeros(shape, x.dtype)
    return ops.min(x, axis=axis)


def row_max_abs(x):
    """`max_j |x_j|` over the last axis (kept); see `row_max` for the limits."""
    return row_max(ops.abs(ops.convert_to_tensor(x)))


def rescale_to_radius(z, radius):
    """Scale each row of `z` (last axis) to Euclidean norm `radius`.

    A row that is exactly zero has no direction; it is mapped to
    `radius * e_1` so the output always lies on the sphere. A row holding
    NaN or inf gives NaN (never a valid-looking point). Half-precision rows
    are scaled in float32 and rounded once.

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
    scale = ops.stop_gradient(row_max_abs(z))
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


def exp_map(tangent, mean_direction):
    """The exponential map of the unit sphere at `mean_direction`.

    `exp_mu(t) = cos(|t|) mu + sin(|t|) t / |t|` for tangent vectors `t`
    (orthogonal to the unit vector `mu`): the point reached by walking the
    great circle from `mu` in the direction of `t` for an arc length `|t|`.
    Rows of `tangent` are mapped independently; `mean_direction` is one
    vector `(m,)`. The component of `t` along `mu` is not removed here.

    Example:

    >>> import math
    >>> from keras import ops
    >>> from keras_hsvae.ops.sphere import exp_map
    >>> t = ops.convert_to_tensor([[0.0, math.pi / 2], [0.0, 0.0]])
    >>> z = exp_map(t, ops.convert_to_tensor([1.0, 0.0]))
    >>> (ops.convert_to_numpy(z).round(6) + 0.0).tolist()  # + 0.0: no -0.0
    [[0.0, 1.0], [1.0, 0.0]]
    """
    t, dtype = _prepare(tangent)
    mu = ops.cast(ops.convert_to_tensor(mean_direction), t.dtype)
    sq = ops.sum(t * t, axis=-1, keepdims=True)
    # |t| -> 0: cos(|t|) = 1 - |t|^2 / 2 and sin(|t|) / |t| = 1 - |t|^2 / 6
    # to float64 rounding below |t| = 1e-4, written in |t|^2 so that the
    # infinite derivative of sqrt at 0 never enters (NaN gradient at t = 0).
    small = sq < 1e-8
    theta = ops.sqrt(ops.where(small, ops.ones_like(sq), sq))
    cos = ops.where(small, 1.0 - sq / 2.0, trig.cos(theta))
    sinc = ops.where(small, 1.0 - sq / 6.0, trig.sin(theta) / theta)
    return ops.cast(cos * mu + sinc * t, dtype)
