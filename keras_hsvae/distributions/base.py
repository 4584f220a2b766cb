"""The `Distribution` contract and the argument checks shared by distributions."""

import numpy as np
from keras import backend, ops

from keras_hsvae.distributions.kl import kl_divergence

# The methods of the contract, in the order the docs list them.
CONTRACT = ("sample", "log_prob", "mode", "mean", "entropy")


def concrete_value(x):
    """Return `x` as a numpy array when its value is known now, else `None`.

    Inside `tf.function`, `jax.jit` or a symbolic Keras graph the value is not
    available; checks that need it are then skipped (they run eagerly).
    """
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:  # symbolic or traced tensor
        return None


def float_tensor(x, dtype=None, name="value"):
    """Convert to a floating tensor (float32 unless `x` or `dtype` says otherwise)."""
    x = ops.convert_to_tensor(x, dtype=dtype)
    if not backend.is_float_dtype(x.dtype):
        x = ops.cast(x, dtype or "float32")
    return x


def check_finite(x, name):
    value = concrete_value(x)
    if value is not None and not np.all(np.isfinite(value)):
        bad = value[~np.isfinite(value)].ravel()[:3].tolist()
        raise ValueError(f"`{name}` must be finite. Received: {name} with {bad}")


def unit_tolerance(dtype):
    # A unit vector rounded to bfloat16 (8 bits) has a norm off by up to
    # 2^-8 ~ 4e-3; float16 (11 bits) by up to 2^-11 ~ 5e-4.
    if dtype == "bfloat16":
        return 1e-2
    return 1e-3 if dtype in ("float16", "float32") else 1e-6


def check_dim(dim, name="dim", minimum=2):
    if dim is None:
        raise ValueError(f"`{name}` must be known statically. Received: {name}=None")
    if int(dim) != dim or dim < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum} (samples lie on "
            f"S^{{{name}-1}} in R^{name}). Received: {name}={dim}"
        )
    return int(dim)


class Distribution:
    """Base class of the distributions: the contract every one of them follows.

    Attributes: `dim` (the ambient size m of an event), `dtype`,
    `batch_shape` and `event_shape = (dim,)`. Methods (shapes for a
    distribution of batch shape `B`):

    - `sample(sample_shape=(), seed=None)`: `sample_shape + B + (m,)`,
      seeded by an int or a `keras.random.SeedGenerator`;
    - `log_prob(x)`: `x` of shape `(..., m)` -> the broadcast of `x.shape[:-1]`
      and `B`;
    - `mode()`, `mean()`: `B + (m,)`;
    - `entropy()`: `B`;
    - `kl_divergence(other)`: `KL(self || other)` of shape `B`, from the
      registry of `keras_hsvae.distributions.kl` (`NotImplementedError` when
      no closed form is registered for the pair).

    Every result has the distribution's `dtype`; float16 and bfloat16
    distributions compute their special functions in float32 inside.

    A subclass lists the methods it implements in `supported_methods`; the
    others raise `NotImplementedError` naming the class (e.g. the uniform
    distribution on the sphere has no mode: every point is one).
    """

    supported_methods = ()
    # Subclasses taking `validate_args` set it; `_points(x, on_sphere=True)`
    # then also checks that the points are unit vectors.
    validate_args = False

    def __init__(self, dim, dtype, batch_shape, name):
        self._dim = dim
        self._dtype = backend.standardize_dtype(dtype)
        self._batch_shape = tuple(batch_shape)
        self.name = name

    @property
    def dim(self):
        """Ambient dimension `m`: samples are unit vectors in R^m (on S^{m-1})."""
        return self._dim

    @property
    def dtype(self):
        return self._dtype

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return (self._dim,)

    def _points(self, x, on_sphere=False):
        """`x` as a tensor of this dtype, checked to have `dim` on its last axis.

        With `on_sphere` and `validate_args`, points whose norm is off 1 by
        more than the dtype's rounding raise (when their values are known):
        a density on the sphere has no value off it.
        """
        x = ops.convert_to_tensor(x, self.dtype)
        if x.shape[-1] is not None and x.shape[-1] != self.dim:
            raise ValueError(
                f"Expected points with last dimension {self.dim}. "
                f"Received: x.shape={tuple(x.shape)}"
            )
        value = concrete_value(x) if on_sphere and self.validate_args else None
        if value is not None:
            norms = np.linalg.norm(value.astype(np.float64), axis=-1)
            tol = unit_tolerance(self.dtype)
            off = ~(np.abs(norms - 1.0) <= tol)  # NaN norms are off too
            if np.any(off):
                raise ValueError(
                    f"`x` of {self.name}.log_prob must contain unit vectors "
                    f"(|norm - 1| <= {tol}): the density lives on the sphere "
                    f"S^{self.dim - 1}. Received: x with norms "
                    f"{norms[off].ravel()[:5]}"
                )
        return x

    def _unsupported(self, method):
        supported = ", ".join(self.supported_methods) or "none"
        return NotImplementedError(
            f"{type(self).__name__} does not provide `{method}()`. "
            f"Supported methods of {type(self).__name__}: {supported}."
        )

    def sample(self, sample_shape=(), seed=None):
        """Draw `sample_shape + batch_shape + event_shape` samples."""
        raise self._unsupported("sample")

    def log_prob(self, x):
        """Log density at `x` (`(..., m)`), with the batch shape broadcast in."""
        raise self._unsupported("log_prob")

    def mode(self):
        """A mode, of shape `batch_shape + event_shape`."""
        raise self._unsupported("mode")

    def mean(self):
        """The mean `E[z]`, of shape `batch_shape + event_shape`."""
        raise self._unsupported("mean")

    def entropy(self):
        """The differential entropy, of shape `batch_shape`."""
        raise self._unsupported("entropy")

    def kl_divergence(self, other):
        """`KL(self || other)` from the registered closed forms (`kl.py`)."""
        return kl_divergence(self, other)

    def prob(self, x):
        """Density: `exp(log_prob(x))`."""
        return ops.exp(self.log_prob(x))

    def __repr__(self):
        return (
            f"<{type(self).__name__} dim={self._dim} batch_shape={self._batch_shape}"
            f" dtype={self._dtype}>"
        )
