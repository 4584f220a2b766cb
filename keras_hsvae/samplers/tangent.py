"""A Gaussian in the tangent space of the fitted mean direction, on the sphere."""

import keras
import numpy as np
from keras import ops

from keras_hsvae.ops.sae import check_radius
from keras_hsvae.ops.sphere import exp_map
from keras_hsvae.samplers.base import (
    _check_n,
    _check_unit_vector,
    _directions,
    _embeddings,
    _FittedSampler,
    _gaussian_draws,
    _jittered_cholesky,
    _positive,
)


def log_map(directions, mean_direction):
    """Tangent vectors at `mu` of unit vectors `u` (NumPy, float64).

    `log_mu(u) = theta (u - cos(theta) mu) / sin(theta)`, `theta =
    arccos(u . mu)`: orthogonal to `mu`, of length the arc from `mu` to `u`;
    `exp_map(log_map(u, mu), mu) == u`. Limits: `u == mu` gives 0 (theta /
    sin(theta) -> 1); `u == -mu` has no unique direction and also gives 0.
    """
    u = np.asarray(directions, dtype=np.float64)
    mu = np.asarray(mean_direction, dtype=np.float64)
    cos = np.clip(u @ mu, -1.0, 1.0)
    theta = np.arccos(cos)
    sin = np.sin(theta)
    # sin(theta) < 1e-12: at mu (or its antipode), where theta / sin(theta)
    # is 1 (or undefined) and u - cos(theta) mu is 0 up to rounding.
    ratio = np.where(sin > 1e-12, theta / np.maximum(sin, 1e-12), 1.0)
    return ratio[:, None] * (u - cos[:, None] * mu[None, :])


@keras.saving.register_keras_serializable(package="keras_hsvae")
class FittedTangentNormalSampler(_FittedSampler):
    """Draw from a Gaussian fitted in the tangent space of the mean direction.

    A vMF fitted to embeddings (`FittedVonMisesFisherSampler`) matches their
    mean direction and mean angle to it, but spreads its draws evenly over
    all `m - 1` tangent directions. The latents of a compressed HSC-VAE lie
    on an island that extends along a few directions only
    (`experiments/hsc_generation.py`: a participation ratio of the tangent
    covariance of about 9 at n = 128, against 119 for the fitted vMF's
    draws), so most vMF draws leave the island and decode badly. This
    sampler keeps the island's shape: `fit` takes the mean direction `mu`
    of the normalized embeddings (as the vMF), maps every direction to the
    tangent plane at `mu` (`log_map`), and fits the mean `a` and covariance
    `S` of those tangent vectors; a draw is `radius * exp_mu(t)` with
    `t ~ N(a, S + jitter)` projected onto the tangent plane. It is the
    "distribution with the same mean and covariance as the embeddings, on
    the sphere" of the HSC-VAE paper (001, section 4.4), which a vMF, being
    isotropic, cannot be.

    Args:
        radius: positive float or None (the mean norm of the embeddings).
        jitter: float >= 0, a diagonal jitter relative to the mean tangent
            variance, so that a rank-deficient covariance (N <= m) factors.

    Call arguments:
        n: int >= 1, the number of codes.
        seed: int, `keras.random.SeedGenerator` or None.

    Returns:
        `(n, m)` tensor of vectors of norm `radius`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.samplers import FittedTangentNormalSampler
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 3)) * [0.1, 0.5, 0.0] + [0.0, 0.0, 1.0]
    >>> sampler = FittedTangentNormalSampler().fit(x)
    >>> bool(sampler.mean_direction[2] > 0.99)
    True
    >>> z = keras.ops.convert_to_numpy(sampler(4000, seed=0))
    >>> bool(np.allclose(np.linalg.norm(z, axis=1), sampler.sample_radius))
    True
    >>> bool(z[:, 1].std() > 3 * z[:, 0].std())  # the spread keeps its shape
    True
    """

    def __init__(self, radius=None, jitter=1e-6):
        self.radius = None if radius is None else check_radius(radius)
        self.jitter = _positive(jitter, "jitter", allow_zero=True)
        self._fit = None
        self._scale_tril = None

    def _arguments(self):
        return {"radius": self.radius, "jitter": self.jitter}

    def fit(self, embeddings):
        """Fit `mu`, the tangent mean and covariance (and the radius).

        Args:
            embeddings: NumPy array or tensor `(N, m)`, N >= 2, m >= 2, finite,
                no zero rows.

        Returns:
            `self`.
        """
        x = _embeddings(embeddings, min_dim=2)
        norms, u = _directions(x)
        resultant = u.mean(axis=0)
        length = float(np.linalg.norm(resultant))
        if length < 1e-8:
            raise ValueError(
                "The embeddings have no mean direction (their unit vectors "
                "average to 0): a tangent plane at one point cannot describe "
                "them; use `FittedGaussianSampler(project_to_sphere=True)`. "
                f"Received: mean resultant length {length}"
            )
        mu = resultant / length
        tangent = log_map(u, mu)
        radius = self.radius if self.radius is not None else float(np.mean(norms))
        self._set_fit(
            mu.tolist(),
            tangent.mean(axis=0).tolist(),
            np.cov(tangent, rowvar=False).tolist(),
            radius,
        )
        return self

    def _set_fit(self, mean_direction, tangent_mean, tangent_covariance, radius):
        mu = _check_unit_vector(mean_direction, "mean_direction")
        mean = np.asarray(tangent_mean, dtype=np.float64)
        cov = np.asarray(tangent_covariance, dtype=np.float64)
        m = mu.shape[0]
        if mean.shape != (m,) or cov.shape != (m, m):
            raise ValueError(
                "`tangent_mean` must be (m,) and `tangent_covariance` (m, m) "
                f"for a mean direction of length m = {m}. Received: shapes "
                f"{mean.shape}, {cov.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
            raise ValueError("The fitted parameters must be finite. Received: NaN/inf")
        # The covariance has rank <= m - 1 (no spread along mu): jittered to
        # factor; draws are projected back onto the tangent plane.
        self._scale_tril = _jittered_cholesky(cov, self.jitter, m - 1)
        self._fit = {
            "mean_direction": [float(v) for v in mu],
            "tangent_mean": [float(v) for v in mean],
            "tangent_covariance": [[float(v) for v in row] for row in cov],
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
    def tangent_mean(self):
        """Mean of the tangent vectors at `mu` (float64 NumPy array `(m,)`)."""
        return np.asarray(self._require_fit()["tangent_mean"])

    @property
    def tangent_covariance(self):
        """Covariance of the tangent vectors at `mu` (float64 `(m, m)`)."""
        return np.asarray(self._require_fit()["tangent_covariance"])

    def __call__(self, n, seed=None):
        fit = self._require_fit()
        t = _gaussian_draws(_check_n(n), fit["tangent_mean"], self._scale_tril, seed)
        mu = ops.convert_to_tensor(fit["mean_direction"], t.dtype)
        # Back onto the tangent plane (the jitter and rounding add a little
        # along mu).
        t = t - ops.sum(t * mu, axis=-1, keepdims=True) * mu
        return exp_map(t, mu) * fit["radius"]
