"""Shared checks and base classes of the latent samplers."""

import math

import keras
import numpy as np
from keras import ops

from keras_hsvae._validation import check_int
from keras_hsvae.ops.random import check_seed_argument
from keras_hsvae.ops.sae import check_radius

# Largest concentration a fitted vMF sampler uses. The MLE is +inf when all
# embeddings point the same way (mean resultant length 1), and Wood's sampler
# in float32 returns NaN at kappa = 1e20 (finite up to 1e10, measured for
# m = 3, 10, 64); at 1e8 a draw is within an angle of about
# sqrt((m - 1) / 1e8) (3e-4 rad for m = 10) of the mean direction.
MAX_CONCENTRATION = 1e8

# Poisson CDF table: entries up to `rate + _POISSON_SIGMAS sqrt(rate) +
# _POISSON_MARGIN`, which leaves a tail mass below 1e-30 for every rate.
_POISSON_SIGMAS = 12.0
_POISSON_MARGIN = 40
# Largest Poisson rate (a CDF table of about 1e5 entries). Above it the
# Poisson is close to N(rate, rate) (skewness 1 / sqrt(rate) < 3e-3), whose
# mean centerization removes: use `distribution="normal"`.
MAX_POISSON_RATE = 1e5


def _check_n(n):
    """`n` if it is an integer >= 1 (a Python int or a scalar integer tensor).

    A symbolic tensor (e.g. the `num` input of an exported `generate`) is
    accepted unchecked; its value is only known when the graph runs.
    """
    message = f"`n` must be an integer >= 1. Received: n={n!r}"
    if isinstance(n, bool):
        raise ValueError(message)
    if isinstance(n, (int, np.integer)):
        if n < 1:
            raise ValueError(message)
        return int(n)
    if ops.is_tensor(n):
        if len(n.shape) != 0 or "int" not in str(n.dtype):
            raise ValueError(message)
        try:
            value = int(ops.convert_to_numpy(n))
        except Exception:  # symbolic or traced: checked when the graph runs
            return n
        if value < 1:
            raise ValueError(message)
        return n
    raise ValueError(message)


def _check_dim(dim, minimum, name="dim"):
    return check_int(name, dim, minimum)


def _positive(value, name, allow_zero=False):
    bad = isinstance(value, bool) or not isinstance(value, (int, float, np.number))
    if not bad:
        value = float(value)
        bad = not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero)
    if bad:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"`{name}` must be a finite number {bound}. Received: {name}={value!r}"
        )
    return value


def _embeddings(embeddings, min_dim):
    """Validated float64 NumPy copy of `(N, m)` embeddings (N >= 2)."""
    if ops.is_tensor(embeddings):
        embeddings = ops.convert_to_numpy(embeddings)
    try:
        x = np.asarray(embeddings, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            "`embeddings` must be a numeric array of shape (N, m). "
            f"Received: embeddings={embeddings!r}"
        ) from None
    if x.ndim != 2:
        raise ValueError(
            "`embeddings` must have rank 2, shape (N, m). "
            f"Received: embeddings.shape={x.shape}"
        )
    if x.shape[0] < 2:
        raise ValueError(
            "`embeddings` must have at least 2 rows to fit a distribution. "
            f"Received: embeddings.shape={x.shape}"
        )
    if x.shape[1] < min_dim:
        raise ValueError(
            f"`embeddings` must have at least {min_dim} columns. "
            f"Received: embeddings.shape={x.shape}"
        )
    if not np.all(np.isfinite(x)):
        rows = np.unique(np.nonzero(~np.isfinite(x))[0])[:5].tolist()
        raise ValueError(
            "`embeddings` must be finite (no NaN or inf). "
            f"Received: non-finite values in rows {rows}"
        )
    return x


def _directions(x):
    """Norms `(N,)` and unit rows of validated embeddings; no zero rows."""
    norms = np.linalg.norm(x, axis=1)
    if np.any(norms == 0):
        rows = np.nonzero(norms == 0)[0][:5].tolist()
        raise ValueError(
            "`embeddings` must not contain zero vectors (they have no "
            f"direction). Received: zero rows {rows}"
        )
    return norms, x / norms[:, None]


def _check_unit_vector(vector, name):
    """`vector` as a float64 unit vector of length >= 2, or a ValueError."""
    v = np.asarray(vector, dtype=np.float64)
    if v.ndim != 1 or v.shape[0] < 2 or not np.all(np.isfinite(v)):
        raise ValueError(
            f"`{name}` must be a finite vector of length >= 2. "
            f"Received: {name}={vector!r}"
        )
    norm = float(np.linalg.norm(v))
    if abs(norm - 1.0) > 1e-6:
        raise ValueError(
            f"`{name}` must be a unit vector. Received: {name} with norm {norm}"
        )
    return v


def _check_projection(project_to_sphere, radius):
    """`radius` checked against `project_to_sphere` (Gaussian samplers)."""
    if not isinstance(project_to_sphere, bool):
        raise ValueError(
            "`project_to_sphere` must be a bool. "
            f"Received: project_to_sphere={project_to_sphere!r}"
        )
    if radius is None:
        return None
    if not project_to_sphere:
        raise ValueError(
            "`radius` applies only with `project_to_sphere=True`. "
            f"Received: radius={radius!r}, project_to_sphere=False"
        )
    return check_radius(radius)


def _projection_radius(x, project_to_sphere, radius):
    """The radius a projecting sampler fitted to `x` uses (None: no projection)."""
    if not project_to_sphere:
        return None
    if radius is not None:
        return radius
    radius = float(np.mean(np.linalg.norm(x, axis=1)))
    if radius == 0:
        raise ValueError(
            "Cannot project to the mean embedding norm: every embedding is the "
            "zero vector. Pass `radius`. Received: embeddings of norm 0"
        )
    return radius


def _jittered_cholesky(covariance, jitter, num_directions):
    """Cholesky factor of `covariance + jitter * (mean variance) * I`.

    The mean variance is the trace over `num_directions` (the dimensions the
    covariance can spread along); a rank-deficient covariance (N <= m, or
    latents confined to a subspace) then factors, changed by a variance of
    `jitter` times the mean variance in every direction. A zero covariance
    uses `jitter * I`.
    """
    m = covariance.shape[0]
    mean_variance = float(np.trace(covariance)) / num_directions
    scale = jitter * (mean_variance if mean_variance > 0 else 1.0)
    try:
        return np.linalg.cholesky(covariance + scale * np.eye(m))
    except np.linalg.LinAlgError:
        raise ValueError(
            "The covariance is not positive definite even with the jitter "
            f"({jitter} x mean variance); pass a larger `jitter`. Received: "
            f"covariance eigenvalues down to "
            f"{float(np.linalg.eigvalsh(covariance)[0])}"
        ) from None


def _gaussian_draws(n, mean, scale_tril, seed):
    """`(n, m)` draws `mean + eps L^T` in `floatx`, `eps ~ N(0, I)`."""
    dtype = keras.backend.floatx()
    # One draw: an int seed goes to `keras.random` as is (no SeedGenerator,
    # so it works inside `tf.function` and equals the model's prior draw).
    eps = keras.random.normal(
        (n, len(mean)), dtype=dtype, seed=check_seed_argument(seed)
    )
    tril = ops.convert_to_tensor(scale_tril, dtype)
    # Row vectors: z = mean + eps L^T.
    return ops.convert_to_tensor(mean, dtype) + ops.matmul(eps, ops.transpose(tril))


class _Sampler:
    """Shared plumbing: argument checks, config round trip, repr."""

    def __call__(self, n, seed=None):
        raise NotImplementedError

    @property
    def dim(self):
        """Size of each drawn vector (`None` for a sampler not yet fitted)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} dim={self.dim}>"


class _FittedSampler(_Sampler):
    """A sampler whose parameters come from `fit(embeddings)`."""

    def _require_fit(self):
        if self._fit is None:
            raise ValueError(
                f"This {type(self).__name__} is not fitted: call "
                "`fit(embeddings)` (or `fit_model(model, x)`) before sampling. "
                "Received: an unfitted sampler"
            )
        return self._fit

    @property
    def fitted(self):
        """Whether `fit` (or a config with fitted parameters) has set it up."""
        return self._fit is not None

    @property
    def sample_radius(self):
        """Radius of the drawn vectors (`None` when they are not on a sphere).

        The `radius` argument, or else the mean norm of the fitted embeddings.
        """
        return self._require_fit()["radius"]

    def fit_model(self, model, x, batch_size=256):
        """Fit to `model.embed(x)`, computed in batches of `batch_size`.

        Args:
            model: a model with `embed(x)` and `latent_dim`.
            x: array of inputs, batched along the first axis.
            batch_size: int >= 1, inputs embedded at a time.

        Returns:
            `self`, fitted.
        """
        batch_size = _check_dim(batch_size, 1, "batch_size")
        x = np.asarray(x)
        chunks = [
            np.asarray(ops.convert_to_numpy(model.embed(x[i : i + batch_size])))
            for i in range(0, len(x), batch_size)
        ]
        if not chunks:
            raise ValueError(
                f"`x` must hold at least 2 inputs. Received: x.shape={x.shape}"
            )
        embeddings = np.concatenate(chunks, axis=0)
        latent_dim = getattr(model, "latent_dim", embeddings.shape[-1])
        if embeddings.ndim != 2 or embeddings.shape[-1] != latent_dim:
            raise ValueError(
                f"`model.embed(x)` must return (N, latent_dim={latent_dim}) "
                f"codes. Received: shape {embeddings.shape}"
            )
        return self.fit(embeddings)

    def get_config(self):
        return {**self._arguments(), "fit": self._fit}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fit = config.pop("fit", None)
        sampler = cls(**config)
        if fit is not None:
            sampler._set_fit(**fit)
        return sampler
