"""The backend adapter for random draws: stateless draws keyed by a loop counter.

`keras.random` takes an int or a `SeedGenerator`, neither of which can change
inside `ops.while_loop` on JAX (a traced loop cannot update a generator's
state). Rejection loops therefore derive a fresh key per round from a base
seed tensor drawn once outside the loop, with each backend's own stateless
generators. Nothing else in the library touches a backend directly, except
the other `_backend_*.py` adapters (data parallelism, compilation, float64
trigonometry).
"""

import keras
from keras import backend

from keras_hsvae.ops._dtypes import float_constant


class IntSeedStream(keras.random.SeedGenerator):
    """The seeds `[seed, 0], [seed, 1], ...` of `SeedGenerator(seed)`, in Python.

    A `SeedGenerator` keeps its state in a variable, and TensorFlow refuses
    to create variables inside a `tf.function` after its first trace; this
    stream counts in Python instead, so an integer seed works under tracing
    too (each trace restarts the count: the same seeds as eager execution).
    """

    def __init__(self, seed):
        # No `super().__init__`: that would create the state variable.
        self._initial_seed = seed
        self._count = 0
        self.name = "int_seed_stream"

    def next(self, ordered=True):
        from keras.src.random.seed_generator import draw_seed

        first = draw_seed(self._initial_seed)  # [seed, 0] in the backend's dtype
        step = keras.ops.convert_to_tensor([0, self._count], dtype=first.dtype)
        self._count += 1
        return keras.ops.add(first, step)


class TensorSeedStream(keras.random.SeedGenerator):
    """The seeds `seed + [0, 0], seed + [0, 1], ...` of a seed tensor, in Python.

    Feeds `keras.random` (stateless draws on TensorFlow) inside a traced loop
    body, where a `SeedGenerator`'s variable cannot be advanced.
    """

    def __init__(self, seed):
        # No `super().__init__`: that would create the state variable.
        self._seed = seed
        self._count = 0
        self.name = "tensor_seed_stream"

    def next(self, ordered=True):
        step = keras.ops.convert_to_tensor([0, self._count], dtype=self._seed.dtype)
        self._count += 1
        return keras.ops.add(self._seed, step)


def tensor_seed_stream(seed):
    """A `TensorSeedStream` of a backend seed tensor; ValueError if it is not one.

    A seed tensor is an integer tensor of shape (2,) (Keras' own seeds; on
    JAX a legacy `PRNGKey`), or a typed JAX key (`jax.random.key`), whose
    two words are taken.
    """
    if backend.backend() == "jax":
        import jax

        if jax.dtypes.issubdtype(seed.dtype, jax.dtypes.prng_key):
            seed = jax.random.key_data(seed)
    dtype = keras.backend.standardize_dtype(seed.dtype)
    if tuple(seed.shape) != (2,) or "int" not in dtype:
        raise ValueError(
            "A seed tensor must hold two integers (shape (2,), like "
            "`jax.random.PRNGKey(0)`). Received: seed with shape "
            f"{tuple(seed.shape)} and dtype {dtype}"
        )
    from keras.src.random.seed_generator import draw_seed

    return TensorSeedStream(keras.ops.cast(seed, draw_seed(0).dtype))


def base_seed(seed_generator):
    """Draw one base seed tensor (shape (2,)) from a `SeedGenerator`."""
    return seed_generator.next()


def beta_and_uniform(shape, concentration, seed, counter, dtype, axis=-1):
    """Beta(c, c) and Uniform[0, 1) draws of `shape` for round `counter`.

    `concentration` is a Python float, or a tuple of them, one per entry of
    axis `axis` of `shape` (see `sample_symmetric_beta`).

    Independent across rounds and of each other; deterministic given
    (`seed`, `counter`).
    """
    # Deferred: `beta` imports this module (through `random`).
    from keras_hsvae.ops.beta import sample_symmetric_beta

    name = backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        # XLA has no kernel for `tf.random.stateless_gamma`
        # (StatelessRandomGammaV3): the Beta is drawn in keras.ops on
        # stateless normal and uniform draws, which `jit_compile` takes.
        # At most four draws per round (three, or four for proposals of
        # several concentrations with a 1/2 among them): seeds
        # [s0, s1 + 4 counter + k], k < 4.
        s = tf.cast(seed, tf.int64) + tf.stack([0, 4 * tf.cast(counter, tf.int64)])
        stream = TensorSeedStream(s)
        # An exhausted Gamma block (p < 1.1e-5) gives NaN, which Wood's test
        # rejects (comparisons with NaN are false): never accepted silently.
        eps = sample_symmetric_beta(shape, concentration, dtype, stream, axis)
        u = keras.random.uniform(shape, dtype=dtype, seed=stream)
        return eps, u
    if name == "jax":
        import jax

        key = jax.random.fold_in(jax.numpy.asarray(seed, "uint32"), counter)
        k1, k2 = jax.random.split(key)
        # `jax.random.beta` runs a Gamma rejection loop per element: 2-70x
        # slower on CPU than this vectorized draw (measured at c = 1/2..255).
        eps = sample_symmetric_beta(
            shape, concentration, dtype, TensorSeedStream(k1), axis
        )
        return eps, jax.random.uniform(k2, shape, dtype)
    if name in ("torch", "numpy"):
        # Eager backends: the loop runs in Python, so plain ints are available.
        base = [int(v) for v in keras.ops.convert_to_numpy(seed)]
        offset = (base[0] * 1_000_003 + base[1] * 7919 + 3 * int(counter)) & 0x7FFFFFFF
        if isinstance(concentration, tuple):
            along = [1] * len(shape)
            along[axis] = len(concentration)
            concentration = keras.ops.reshape(
                float_constant(concentration, dtype), along
            )
        eps = keras.random.beta(shape, concentration, concentration, dtype, offset)
        u = keras.random.uniform(shape, dtype=dtype, seed=offset + 1)
        return eps, u
    raise NotImplementedError(f"Unsupported backend: {name}")
