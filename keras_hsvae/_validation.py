"""Argument checks shared across the package; messages quote the bad value.

Integers may be Python or numpy integers (`np.int64(10)` is an integer);
booleans are never numbers here.
"""

import math
import numbers

import keras


def is_integer(value):
    """True for Python and numpy integers, False for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name, value, minimum=None, allow_none=False):
    """Return `value` as a Python int if it is an integer >= `minimum`."""
    if value is None and allow_none:
        return None
    if not is_integer(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(
            f"`{name}` must be an integer{bound}. Received: {name}={value!r}"
        )
    return int(value)


def check_float(name, value, minimum=None, allow_none=False):
    """Return `value` as a finite float >= `minimum` (if given)."""
    if value is None and allow_none:
        return None
    bound = "" if minimum is None else f" >= {minimum}"
    message = f"`{name}` must be a finite float{bound}. Received: {name}={value!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    value = float(value)
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        raise ValueError(message)
    return value


def check_choice(name, value, choices):
    """Return `value` if it is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {tuple(choices)}. Received: {name}={value!r}"
        )
    return value


def check_latent_dim(latent_dim, minimum=1, name="latent_dim"):
    """An integer latent size >= `minimum`, as a Python int."""
    return check_int(name, latent_dim, minimum)


def check_sphere_dim(dim, name="dim"):
    """The ambient size m >= 2 of a sphere S^{m-1}, as a Python int."""
    if not is_integer(dim) or dim < 2:
        raise ValueError(
            f"`{name}` must be an integer >= 2: the ambient size m of the "
            f"latent (samples lie on S^{{m-1}}). Received: {name}={dim!r}"
        )
    return int(dim)


def check_beta(beta):
    """Return `beta` as a float if it is a finite number >= 0."""
    message = f"`beta` must be a float >= 0. Received: beta={beta!r}"
    if isinstance(beta, bool):
        raise ValueError(message)
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(message)
    return value


def check_seed(seed):
    """Return `seed` as an int >= 0 or `None` (the form kept in configs).

    For the seeds of constructors, which become a `keras.random.SeedGenerator`:
    its state is uint32 on JAX and int32 on PyTorch, so seeds outside
    [0, 2**31) are refused on every backend (an `OverflowError` or
    `RuntimeError` there, a valid draw elsewhere).
    """
    if seed is None:
        return None
    if not is_seed(seed, 2**31):
        raise ValueError(
            f"`seed` must be an int >= 0 (and < 2**31) or None. Received: seed={seed!r}"
        )
    return int(seed)


def is_seed(seed, bound=2**32):
    """True for an integer seed in [0, bound) (JAX keeps seeds as uint32)."""
    return is_integer(seed) and 0 <= seed < bound


def check_model(name, value):
    """Return `value` if it is a `keras.Model` (encoders and decoders)."""
    if not isinstance(value, keras.Model):
        raise ValueError(f"`{name}` must be a keras.Model. Received: {name}={value!r}")
    return value
