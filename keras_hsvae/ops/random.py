"""Seeded random draws on the sphere, written in `keras.ops`."""

import numbers

import keras

from keras_hsvae._validation import check_int, is_integer, is_seed
from keras_hsvae.ops._backend_random import IntSeedStream, tensor_seed_stream
from keras_hsvae.ops._dtypes import cast_back, compute_dtype
from keras_hsvae.ops.sphere import rescale_to_radius


def sample_uniform_sphere(shape, dim, dtype="float32", seed=None):
    """Draw points uniformly on the unit sphere S^{dim-1} in R^dim.

    Normalizes standard normal vectors (the rotation-invariant construction).
    A draw with all coordinates exactly zero has probability zero in exact
    arithmetic; it is mapped to `e_1` (`rescale_to_radius`) so the result is
    always a unit vector. float16 and bfloat16 points are drawn and normalized
    in float32, then rounded.

    Args:
        shape: tuple, batch shape of the draws.
        dim: int >= 1, ambient dimension `m` (points on S^{m-1}).
        dtype: float dtype of the result.
        seed: int, `keras.random.SeedGenerator` or `None`.

    Returns:
        Tensor of shape `shape + (dim,)`.

    Example:

    >>> from keras import ops
    >>> from keras_hsvae.ops import sample_uniform_sphere
    >>> x = sample_uniform_sphere((4,), 3, seed=0)
    >>> ops.convert_to_numpy(ops.norm(x, axis=-1)).round(5).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    dim = check_int("dim", dim, 1)
    shape = _check_shape(shape) + (dim,)
    if isinstance(seed, (numbers.Number, str)):  # not a generator or tensor
        seed = check_seed_argument(seed)
    x = keras.random.normal(shape, dtype=compute_dtype(dtype), seed=seed)
    return cast_back(rescale_to_radius(x, 1.0), dtype)


def _check_shape(shape):
    """`shape` as a tuple; its static entries must be integers >= 0."""
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or any(
        isinstance(d, (bool, float, str)) or (is_integer(d) and d < 0) for d in dims
    ):
        raise ValueError(
            f"`shape` must be a tuple of integers >= 0. Received: shape={shape!r}"
        )
    return dims


def seed_generator(seed):
    """Return a `keras.random.SeedGenerator` for `seed` (or `None` for None).

    Functions that make several draws must not reuse one integer seed for all
    of them: on JAX the same integer gives the same key, so e.g. a Beta draw
    and a uniform draw with `seed=5` would be dependent. A generator built
    once from the integer advances between draws. Works inside `jax.jit`
    and `tf.function` (the stream of an int seed is counted in Python).
    """
    seed = check_seed_argument(seed)
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        return seed
    return IntSeedStream(seed)


def check_seed_argument(seed):
    """`seed` as None, a `SeedGenerator` or an int >= 0.

    Accepted: None, an int in [0, 2**32), a `keras.random.SeedGenerator`,
    or a seed tensor of the backend: an integer tensor of shape (2,), such
    as `jax.random.PRNGKey(0)` (a typed `jax.random.key` too), traced or
    not, so a draw can be compiled with the seed as an argument. A seed
    tensor comes back as a stream of seeds `seed + [0, k]`, as a
    `SeedGenerator` advances (`seed=5` and the tensor `[5, 0]` draw the
    same). Ints outside [0, 2**32) are refused on every backend: JAX keeps
    seeds as uint32 (an `OverflowError` there, a valid draw on TensorFlow
    and PyTorch).
    """
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        return seed
    if keras.ops.is_tensor(seed):
        return tensor_seed_stream(seed)
    if not is_seed(seed):
        raise ValueError(
            "`seed` must be an int >= 0 (and < 2**32), a "
            "`keras.random.SeedGenerator`, a seed tensor of shape (2,) or "
            f"None. Received: seed={seed!r}"
        )
    return int(seed)
