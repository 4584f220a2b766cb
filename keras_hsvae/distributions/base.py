"""Common plumbing for the distributions: argument checks and the KL registry."""

import numpy as np
from keras import backend, ops


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
    """Minimal base class: `dim` (ambient size m), `dtype`, `batch_shape`."""

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

    def _points(self, x):
        """`x` as a tensor of this dtype, checked to have `dim` on its last axis."""
        x = ops.convert_to_tensor(x, self.dtype)
        if x.shape[-1] is not None and x.shape[-1] != self.dim:
            raise ValueError(
                f"Expected points with last dimension {self.dim}. "
                f"Received: x.shape={tuple(x.shape)}"
            )
        return x

    def prob(self, x):
        """Density with respect to the surface measure of S^{m-1}."""
        return ops.exp(self.log_prob(x))

    def __repr__(self):
        return (
            f"<{type(self).__name__} dim={self._dim} batch_shape={self._batch_shape}"
            f" dtype={self._dtype}>"
        )
