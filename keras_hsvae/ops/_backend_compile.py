"""Compile a function of tensors once per shape where eager dispatch is slow."""

import functools

import keras


def compile_once_per_shape(fn, static_argnums=()):
    """`fn` compiled with `jax.jit` on JAX; unchanged on the other backends.

    Eager JAX dispatches every `keras.ops` call separately (about 1 ms each
    on a loaded CPU), so a special function of a few hundred operations
    called in a Python loop (an EM fit) costs seconds per call; compiled it
    costs microseconds after one trace per input shape and per value of the
    Python arguments named in `static_argnums` (a dimension). On TensorFlow
    a `tf.function` of the same functions was slower here than eager
    execution (tracing dominated); PyTorch dispatches in microseconds.
    """
    name = keras.backend.backend()
    if name == "jax":
        import jax

        return functools.wraps(fn)(jax.jit(fn, static_argnums=static_argnums))
    return fn
