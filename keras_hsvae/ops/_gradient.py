"""Attach an analytic first derivative to a value, on every Keras backend."""

from keras import ops

from keras_hsvae.ops._dtypes import finfo


def with_gradient(value, x, grad):
    """Return `value` whose derivative with respect to `x` is `grad`.

    The identity `value + (x - stop_gradient(x)) * grad` is exact in value
    (the second term is an exact zero) and gives `d/dx = grad` on TensorFlow,
    JAX and PyTorch alike, inside `jit`, `tf.function` and SavedModel export.
    Only the first derivative is provided; nothing is differentiated through
    the computation of `value` or `grad`, so non-finite intermediates in
    discarded `where` branches cannot leak NaN into gradients.

    Args:
        value: tensor, the function value (its own graph is cut).
        x: tensor, the differentiation variable, broadcastable to `value`.
        grad: tensor, `d value / d x`, broadcastable to `value`.
    """
    dtype = value.dtype
    # +-inf derivatives (e.g. d/dx log I_v(x) at x = 0) become the largest
    # finite float: 0 * inf would turn the exact-zero term into NaN.
    big = ops.convert_to_tensor(float(finfo(dtype).max), dtype)
    grad = ops.stop_gradient(ops.clip(ops.nan_to_num(grad, nan=0.0), -big, big))
    zero = ops.cast(x, dtype) - ops.stop_gradient(ops.cast(x, dtype))
    return ops.stop_gradient(value) + zero * grad
