"""Working precision of the special functions: float32 or better inside.

float16 overflows above 65504 and keeps 11 significant bits; bfloat16 has
float32's range but keeps only 8. Bessel series, log-gamma sums, rejection
tests and sums of squares lose every digit (or overflow) at those widths, so
special functions upcast half-precision inputs to float32 (`compute_dtype`),
compute there and cast the result back to the input dtype. float32 and
float64 are left untouched (the casts are then no-ops). Casts are
differentiable on every backend, so gradients reach half-precision inputs.

numpy knows neither bfloat16 nor its limits: `finfo` goes through
`ml_dtypes` (a Keras dependency), which covers all four float widths.
"""

import ml_dtypes
import numpy as np
from keras import backend, ops

HALF_DTYPES = ("float16", "bfloat16")


def _dtype_of(x_or_dtype):
    dtype = getattr(x_or_dtype, "dtype", x_or_dtype)
    return backend.standardize_dtype(dtype)


def compute_dtype(x_or_dtype):
    """The dtype special functions compute in for a tensor or a dtype.

    `"float32"` for float16 and bfloat16, the (standardized) dtype itself for
    every other float dtype, and `"float32"` for non-float dtypes.

    Example:

    >>> from keras_hsvae.ops._dtypes import compute_dtype
    >>> compute_dtype("bfloat16"), compute_dtype("float64")
    ('float32', 'float64')
    """
    dtype = _dtype_of(x_or_dtype)
    if dtype in HALF_DTYPES or not backend.is_float_dtype(dtype):
        return "float32"
    return dtype


def upcast(x):
    """`(x in its compute dtype, dtype to return)` for a tensor-like `x`.

    Non-float inputs (Python numbers, integer tensors) compute and return in
    float32; half-precision inputs compute in float32 and return in their
    own dtype.
    """
    x = ops.convert_to_tensor(x)
    dtype = backend.standardize_dtype(x.dtype)
    if not backend.is_float_dtype(dtype):
        dtype = "float32"
    return ops.cast(x, compute_dtype(dtype)), dtype


def cast_back(x, dtype):
    """Cast `x` to `dtype` (no-op when it already has it)."""
    if backend.standardize_dtype(x.dtype) == backend.standardize_dtype(dtype):
        return x
    return ops.cast(x, dtype)


def finfo(dtype):
    """Machine limits (`max`, `tiny`, `eps`) of any float dtype, bfloat16 included.

    Example:

    >>> from keras_hsvae.ops._dtypes import finfo
    >>> float(finfo("float16").max), float(finfo("bfloat16").eps)
    (65504.0, 0.0078125)
    """
    return ml_dtypes.finfo(_dtype_of(dtype))


def float_constant(values, dtype):
    """Python floats (a number or a nested sequence) as a tensor of `dtype`.

    Built from a numpy array: PyTorch's `convert_to_tensor` walks a Python
    list element by element (60-180 us for 4-20 floats against 18 us from an
    array), a cost the eager training step pays for every constant. numpy
    rounds each Python float (a float64) to float32 as the backends do; half
    dtypes go through float32.

    Example:

    >>> from keras import ops
    >>> from keras_hsvae.ops._dtypes import float_constant
    >>> ops.convert_to_numpy(float_constant([0.5, 1.5], "float32")).tolist()
    [0.5, 1.5]
    """
    dtype = backend.standardize_dtype(dtype)
    if dtype in ("float32", "float64"):
        return ops.convert_to_tensor(np.asarray(values, dtype), dtype)
    return ops.cast(ops.convert_to_tensor(np.asarray(values, "float32")), dtype)
