"""Special functions missing from `keras.ops`: log-gamma, digamma, sphere area.

`keras.ops` has no `lgamma` or `digamma` and the backends disagree on what
they offer, so these are written once here on top of `keras.ops`. Both use
the recurrence to shift small arguments to `y >= 8` and an asymptotic series
there; the absolute error is a few ulps of `max(1, |result|)` for positive
arguments in float32 and float64. float16 and bfloat16 inputs are computed
in float32 and rounded once (`_dtypes.py`): the shift product
x (x+1) ... (x+7) overflows float16 (65504) for x > 1.19.
"""

import math

from keras import ops

from keras_hsvae._validation import check_int
from keras_hsvae.ops._dtypes import cast_back, upcast

# Shift arguments below this to the asymptotic regime.
_SHIFT = 8
# Stirling series B_2k / (2k (2k-1)) for k = 1..7; at y = 8 the first omitted
# term is 3617 / (122400 * 8**15) ~ 8e-16.
_STIRLING = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
)
# Digamma asymptotic series B_2k / (2k) for k = 1..7.
_DIGAMMA = (
    1.0 / 12.0,
    -1.0 / 120.0,
    1.0 / 252.0,
    -1.0 / 240.0,
    1.0 / 132.0,
    -691.0 / 32760.0,
    1.0 / 12.0,
)
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def _shift(x):
    """Return `y = x + shift >= 8` and the shift products as a log or a sum."""
    small = x < _SHIFT
    y = ops.where(small, x + _SHIFT, x)
    return small, y


def stirling_correction(y):
    """`lgamma(y) - [(y - 1/2) log y - y + log(2 pi)/2]` for `y >= 8`.

    Computed from its own series, so it keeps full relative precision where
    `lgamma(y)` is large (y up to 1e7 and beyond) and a subtraction would not.
    """
    y, dtype = upcast(y)
    r = 1.0 / y
    r2 = r * r
    acc = ops.zeros_like(y)
    for c in reversed(_STIRLING):
        acc = acc * r2 + c
    return cast_back(acc * r, dtype)


def lgamma(x):
    """Natural log of the gamma function for positive real `x`.

    Args:
        x: float tensor, `x > 0`. Non-positive inputs give NaN.

    Returns:
        `log Gamma(x)`, same dtype as `x` (computed in float32 for float16 and
        bfloat16 inputs).

    Example:

    >>> from keras_hsvae import ops as hops
    >>> round(float(hops.lgamma(5.0)), 5)  # log(4!)
    3.17805
    """
    x, dtype = upcast(x)
    small, y = _shift(x)
    # log Gamma(x) = log Gamma(x + 8) - log(x (x+1) ... (x+7)) for x < 8.
    prod = ops.ones_like(x)
    for k in range(_SHIFT):
        prod = prod * (x + k)
    shift_log = ops.where(small, ops.log(ops.where(small, prod, 1.0)), 0.0)
    value = (y - 0.5) * ops.log(y) - y + _HALF_LOG_TWO_PI + stirling_correction(y)
    value = value - shift_log
    return cast_back(ops.where(x > 0, value, ops.full_like(x, float("nan"))), dtype)


def digamma(x):
    """The digamma function `psi(x) = d/dx log Gamma(x)` for positive real `x`.

    Args:
        x: float tensor, `x > 0`. Non-positive inputs give NaN.

    Example:

    >>> from keras_hsvae import ops as hops
    >>> round(float(hops.digamma(1.0)), 6)  # -Euler gamma
    -0.577216
    """
    x, dtype = upcast(x)
    small, y = _shift(x)
    # psi(x) = psi(x + 8) - sum_k 1 / (x + k) for x < 8.
    shift_sum = ops.zeros_like(x)
    for k in range(_SHIFT):
        shift_sum = shift_sum + 1.0 / (x + k)
    shift_sum = ops.where(small, shift_sum, 0.0)
    r2 = 1.0 / (y * y)
    acc = ops.zeros_like(y)
    for c in reversed(_DIGAMMA):
        acc = acc * r2 + c
    value = ops.log(y) - 0.5 / y - acc * r2 - shift_sum
    return cast_back(ops.where(x > 0, value, ops.full_like(x, float("nan"))), dtype)


def log_sphere_area(dim, dtype="float32"):
    """Log surface area of the unit sphere S^{dim-1} in R^dim.

    `log(2 pi^{dim/2} / Gamma(dim/2))`; computed in Python float64 and cast.

    Args:
        dim: int, ambient dimension `m >= 1` (samples on S^{m-1}).
        dtype: output dtype.

    Example:

    >>> from keras_hsvae import ops as hops
    >>> round(float(hops.log_sphere_area(3)), 6)  # log(4 pi)
    2.531024
    """
    dim = check_int("dim", dim, 1)
    value = math.log(2.0) + 0.5 * dim * math.log(math.pi) - math.lgamma(0.5 * dim)
    return ops.convert_to_tensor(value, dtype)
