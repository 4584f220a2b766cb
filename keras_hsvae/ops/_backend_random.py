"""The one backend adapter: stateless random draws keyed by a loop counter.

`keras.random` takes an int or a `SeedGenerator`, neither of which can change
inside `ops.while_loop` on JAX (a traced loop cannot update a generator's
state). Rejection loops therefore derive a fresh key per round from a base
seed tensor drawn once outside the loop, with each backend's own stateless
generators. Nothing else in the library touches a backend directly.
"""

import keras
from keras import backend


def base_seed(seed_generator):
    """Draw one base seed tensor (shape (2,)) from a `SeedGenerator`."""
    return seed_generator.next()


def beta_and_uniform(shape, concentration, seed, counter, dtype):
    """Beta(c, c) and Uniform[0, 1) draws of `shape` for round `counter`.

    Independent across rounds and of each other; deterministic given
    (`seed`, `counter`).
    """
    name = backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        s = tf.cast(seed, tf.int64) + tf.stack([0, 3 * tf.cast(counter, tf.int64)])
        g1 = tf.random.stateless_gamma(shape, s, alpha=concentration, dtype=dtype)
        g2 = tf.random.stateless_gamma(
            shape, s + [0, 1], alpha=concentration, dtype=dtype
        )
        u = tf.random.stateless_uniform(shape, s + [0, 2], dtype=dtype)
        return g1 / (g1 + g2), u
    if name == "jax":
        import jax

        key = jax.random.fold_in(jax.numpy.asarray(seed, "uint32"), counter)
        k1, k2 = jax.random.split(key)
        eps = jax.random.beta(k1, concentration, concentration, shape, dtype)
        return eps, jax.random.uniform(k2, shape, dtype)
    if name in ("torch", "numpy"):
        # Eager backends: the loop runs in Python, so plain ints are available.
        base = [int(v) for v in keras.ops.convert_to_numpy(seed)]
        offset = (base[0] * 1_000_003 + base[1] * 7919 + 3 * int(counter)) & 0x7FFFFFFF
        eps = keras.random.beta(shape, concentration, concentration, dtype, offset)
        u = keras.random.uniform(shape, dtype=dtype, seed=offset + 1)
        return eps, u
    raise NotImplementedError(f"Unsupported backend: {name}")
