"""A diagonal Gaussian on R^m (the beta-VAE posterior and prior)."""

import math

import keras
import numpy as np
from keras import ops

from keras_hsvae._validation import check_int
from keras_hsvae.distributions.base import (
    Distribution,
    check_finite,
    concrete_value,
    float_tensor,
)
from keras_hsvae.distributions.kl import register_kl
from keras_hsvae.ops._dtypes import compute_dtype
from keras_hsvae.ops.random import check_seed_argument


def _numeric(x, name, dtype=None):
    """`float_tensor(x)`, or one `ValueError` naming `name` if not numeric."""
    try:
        return float_tensor(x, dtype=dtype, name=name)
    except Exception:  # noqa: BLE001 (each backend has its own error type)
        raise ValueError(
            f"`{name}` must be a numeric array. Received: {name}={x!r}"
        ) from None


def _broadcasts(shape, target):
    """Whether `shape` broadcasts to `target` (unknown sizes pass)."""
    if len(shape) > len(target):
        return False
    pairs = zip(reversed(shape), reversed(target))
    return all(a in (1, b) or a is None or b is None for a, b in pairs)


class Normal(Distribution):
    """Diagonal Gaussian `N(loc, diag(scale^2))` with event shape `(m,)`.

    Unlike the spherical distributions, samples live in all of R^m (`dim`
    may be 1). `log_prob` sums over the last axis. float16 and bfloat16
    densities, entropies and KLs are summed in float32 (squares overflow
    float16 above 256) and rounded once.

    Args:
        loc: float tensor `(..., m)`.
        scale: positive float tensor broadcastable to `loc`.
        validate_args: whether to check, where the values are known
            eagerly, that `loc` and `scale` are finite and `scale > 0`
            (one `ValueError` otherwise). Layers pass `False`: their
            parameters are finite by construction, or NaN rows from NaN
            inputs.

    Example:

    >>> from keras_hsvae.distributions import Normal
    >>> q = Normal([0.0, 0.0], [1.0, 1.0])
    >>> round(float(q.log_prob([0.0, 0.0])), 6)  # -log(2 pi)
    -1.837877
    """

    supported_methods = ("sample", "log_prob", "mode", "mean", "entropy")

    def __init__(self, loc, scale, validate_args=True, name="Normal"):
        loc = _numeric(loc, "loc")
        scale = _numeric(scale, "scale", dtype=loc.dtype)
        if validate_args:
            check_finite(loc, "loc")
            check_finite(scale, "scale")
            value = concrete_value(scale)
            if value is not None and np.any(value <= 0):
                raise ValueError(
                    "`scale` must be positive. "
                    f"Received: scale with {value[value <= 0].ravel()[:3].tolist()}"
                )
        if len(loc.shape) == 0 or loc.shape[-1] is None:
            raise ValueError(
                "`loc` must have a known last axis (the event size m). "
                f"Received: loc.shape={tuple(loc.shape)}"
            )
        if not _broadcasts(tuple(scale.shape), tuple(loc.shape)):
            raise ValueError(
                "`scale` must broadcast to the shape of `loc`. Received: "
                f"scale.shape={tuple(scale.shape)}, loc.shape={tuple(loc.shape)}"
            )
        self.loc = loc
        self.scale = ops.broadcast_to(scale, ops.shape(loc))
        super().__init__(int(loc.shape[-1]), loc.dtype, tuple(loc.shape[:-1]), name)

    @classmethod
    def standard(cls, dim, dtype="float32"):
        """`N(0, I)` in R^dim."""
        dim = check_int("dim", dim, 1)
        return cls(ops.zeros((dim,), dtype), ops.ones((dim,), dtype))

    def sample(self, sample_shape=(), seed=None):
        """Draw `sample_shape + batch_shape + (m,)` by `loc + scale * eps`."""
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        shape = tuple(sample_shape) + tuple(ops.shape(self.loc))
        seed = check_seed_argument(seed)  # >= 0 on every backend
        eps = keras.random.normal(shape, dtype=self.dtype, seed=seed)
        return self.loc + self.scale * eps

    def log_prob(self, x):
        work = compute_dtype(self.dtype)
        x = ops.cast(self._points(x), work)
        loc, scale = ops.cast(self.loc, work), ops.cast(self.scale, work)
        u = (x - loc) / scale
        per_dim = -0.5 * ops.square(u) - ops.log(scale)
        log_prob = ops.sum(per_dim, axis=-1) - 0.5 * self.dim * math.log(2.0 * math.pi)
        return ops.cast(log_prob, self.dtype)

    def entropy(self):
        scale = ops.cast(self.scale, compute_dtype(self.dtype))
        entropy = ops.sum(ops.log(scale), axis=-1) + 0.5 * self.dim * (
            1.0 + math.log(2.0 * math.pi)
        )
        return ops.cast(entropy, self.dtype)

    def mean(self):
        return self.loc

    def mode(self):
        return self.loc


@register_kl(Normal, Normal)
def _kl_normal_normal(q, p):
    # Closed form, per dimension: log(s_p/s_q) + (s_q^2 + (m_q-m_p)^2)/(2 s_p^2) - 1/2.
    work = compute_dtype(q.dtype)
    q_loc, q_scale = ops.cast(q.loc, work), ops.cast(q.scale, work)
    p_loc, p_scale = ops.cast(p.loc, work), ops.cast(p.scale, work)
    ratio = ops.square(q_scale / p_scale)
    diff = ops.square((q_loc - p_loc) / p_scale)
    kl = ops.sum(0.5 * (ratio + diff - 1.0 - ops.log(ratio)), axis=-1)
    return ops.cast(kl, q.dtype)
