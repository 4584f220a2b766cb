"""Mixtures fitted to embeddings by EM: of vMFs, and of projected Gaussians.

SPEC section 2: the latents of a compressed HSC-VAE do not fill a single
isotropic cap, so one fitted vMF generates poorly; mixtures fitted to the
training embeddings (50 vMFs, or 10 full-covariance Gaussians projected to
the sphere) generate at the floor of decoding real embeddings. Both are
fitted here by expectation-maximization in float64 NumPy, seeded, from a
k-means++ start; their draws go through `keras.random` and
`keras_hsvae.distributions`, so they trace like the other samplers.
"""

import keras
import numpy as np
from keras import ops

from keras_hsvae import ops as hops
from keras_hsvae._validation import check_int
from keras_hsvae.distributions import VonMisesFisher
from keras_hsvae.ops._backend_compile import compile_once_per_shape
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
    _jittered_cholesky,
    _positive,
    _projection_radius,
)


def _logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    # A row of -inf (a point no component can reach) stays -inf, not NaN.
    top = np.where(np.isfinite(top), top, 0.0)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def _kmeans_plus_plus(x, k, distance, rng):
    """Indices of `k` seeds drawn by k-means++ under `distance(x, c) -> (N,)`."""
    chosen = [int(rng.integers(len(x)))]
    nearest = distance(x, x[chosen[0]])
    for _ in range(1, k):
        total = float(nearest.sum())
        if total <= 0:  # fewer distinct points than components
            chosen.append(int(rng.integers(len(x))))
            continue
        chosen.append(int(rng.choice(len(x), p=nearest / total)))
        nearest = np.minimum(nearest, distance(x, x[chosen[-1]]))
    return chosen


def _check_weights(weights, k):
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (k,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(
            f"`weights` must be {k} finite numbers >= 0. Received: weights={weights!r}"
        )
    if abs(float(w.sum()) - 1.0) > 1e-6:
        raise ValueError(f"`weights` must sum to 1. Received: sum {float(w.sum())}")
    return w


def _em(log_densities, m_step, state, max_iterations, tolerance):
    """Run EM from `state`; returns `(state, mean log-likelihood, iterations)`.

    `log_densities(state) -> (N, K)` holds `log pi_k + log p_k(x_i)`;
    `m_step(resp) -> state` refits every component from the responsibilities.
    Stops when the mean log-likelihood gains less than `tolerance`.
    """
    previous = -np.inf
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        joint = log_densities(state)
        total = _logsumexp(joint, axis=1)
        state = m_step(np.exp(joint - total[:, None]))
        value = float(np.mean(total))
        if value - previous < tolerance:
            break
        previous = value
    return state, float(np.mean(_logsumexp(log_densities(state), axis=1))), iterations


# The EM fit calls these once per iteration on K values: compiled on JAX.
_vmf_log_normalizer = compile_once_per_shape(hops.vmf_log_normalizer, (0,))
_vmf_concentration_mle = compile_once_per_shape(hops.vmf_concentration_mle, (1,))


class _Mixture(_FittedSampler):
    """What both mixtures share: EM settings, weights, component draws."""

    def __init__(self, num_components, max_iterations, tolerance, fit_seed):
        self.num_components = check_int("num_components", num_components, 1)
        self.max_iterations = check_int("max_iterations", max_iterations, 1)
        self.tolerance = _positive(tolerance, "tolerance", allow_zero=True)
        self.fit_seed = check_int("fit_seed", fit_seed, 0)
        self._fit = None
        self.fit_report = None

    def _arguments(self):
        return {
            "num_components": self.num_components,
            "max_iterations": self.max_iterations,
            "tolerance": self.tolerance,
            "fit_seed": self.fit_seed,
        }

    def _start(self, embeddings, min_dim):
        """Validated embeddings (at least `num_components` rows) and an RNG."""
        x = _embeddings(embeddings, min_dim=min_dim)
        if len(x) < self.num_components:
            raise ValueError(
                f"`embeddings` must have at least num_components="
                f"{self.num_components} rows. Received: {len(x)} rows"
            )
        return x, np.random.default_rng(self.fit_seed)

    def _run_em(self, log_densities, m_step, state):
        state, loglik, iterations = _em(
            log_densities, m_step, state, self.max_iterations, self.tolerance
        )
        self.fit_report = {"mean_log_likelihood": loglik, "iterations": iterations}
        return state

    @property
    def weights(self):
        """Fitted mixture weights `(K,)` (float64 NumPy array)."""
        return np.asarray(self._require_fit()["weights"])

    def _draw_components(self, n, seed, *parameters):
        """`(n, ...)` rows of each of `parameters` `(K, ...)`, by weight."""
        dtype = keras.backend.floatx()
        with np.errstate(divide="ignore"):
            logits = np.log(np.asarray(self._require_fit()["weights"]))[None, :]
        index = keras.random.categorical(
            ops.convert_to_tensor(logits, "float32"), _check_n(n), seed=seed
        )[0]
        return [
            ops.take(ops.convert_to_tensor(p, dtype), index, axis=0) for p in parameters
        ]


@keras.saving.register_keras_serializable(package="keras_hsvae")
class FittedVonMisesFisherMixtureSampler(_Mixture):
    """Draw from a mixture of vMFs fitted to latent embeddings.

    `fit` divides the `(N, m)` embeddings by their norms and fits `K`
    components `pi_k vMF(mu_k, kappa_k)` by EM (Banerjee et al. 2005, soft
    assignments): the E-step weighs each point by `log pi_k + log C_m(kappa_k)
    + kappa_k mu_k^T x` (`keras_hsvae.ops.vmf_log_normalizer`, in log space),
    the M-step sets `mu_k` to the normalized weighted resultant and solves
    `A_m(kappa_k) = R_k` (`keras_hsvae.ops.vmf_concentration_mle`). With
    `num_components=1` this is `FittedVonMisesFisherSampler`'s fit. A draw
    picks a component by weight, then draws from it, times `radius` (default:
    the mean embedding norm).

    Args:
        num_components: int >= 1, K.
        radius: positive float or None (the mean norm of the embeddings).
        max_iterations: int >= 1, EM iterations at most.
        tolerance: float >= 0, stop when the mean log-likelihood gains less.
        fit_seed: int >= 0, seed of the k-means++ start.

    Call arguments:
        n: int >= 1, the number of codes.
        seed: int, `keras.random.SeedGenerator` or None.

    Returns:
        `(n, m)` tensor of vectors of norm `radius`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.samplers import FittedVonMisesFisherMixtureSampler
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(size=(300, 3)) * 0.1 + c
    ...                     for c in ([0, 0, 1.0], [1.0, 0, 0])])
    >>> sampler = FittedVonMisesFisherMixtureSampler(2, radius=1.0).fit(x)
    >>> sorted(np.round(sampler.weights, 2).tolist())
    [0.5, 0.5]
    >>> tuple(sampler(4, seed=0).shape)
    (4, 3)

    Reference:
        Banerjee et al., "Clustering on the unit hypersphere using von
        Mises-Fisher distributions", JMLR 6 (2005).
    """

    def __init__(
        self,
        num_components=50,
        radius=None,
        max_iterations=100,
        tolerance=1e-6,
        fit_seed=0,
    ):
        super().__init__(num_components, max_iterations, tolerance, fit_seed)
        self.radius = None if radius is None else check_radius(radius)

    def _arguments(self):
        return {**super()._arguments(), "radius": self.radius}

    def fit(self, embeddings):
        """Fit weights, mean directions and concentrations to `(N, m)` embeddings.

        Args:
            embeddings: NumPy array or tensor `(N, m)`, N >= num_components,
                N >= 2, m >= 2, finite, no zero rows.

        Returns:
            `self`; `fit_report` holds the mean log-likelihood (of the unit
            directions, per point) and the EM iterations.
        """
        x, rng = self._start(embeddings, min_dim=2)
        norms, u = _directions(x)
        m = x.shape[1]
        k = self.num_components
        # 1 - cos, clipped: rounding puts it a few ulps below 0 at c itself.
        spread = lambda a, c: np.maximum(1.0 - a @ c, 0.0)  # noqa: E731
        seeds = u[_kmeans_plus_plus(u, k, spread, rng)]
        nearest = np.argmax(u @ seeds.T, axis=1)

        def log_normalizer(kappa):
            # A float64 array stays float64 where the backend has it.
            value = _vmf_log_normalizer(m, ops.convert_to_tensor(kappa))
            return np.asarray(ops.convert_to_numpy(value), dtype=np.float64)

        def m_step(resp):
            mass = resp.sum(axis=0)
            resultant = resp.T @ u
            length = np.linalg.norm(resultant, axis=1)
            # An empty component (no mass) keeps a valid direction, weight 0.
            mu = np.where(length[:, None] > 0, resultant, seeds)
            mu = mu / np.linalg.norm(mu, axis=1, keepdims=True)
            r = np.where(mass > 0, length / np.maximum(mass, 1e-300), 0.0)
            kappa = _vmf_concentration_mle(ops.convert_to_tensor(r), m)
            # R -> 1 (one point, or identical points) gives kappa -> inf.
            kappa = np.minimum(
                np.asarray(ops.convert_to_numpy(kappa), np.float64), MAX_CONCENTRATION
            )
            return mass / mass.sum(), mu, kappa

        def log_densities(state):
            weights, mu, kappa = state
            with np.errstate(divide="ignore"):
                log_weights = np.log(weights)
            return log_weights + log_normalizer(kappa) + (u @ mu.T) * kappa

        weights, mu, kappa = self._run_em(
            log_densities, m_step, m_step(np.eye(k)[nearest])
        )
        radius = self.radius if self.radius is not None else float(np.mean(norms))
        self._set_fit(weights.tolist(), mu.tolist(), kappa.tolist(), radius)
        return self

    def _set_fit(self, weights, mean_directions, concentrations, radius):
        mu = np.asarray(mean_directions, dtype=np.float64)
        if mu.ndim != 2:
            raise ValueError(
                f"`mean_directions` must be (K, m). Received: shape {mu.shape}"
            )
        mu = np.stack([_check_unit_vector(v, "mean_directions") for v in mu])
        k = mu.shape[0]
        kappa = np.asarray(concentrations, dtype=np.float64)
        if kappa.shape != (k,):
            raise ValueError(
                f"`concentrations` must have {k} entries. Received: shape {kappa.shape}"
            )
        kappa = [
            min(
                _positive(float(c), "concentrations", allow_zero=True),
                MAX_CONCENTRATION,
            )
            for c in kappa
        ]
        self._fit = {
            "weights": [float(w) for w in _check_weights(weights, k)],
            "mean_directions": [[float(v) for v in row] for row in mu],
            "concentrations": kappa,
            "radius": check_radius(radius),
        }

    @property
    def dim(self):
        return None if self._fit is None else len(self._fit["mean_directions"][0])

    @property
    def mean_directions(self):
        """Fitted unit mean directions `(K, m)` (float64 NumPy array)."""
        return np.asarray(self._require_fit()["mean_directions"])

    @property
    def concentrations(self):
        """Fitted concentrations `(K,)` (float64 NumPy array)."""
        return np.asarray(self._require_fit()["concentrations"])

    def __call__(self, n, seed=None):
        fit = self._require_fit()
        seed = seed_generator(seed)
        mu, kappa = self._draw_components(
            n, seed, fit["mean_directions"], fit["concentrations"]
        )
        q = VonMisesFisher(
            mu,
            kappa,
            # Rounded to float32, each mu is a unit vector only to ~1e-7.
            normalize=True,
            validate_args=False,
        )
        return q.sample(seed=seed) * fit["radius"]


@keras.saving.register_keras_serializable(package="keras_hsvae")
class FittedGaussianMixtureSampler(_Mixture):
    """Draw from a full-covariance Gaussian mixture fitted to embeddings.

    `fit` runs EM on the `(N, m)` embeddings for `K` components `pi_k N(m_k,
    S_k)`, from a k-means++ start; every M-step adds `jitter` times the mean
    variance of the data to each covariance's diagonal (a component on a few
    points, or on the SAE's hyperplane, stays positive definite). The
    covariances are maximum-likelihood ones (divisor `N_k`). With
    `project_to_sphere=True` every draw is projected radially to the sphere
    of radius `radius` (default: the mean embedding norm), SPEC section 2's
    "10 full-covariance Gaussians projected to the sphere".

    Args:
        num_components: int >= 1, K.
        project_to_sphere: bool, project the draws to a sphere.
        radius: positive float or None; only with `project_to_sphere=True`.
        jitter: float >= 0, the relative diagonal regularization above.
        max_iterations: int >= 1, EM iterations at most.
        tolerance: float >= 0, stop when the mean log-likelihood gains less.
        fit_seed: int >= 0, seed of the k-means++ start.

    Call arguments:
        n: int >= 1, the number of codes.
        seed: int, `keras.random.SeedGenerator` or None.

    Returns:
        `(n, m)` tensor.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.samplers import FittedGaussianMixtureSampler
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(size=(400, 2)) + [8.0, 0.0],
    ...                     rng.normal(size=(100, 2)) - [8.0, 0.0]])
    >>> sampler = FittedGaussianMixtureSampler(2).fit(x)
    >>> sorted(np.round(sampler.weights, 2).tolist())
    [0.2, 0.8]
    >>> tuple(sampler(4, seed=0).shape)
    (4, 2)
    """

    def __init__(
        self,
        num_components=10,
        project_to_sphere=False,
        radius=None,
        jitter=1e-6,
        max_iterations=100,
        tolerance=1e-6,
        fit_seed=0,
    ):
        super().__init__(num_components, max_iterations, tolerance, fit_seed)
        self.radius = _check_projection(project_to_sphere, radius)
        self.project_to_sphere = project_to_sphere
        self.jitter = _positive(jitter, "jitter", allow_zero=True)
        self._scale_trils = None

    def _arguments(self):
        return {
            **super()._arguments(),
            "project_to_sphere": self.project_to_sphere,
            "radius": self.radius,
            "jitter": self.jitter,
        }

    def fit(self, embeddings):
        """Fit weights, means and covariances to `(N, m)` embeddings.

        Args:
            embeddings: NumPy array or tensor `(N, m)`, N >= num_components,
                N >= 2, finite.

        Returns:
            `self`; `fit_report` holds the mean log-likelihood per point and
            the EM iterations.
        """
        x, rng = self._start(embeddings, min_dim=1)
        n, m = x.shape
        k = self.num_components
        seeds = x[
            _kmeans_plus_plus(x, k, lambda a, c: np.sum((a - c) ** 2, axis=1), rng)
        ]
        nearest = np.argmin(
            np.sum(x**2, 1)[:, None] - 2 * x @ seeds.T + np.sum(seeds**2, 1), axis=1
        )
        mean_variance = float(np.trace(np.atleast_2d(np.cov(x, rowvar=False)))) / m
        # All points equal: a unit scale keeps the covariances factorable.
        floor = self.jitter * (mean_variance if mean_variance > 0 else 1.0)

        def m_step(resp):
            mass = resp.sum(axis=0)
            safe = np.maximum(mass, 1e-300)
            # An empty component keeps its seed as mean, weight 0.
            means = np.where(mass[:, None] > 0, (resp.T @ x) / safe[:, None], seeds)
            covs = np.empty((k, m, m))
            for j in range(k):
                d = x - means[j]
                covs[j] = (resp[:, j, None] * d).T @ d / safe[j] + floor * np.eye(m)
            return mass / mass.sum(), means, covs

        def log_densities(state):
            weights, means, covs = state
            out = np.empty((n, k))
            for j in range(k):
                tril = np.linalg.cholesky(covs[j])
                y = np.linalg.solve(tril, (x - means[j]).T)
                log_det = 2.0 * np.sum(np.log(np.diag(tril)))
                out[:, j] = -0.5 * (
                    np.sum(y**2, axis=0) + log_det + m * np.log(2 * np.pi)
                )
            with np.errstate(divide="ignore"):
                return out + np.log(weights)

        weights, means, covs = self._run_em(
            log_densities, m_step, m_step(np.eye(k)[nearest])
        )
        radius = _projection_radius(x, self.project_to_sphere, self.radius)
        # The stored covariances hold the regularization already; sampling
        # adds no second jitter.
        self._set_fit(weights.tolist(), means.tolist(), covs.tolist(), radius)
        return self

    def _set_fit(self, weights, means, covariances, radius=None):
        means = np.asarray(means, dtype=np.float64)
        covs = np.asarray(covariances, dtype=np.float64)
        if means.ndim != 2 or covs.shape != means.shape + (means.shape[1],):
            raise ValueError(
                "`covariances` must be (K, m, m) for means of shape (K, m). "
                f"Received: means.shape={means.shape}, covariances.shape="
                f"{covs.shape}"
            )
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covs))):
            raise ValueError(
                "The fitted `means` and `covariances` must be finite. "
                "Received: non-finite values"
            )
        if self.project_to_sphere and radius is None:
            raise ValueError(
                "A projecting sampler needs a fitted `radius`. Received: radius=None"
            )
        k, m = means.shape
        weights = _check_weights(weights, k)
        self._scale_trils = np.stack([_jittered_cholesky(c, 0.0, m) for c in covs])
        self._fit = {
            "weights": [float(w) for w in weights],
            "means": [[float(v) for v in row] for row in means],
            "covariances": [[[float(v) for v in row] for row in c] for c in covs],
            "radius": None if radius is None else check_radius(radius),
        }

    @property
    def dim(self):
        return None if self._fit is None else len(self._fit["means"][0])

    @property
    def means(self):
        """Fitted component means `(K, m)` (float64 NumPy array)."""
        return np.asarray(self._require_fit()["means"])

    @property
    def covariances(self):
        """Fitted covariances `(K, m, m)`, regularization included."""
        return np.asarray(self._require_fit()["covariances"])

    def __call__(self, n, seed=None):
        fit = self._require_fit()
        seed = seed_generator(seed)
        means, trils = self._draw_components(n, seed, fit["means"], self._scale_trils)
        eps = keras.random.normal(ops.shape(means), dtype=means.dtype, seed=seed)
        # z = m_k + L_k eps, one factor per row.
        z = means + ops.squeeze(ops.matmul(trils, ops.expand_dims(eps, -1)), -1)
        if self.project_to_sphere:
            z = hops.spherize(z, fit["radius"])
        return z
