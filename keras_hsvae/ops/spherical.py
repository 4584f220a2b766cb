"""Hyperspherical coordinates in O(n): radius, angle cosines, angles, inverse.

Convention (SPEC section 1; 001 appendix A.1). A point `x` of R^n has radius
`r = ||x||` and angles `phi_1..phi_{n-1}`, `phi_k in [0, pi]` for k <= n-2 and
`phi_{n-1} in [0, 2 pi)`:

    x_1 = r cos(phi_1)
    x_k = r sin(phi_1)...sin(phi_{k-1}) cos(phi_k)          k = 2..n-1
    x_n = r sin(phi_1)...sin(phi_{n-2}) sin(phi_{n-1})

With the tail sums `t_k = x_k^2 + ... + x_n^2`:

    cos(phi_k) = x_k / sqrt(t_k)                            k = 1..n-1
    sin(phi_1)...sin(phi_{k-1}) = sqrt(t_k / t_1)

The tail sums are one reversed cumulative sum, so every map here costs
O(B n) time and memory, where the papers' code builds an n x n mask per
sample (O(B n^2)). No epsilon is added under the square roots (the papers'
`+ 0.001` biases every cosine).

Zero tails. When `t_k = 0` (all of `x_k..x_n` are zero, e.g. `x = e_1` or
`x = 0`), `phi_k..phi_{n-1}` are undefined. This module returns
`phi_j = 0` (`cos(phi_j) = 1`) for those angles, the limit `x_k -> 0+`, and
radius 0 for `x = 0`. Values and gradients stay finite there (the derivative
of an undefined angle is returned as 0) and nothing changes on regular
inputs.

Range. Each vector is divided by its largest `|x_j|` before squaring, so
any finite input works without overflow or underflow of `x^2`; entries
smaller than about `1e-19` (float32; `1e-154` in float64) times that largest
entry still underflow when squared and count as zeros in the tails
(and TensorFlow on CPU flushes subnormal inputs to zero).
Half-precision inputs are computed in float32 and cast back.

float64. Every map is float64-accurate on every backend: the angle maps
use `_backend_trig`, since Keras 3.15 computes `ops.sin`, `ops.cos` and
`ops.arctan2` in float32 for float64 inputs on JAX (`arctan2` on PyTorch).
"""

import math

from keras import backend, ops

from keras_hsvae.ops import _backend_trig as trig
from keras_hsvae.ops._dtypes import compute_dtype
from keras_hsvae.ops.sphere import row_max_abs


def spherical_cosines(x):
    """Radius and angle cosines of points in hyperspherical coordinates.

    `radius = ||x||` and `cos(phi_k) = x_k / sqrt(x_k^2 + ... + x_n^2)`,
    k = 1..n-1, computed in O(n) per vector from a reversed cumulative sum
    of squares (no arccos, no n x n mask, no epsilon).

    Where a tail vanishes (`x_k = ... = x_n = 0`) the cosine is 1 (angle 0,
    the limit `x_k -> 0+`); `x = 0` gives radius 0 and all cosines 1. Values
    and gradients are finite for every finite input; the gradient of those
    conventional values (and of the radius at `x = 0`) is 0.

    Args:
        x: float tensor `(..., n)` with a static last axis `n >= 2`
            (integers are cast to `keras.backend.floatx()`).

    Returns:
        Tuple `(radius, cosines)`: `radius` of shape `x.shape[:-1]` and
        `cosines` of shape `(..., n-1)`, both in the dtype of `x`, with
        `cosines` in `[-1, 1]`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_hsvae.ops.spherical import spherical_cosines
    >>> radius, cosines = spherical_cosines(np.ones((1, 4), "float32"))
    >>> ops.convert_to_numpy(radius).astype(float).round(4).tolist()
    [2.0]
    >>> ops.convert_to_numpy(cosines).astype(float).round(4).tolist()  # 1/sqrt(4..2)
    [[0.5, 0.5774, 0.7071]]
    >>> _, cosines = spherical_cosines(np.array([[3.0, 0.0, 0.0]], "float32"))
    >>> ops.convert_to_numpy(cosines).astype(float).tolist()  # zero tail: cos = 1
    [[1.0, 1.0]]
    """
    x, dtype = _prepare(x, "x")
    radius, y, tails = _scaled_tails(x)
    head, head_tails = y[..., :-1], tails[..., :-1]
    # Not `> 0`: a vector with NaN or inf (NaN tails) must give NaN cosines.
    defined = ops.logical_not(head_tails == 0)
    # Zero tail (x_k = ... = x_n = 0): cos = 1 by convention; the safe
    # denominator keeps the discarded branch and its gradient finite.
    safe_tails = ops.where(defined, head_tails, ops.ones_like(head_tails))
    cosines = ops.where(defined, head / ops.sqrt(safe_tails), ops.ones_like(head))
    # |x_k| <= sqrt(t_k) exactly, but a fused x * rsqrt(t) (XLA rewrites the
    # division) can round one ulp past 1: snap back to +-1 (gradient ~ 0 there).
    cosines = ops.where(ops.abs(cosines) > 1, ops.sign(cosines), cosines)
    return ops.cast(radius, dtype), ops.cast(cosines, dtype)


def cartesian_to_spherical(x):
    """Radius and angles of points in hyperspherical coordinates.

    `phi_k = atan2(sqrt(x_{k+1}^2 + ... + x_n^2), x_k)` in `[0, pi]` for
    k = 1..n-2 and `phi_{n-1} = atan2(x_n, x_{n-1})` mapped to `[0, 2 pi)`
    (equal to the SPEC's `arccos` form, `2 pi` minus it when `x_n < 0`).
    The `atan2` form keeps full relative accuracy near the poles, where
    `arccos(c)` of a rounded cosine `c ~ +-1` loses half the digits
    (`arccos(1 - d) ~ sqrt(2 d)`), and its gradient stays bounded there.

    Where a tail vanishes (`x_k = ... = x_n = 0`) the angles
    `phi_k..phi_{n-1}` are 0 (the limit `x_k -> 0+`); `x = 0` gives radius 0
    and all angles 0. Values and gradients are finite for every finite input.
    A last angle within rounding of `2 pi` is returned as 0.

    Args:
        x: float tensor `(..., n)` with a static last axis `n >= 2`.

    Returns:
        Tuple `(radius, angles)`: `radius` of shape `x.shape[:-1]` and
        `angles` of shape `(..., n-1)`, in the dtype of `x`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_hsvae.ops.spherical import cartesian_to_spherical
    >>> radius, angles = cartesian_to_spherical(np.array([[0.0, 1.0, -1.0]], "float32"))
    >>> ops.convert_to_numpy(radius).astype(float).round(4).tolist()
    [1.4142]
    >>> (ops.convert_to_numpy(angles) / np.pi).astype(float).round(4).tolist()
    [[0.5, 1.75]]
    """
    x, dtype = _prepare(x, "x")
    radius, y, tails = _scaled_tails(x)
    n = x.shape[-1]
    # Not `> 0`: a vector with NaN or inf (NaN tails) must give NaN angles.
    defined = ops.logical_not(tails == 0)
    safe_tails = ops.where(defined, tails, ops.ones_like(tails))
    # sqrt(t_k), with a safe argument: sqrt'(0) is infinite.
    tail_norms = ops.where(defined, ops.sqrt(safe_tails), ops.zeros_like(tails))

    # phi_k = atan2(sqrt(t_{k+1}), x_k) for k = 1..n-1 (the last one re-done
    # below with its sign). Both arguments vanish only when t_k = 0: there
    # atan2(0, 1) = 0, the convention, with a finite gradient.
    head_defined = defined[..., :-1]
    rise = ops.where(head_defined, tail_norms[..., 1:], ops.zeros_like(y[..., 1:]))
    run = ops.where(head_defined, y[..., :-1], ops.ones_like(y[..., :-1]))
    polar = trig.arctan2(rise, run)

    # phi_{n-1} = atan2(x_n, x_{n-1}) in (-pi, pi], then shifted to [0, 2 pi).
    last_defined = defined[..., n - 2 : n - 1]
    last_rise = ops.where(last_defined, y[..., n - 1 :], ops.zeros_like(y[..., :1]))
    last_run = ops.where(last_defined, y[..., n - 2 : n - 1], ops.ones_like(y[..., :1]))
    last = trig.arctan2(last_rise, last_run)
    two_pi = ops.convert_to_tensor(2.0 * math.pi, last.dtype)
    last = last + ops.where(last < 0, two_pi, ops.zeros_like(last))
    # -tiny + 2 pi rounds to 2 pi: subtract it again (keeps the gradient).
    last = last - ops.where(last >= two_pi, two_pi, ops.zeros_like(last))
    angles = ops.concatenate([polar[..., :-1], last], axis=-1)
    return ops.cast(radius, dtype), ops.cast(angles, dtype)


def spherical_to_cartesian(radius, angles):
    """Cartesian points from radius and hyperspherical angles.

    `x_k = r sin(phi_1)...sin(phi_{k-1}) cos(phi_k)` (k < n) and
    `x_n = r sin(phi_1)...sin(phi_{n-1})`: an exclusive cumulative product of
    the sines, O(n) per vector. The inverse of `cartesian_to_spherical` for
    angles in its ranges; any real angles are accepted (they are used through
    `sin` and `cos`). The map is smooth, and so are its gradients, at the
    poles too (angles 0 or pi, where a sine is 0).

    Args:
        radius: float tensor broadcastable to `angles.shape[:-1]`.
        angles: float tensor `(..., n-1)` with a static last axis `>= 1`.

    Returns:
        Tensor `(..., n)` in the dtype of `angles`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_hsvae.ops.spherical import spherical_to_cartesian
    >>> angles = np.array([[np.pi / 2, 1.75 * np.pi]], "float32")
    >>> x = spherical_to_cartesian(np.array([np.sqrt(2.0)], "float32"), angles)
    >>> (ops.convert_to_numpy(x).astype(float).round(4) + 0.0).tolist()  # no -0.0
    [[0.0, 1.0, -1.0]]
    """
    angles, dtype = _prepare(angles, "angles", min_size=1)
    radius = ops.cast(ops.convert_to_tensor(radius), angles.dtype)
    sines = trig.sin(angles)
    ones = ops.ones_like(angles[..., :1])
    # Exclusive product: (1, s_1, s_1 s_2, ..., s_1...s_{n-1}).
    prefix = ops.concatenate([ones, _cumprod(sines)], axis=-1)
    cosines = ops.concatenate([trig.cos(angles), ones], axis=-1)
    x = ops.expand_dims(radius, -1) * prefix * cosines
    return ops.cast(x, dtype)


def _scaled_tails(x):
    """Radius, `y = x / max|x|` and the tail sums `t_k` of `y` (last axis)."""
    # Divide each vector by its largest |x_j| before squaring: x^2 overflows
    # for |x| > ~1e19 (float32) and underflows for |x| < ~1e-19. The cosines
    # and angles are scale invariant and radius = scale * ||x / scale||, so
    # the gradient through the (non-smooth) max is exactly 0: stop it.
    scale = ops.stop_gradient(row_max_abs(x))
    # Not `scale > 0`: a vector with NaN (scale NaN) must stay NaN.
    nonzero = ops.logical_not(scale == 0)
    y = x / ops.where(nonzero, scale, ops.ones_like(scale))
    # Reversed cumulative sum: t_k accumulates from x_n back to x_k, so a small
    # tail is never the difference of two large totals (`total - cumsum`
    # cancels catastrophically for large n).
    tails = _reverse_cumsum(ops.square(y))
    # t_1 is in [1, n] unless x = 0: radius 0 there, with a safe sqrt argument.
    nonzero = ops.squeeze(nonzero, axis=-1)
    total = tails[..., 0]
    safe_total = ops.where(nonzero, total, ops.ones_like(total))
    radius = ops.where(
        nonzero,
        ops.squeeze(scale, axis=-1) * ops.sqrt(safe_total),
        ops.zeros_like(total),
    )
    return radius, y, tails


def _reverse_cumsum(a):
    """`out_k = a_k + ... + a_n` along the last axis, summed from the end."""
    out = ops.cumsum(ops.flip(a, axis=-1), axis=-1)
    if backend.standardize_dtype(out.dtype) != backend.standardize_dtype(a.dtype):
        # Keras 3.15's torch `cumsum` computes float64 in float32: use the
        # dtype-preserving scan instead (static check, decided when tracing).
        out = _scan(ops.flip(a, axis=-1), ops.add)
    return ops.flip(out, axis=-1)


def _cumprod(a):
    """Inclusive cumulative product along the last axis.

    Not `ops.cumprod`: TensorFlow's gradient of `cumprod` divides by the input
    and silently returns 0 where an entry is 0 (a sine at a pole), and Keras
    3.15's torch `cumprod` computes float64 in float32.
    """
    return _scan(a, ops.multiply)


def _scan(a, combine):
    """Inclusive scan of an associative `combine` along the last axis.

    The work-efficient (Blelloch) scan with `combine`, slicing and reshapes
    only: O(n) work, depth 2 log2(n), the dtype of `a` kept, and exact
    gradients (no division). The last axis must be static.
    """
    n = a.shape[-1]
    if n == 1:
        return a
    shape = ops.shape(a)
    flat = ops.reshape(a, (-1, n))
    if n % 2:  # pad to an even length; the pad only reaches the dropped slot
        flat = ops.concatenate([flat, flat[:, -1:]], axis=-1)
    even, odd = flat[:, 0::2], flat[:, 1::2]
    # inner_i = a_0 (.) ... (.) a_{2i+1}: the results at the odd positions.
    inner = _scan(combine(even, odd), combine)
    # At the even positions: a_0, then inner_{i-1} (.) a_{2i}.
    at_even = ops.concatenate(
        [even[:, :1], combine(inner[:, :-1], even[:, 1:])], axis=-1
    )
    out = ops.reshape(ops.stack([at_even, inner], axis=-1), (-1, 2 * inner.shape[-1]))
    return ops.reshape(out[:, :n], shape)


def _prepare(x, name, min_size=2):
    """`x` as a float tensor in a working dtype, and the dtype to return."""
    x = ops.convert_to_tensor(x)
    dtype = backend.standardize_dtype(x.dtype)
    if not backend.is_float_dtype(dtype):
        dtype = backend.floatx()
    n = x.shape[-1] if len(x.shape) else None
    if n is None or n < min_size:
        raise ValueError(
            f"`{name}` must have a static last axis of size >= {min_size}. "
            f"Received: {name}.shape={tuple(x.shape)}"
        )
    return ops.cast(x, _working_dtype(dtype)), dtype


def _working_dtype(dtype):
    """float32 for half-precision dtypes (sums of n squares), else `dtype`."""
    return compute_dtype(dtype)
