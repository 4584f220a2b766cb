"""`sin`, `cos` and `arctan2` that compute float64 inputs in float64.

Keras 3.15 maps float64 to float32 in its type promotion on every backend
but TensorFlow (`BIT64_TO_BIT32_DTYPE` in `keras.src.backend.common.dtypes`),
and its trigonometric ops promote through it: on JAX `ops.sin`, `ops.cos`
and `ops.arctan2`, on PyTorch `ops.arctan2`, return float32 for float64
inputs, so a float64 angle map would be only float32-accurate. For float64
inputs these call the backend's own function, which keeps the dtype (and
differentiates natively); every other case goes through `keras.ops`.
"""

from keras import backend, ops


def _float64_native(*xs):
    """The backend's math module where `xs` are float64 and Keras would downcast."""
    if any(backend.standardize_dtype(x.dtype) != "float64" for x in xs):
        return None
    name = backend.backend()
    if name == "jax":
        import jax.numpy as jnp

        return jnp
    if name == "torch":
        import torch

        return torch
    return None


def sin(x):
    """`ops.sin(x)`, in float64 for float64 `x` on every backend."""
    x = ops.convert_to_tensor(x)
    native = _float64_native(x)
    return native.sin(x) if native is not None else ops.sin(x)


def cos(x):
    """`ops.cos(x)`, in float64 for float64 `x` on every backend."""
    x = ops.convert_to_tensor(x)
    native = _float64_native(x)
    return native.cos(x) if native is not None else ops.cos(x)


def arctan2(y, x):
    """`ops.arctan2(y, x)`, in float64 for float64 inputs on every backend."""
    y, x = ops.convert_to_tensor(y), ops.convert_to_tensor(x)
    native = _float64_native(y, x)
    return native.arctan2(y, x) if native is not None else ops.arctan2(y, x)
