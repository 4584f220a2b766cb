"""Shared helpers for the tests: gradients and float64 contexts per backend,
and a callback that sets a layer's KL weight per epoch."""

import contextlib

import keras
import numpy as np


def backend():
    return keras.backend.backend()


def float64():
    """Context in which float64 tensors stay float64 (JAX needs x64 enabled)."""
    if backend() == "jax":
        import jax

        return jax.enable_x64(True)
    return contextlib.nullcontext()


def value_and_grad(fn, *args):
    """`fn(*args)` and the gradient of `sum(fn(*args))` w.r.t. each arg (numpy)."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        xs = [tf.Variable(a) for a in args]
        with tf.GradientTape() as tape:
            out = fn(*xs)
            total = tf.reduce_sum(out)
        grads = tape.gradient(total, xs)
        return np.asarray(out), [np.asarray(g) for g in grads]
    if name == "jax":
        import jax
        import jax.numpy as jnp

        def total(*a):
            out = fn(*a)
            return jnp.sum(out), out

        # One jitted graph: far faster than JAX's op-by-op eager dispatch.
        fun = jax.jit(
            jax.value_and_grad(total, argnums=tuple(range(len(args))), has_aux=True)
        )
        (_, out), grads = fun(*[jnp.asarray(a) for a in args])
        return np.asarray(out), [np.asarray(g) for g in grads]
    if name == "torch":
        import torch

        xs = [torch.tensor(np.asarray(a), requires_grad=True) for a in args]
        out = fn(*xs)
        out.sum().backward()
        return out.detach().cpu().numpy(), [x.grad.cpu().numpy() for x in xs]
    raise NotImplementedError(name)


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


JIT_CACHE = {}


def compiled(fn):
    """`fn` itself, or on JAX a cached `jax.jit(fn)`.

    Eager JAX compiles every op separately (seconds per new shape); one jit
    per module-level function, reused across parametrized cases, is cheaper.
    Functions passed here draw with integer seeds (no generator state).
    """
    if backend() != "jax":
        return fn
    import jax

    key = (fn, bool(jax.config.jax_enable_x64))
    if key not in JIT_CACHE:
        JIT_CACHE[key] = jax.jit(fn)
    return JIT_CACHE[key]


def grad_of_sum(fn, x, *args, jit=True):
    """`(fn(x, *args), d sum(fn(x, *args)) / dx)` as numpy arrays.

    The gradient is taken with respect to `x` only; `args` pass through
    (mean directions, seeds). tf.GradientTape, jax.vjp (jitted and cached per
    `fn` unless `jit=False`: then `fn` may close over static values) or torch
    autograd, per Keras backend.
    """
    x = np.asarray(x)
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        xt = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = fn(xt, *args)
            total = tf.reduce_sum(y)
        return np.asarray(y), tape.gradient(total, xt).numpy()
    if name == "jax":
        import jax

        def value_and_grad(z, *rest):
            y, vjp = jax.vjp(lambda u: fn(u, *rest), z)
            return y, vjp(jax.numpy.ones_like(y))[0]

        if jit:
            key = ("grad", fn, bool(jax.config.jax_enable_x64))
            if key not in JIT_CACHE:
                JIT_CACHE[key] = jax.jit(value_and_grad)
            value_and_grad = JIT_CACHE[key]
        y, g = value_and_grad(jax.numpy.asarray(x), *args)
        return np.asarray(y), np.asarray(g)
    import torch

    xt = torch.tensor(x, requires_grad=True)
    y = fn(xt, *args)
    y.sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


class SetBeta(keras.callbacks.Callback):
    """Assign `values[epoch]` to `layer.beta_weight` at each epoch's start."""

    def __init__(self, layer, values):
        super().__init__()
        self.layer = layer
        self.values = values

    def on_epoch_begin(self, epoch, logs=None):
        self.layer.beta_weight.assign(self.values[epoch])
