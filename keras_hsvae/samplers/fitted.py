"""Samplers fitted to embeddings: a vMF (ML concentration) and a Gaussian."""

import keras
import numpy as np
from keras import ops

from keras_hsvae import ops as hops
from keras_hsvae.distributions import (
    VonMisesFisher,
)
from keras_hsvae.ops.random import seed_generator
from keras_hsvae.ops.sae import check_radius
from keras_hsvae.samplers.base import (
    MAX_CONCENTRATION,
    _check_n,
    _check_projection,
    _check_unit_vector,
    _directions,
    _embeddings,
    _FittedSampler,
    _gaussian_draws,
    _jittered_cholesky,
    _positive,
    _projection_radius,
)


@keras.saving.register_keras_serializable(package="keras_hsvae")
class FittedVonMisesFisherSampler(_FittedSampler):
    """Draw from a von Mises-Fisher distribution fitted to latent embeddings.

    The generation rule of the HSC-VAE paper (SPEC section 2): `fit` takes
    embeddings `x_i` (N, m), divides them by their norms, and fits by maximum
    likelihood the mean direction `mu = mean(x_i / |x_i|) / R` (with `R` the
    mean resultant length) and the concentration `kappa`, the root of
    `A_m(kappa) = R` (`keras_hsvae.ops.vmf_concentration_mle`: Banerjee's
    approximation refined by Newton steps). Samples are `radius * z`,
    `z ~ vMF(mu, kappa)`, where `radius` defaults to the mean embedding norm
    (sqrt(n) for an `HSCVAE` with `rescale=True`, 1 for an `SVAE`).

    The solve runs in float64 where the backend allows it (TensorFlow,
    PyTorch, JAX with `jax_enable_x64`), else in float32, whose rounding of
    `R` limits kappa to a relative accuracy of about `6e-8 / (1 - R)`.
    Limits: `R = 0` gives `kappa = 0` (uniform; `mu` is then `e_1`, any
    direction being equally likely); `R -> 1` (all embeddings along one
    direction) gives kappa -> inf, capped at `MAX_CONCENTRATION` (1e8).

    Args:
        radius: positive float or None (the mean norm of the embeddings).

    Call arguments:
        n: int >= 1, the number of codes.
        seed: int, `keras.random.SeedGenerator` or None.

    Returns:
        `(n, m)` tensor of vectors of norm `radius`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.samplers import FittedVonMisesFisherSampler
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 3)) + [0.0, 0.0, 4.0]
    >>> sampler = FittedVonMisesFisherSampler(radius=1.0).fit(x)
    >>> bool(sampler.mean_direction[2] > 0.99), sampler.concentration > 10
    (True, True)
    >>> z = keras.ops.convert_to_numpy(sampler(4, seed=0))
    >>> z.shape, bool(np.allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5))
    ((4, 3), True)

    Reference:
        Banerjee et al., "Clustering on the unit hypersphere using von
        Mises-Fisher distributions", JMLR 6 (2005).
    """

    def __init__(self, radius=None):
        self.radius = None if radius is None else check_radius(radius)
        self._fit = None

    def _arguments(self):
        return {"radius": self.radius}

    def fit(self, embeddings):
        """Fit `mu`, `kappa` (and the radius if `None`) to `(N, m)` embeddings.

        Args:
            embeddings: NumPy array or tensor `(N, m)`, N >= 2, m >= 2, finite,
                no zero rows.

        Returns:
            `self`.
        """
        x = _embeddings(embeddings, min_dim=2)
        norms, directions = _directions(x)
        resultant = np.mean(directions, axis=0)
        length = float(np.linalg.norm(resultant))
        m = x.shape[1]
        if length > 0:
            mean_direction = resultant / length
        else:
            # R = 0: the likelihood does not depend on mu (kappa = 0).
            mean_direction = np.eye(m)[0]
        # Rounding can put R a few ulps above 1 when all directions agree;
        # `vmf_concentration_mle` returns +inf for R >= 1, capped below.
        # A 0-d float64 array stays float64 on every backend that has it
        # (float32 under JAX without `jax_enable_x64`).
        kappa = hops.vmf_concentration_mle(ops.convert_to_tensor(np.array(length)), m)
        kappa = min(float(ops.convert_to_numpy(kappa)), MAX_CONCENTRATION)
        radius = self.radius if self.radius is not None else float(np.mean(norms))
        self._set_fit(mean_direction.tolist(), kappa, radius)
        return self

    def _set_fit(self, mean_direction, concentration, radius):
        mu = _check_unit_vector(mean_direction, "mean_direction")
        concentration = _positive(concentration, "concentration", allow_zero=True)
        self._fit = {
            "mean_direction": [float(v) for v in mu],
            "concentration": min(concentration, MAX_CONCENTRATION),
            "radius": check_radius(radius),
        }

    @property
    def dim(self):
        return None if self._fit is None else len(self._fit["mean_direction"])

    @property
    def mean_direction(self):
        """Fitted unit mean direction `mu` (float64 NumPy array)."""
        return np.asarray(self._require_fit()["mean_direction"])

    @property
    def concentration(self):
        """Fitted concentration `kappa` (a float)."""
        return self._require_fit()["concentration"]

    def __call__(self, n, seed=None):
        fit = self._require_fit()
        n = _check_n(n)
        dtype = keras.backend.floatx()
        q = VonMisesFisher(
            ops.convert_to_tensor(fit["mean_direction"], dtype),
            ops.convert_to_tensor(fit["concentration"], dtype),
            # Rounded to float32, mu is a unit vector only to ~1e-7.
            normalize=True,
            validate_args=False,
        )
        z = q.sample((n,), seed=seed_generator(seed))
        return z * fit["radius"]


@keras.saving.register_keras_serializable(package="keras_hsvae")
class FittedGaussianSampler(_FittedSampler):
    """Draw from a full-covariance Gaussian fitted to latent embeddings.

    `fit` computes the sample mean and the unbiased sample covariance
    (`np.cov`, divisor N - 1) of the `(N, m)` embeddings. Samples are
    `mean + L eps` with `eps ~ N(0, I)` and `L` the Cholesky factor of
    `covariance + jitter * (trace(covariance) / m) * I`: the jitter, relative
    to the mean variance, makes the factorization exist when the covariance
    is rank deficient (N <= m, or latents confined to a subspace such as the
    SAE's hyperplane `sum(z) = 0`), and changes the distribution by a
    variance of `jitter` times the mean variance in every direction. A zero
    covariance (all embeddings equal) uses `jitter * I`.

    With `project_to_sphere=True` every draw is then projected radially to
    the sphere of radius `radius` (default: the mean embedding norm) with
    `keras_hsvae.ops.spherize` (the SPEC's "Gaussian fitted with full
    covariance then projected").

    Args:
        project_to_sphere: bool, project the draws to a sphere.
        radius: positive float or None; only with `project_to_sphere=True`.
        jitter: float >= 0, the relative diagonal jitter above.

    Call arguments:
        n: int >= 1, the number of codes.
        seed: int, `keras.random.SeedGenerator` or None.

    Returns:
        `(n, m)` tensor.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.samplers import FittedGaussianSampler
    >>> x = np.random.default_rng(0).normal(size=(1000, 2)) * [1.0, 3.0]
    >>> sampler = FittedGaussianSampler().fit(x)
    >>> bool(np.allclose(sampler.covariance, np.cov(x, rowvar=False)))
    True
    >>> tuple(sampler(5, seed=0).shape)
    (5, 2)
    """

    def __init__(self, project_to_sphere=False, radius=None, jitter=1e-6):
        self.radius = _check_projection(project_to_sphere, radius)
        self.project_to_sphere = project_to_sphere
        self.jitter = _positive(jitter, "jitter", allow_zero=True)
        self._fit = None
        self._scale_tril = None

    def _arguments(self):
        return {
            "project_to_sphere": self.project_to_sphere,
            "radius": self.radius,
            "jitter": self.jitter,
        }

    def fit(self, embeddings):
        """Fit the mean and covariance (and the radius) to `(N, m)` embeddings.

        Args:
            embeddings: NumPy array or tensor `(N, m)`, N >= 2, finite.

        Returns:
            `self`.
        """
        x = _embeddings(embeddings, min_dim=1)
        mean = np.mean(x, axis=0)
        covariance = np.atleast_2d(np.cov(x, rowvar=False))
        radius = _projection_radius(x, self.project_to_sphere, self.radius)
        self._set_fit(mean.tolist(), covariance.tolist(), radius)
        return self

    def _set_fit(self, mean, covariance, radius=None):
        mean = np.asarray(mean, dtype=np.float64)
        cov = np.asarray(covariance, dtype=np.float64)
        if mean.ndim != 1 or cov.shape != (mean.shape[0], mean.shape[0]):
            raise ValueError(
                "`covariance` must be (m, m) for a mean of length m. Received: "
                f"mean.shape={mean.shape}, covariance.shape={cov.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
            raise ValueError(
                "The fitted `mean` and `covariance` must be finite. "
                "Received: non-finite values"
            )
        if self.project_to_sphere and radius is None:
            raise ValueError(
                "A projecting sampler needs a fitted `radius`. Received: radius=None"
            )
        tril = _jittered_cholesky(cov, self.jitter, mean.shape[0])
        self._scale_tril = tril
        self._fit = {
            "mean": [float(v) for v in mean],
            "covariance": [[float(v) for v in row] for row in cov],
            "radius": None if radius is None else check_radius(radius),
        }

    @property
    def dim(self):
        return None if self._fit is None else len(self._fit["mean"])

    @property
    def mean(self):
        """Fitted mean (float64 NumPy array `(m,)`)."""
        return np.asarray(self._require_fit()["mean"])

    @property
    def covariance(self):
        """Fitted covariance (float64 NumPy array `(m, m)`, without jitter)."""
        return np.asarray(self._require_fit()["covariance"])

    @property
    def scale_tril(self):
        """Cholesky factor `L` used for sampling (jitter included)."""
        self._require_fit()
        return self._scale_tril

    def __call__(self, n, seed=None):
        fit = self._require_fit()
        z = _gaussian_draws(_check_n(n), fit["mean"], self._scale_tril, seed)
        if self.project_to_sphere:
            z = hops.spherize(z, fit["radius"])
        return z
