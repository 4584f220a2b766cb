"""Latent samplers for `model.generate`: the prior, fitted vMF and Gaussian
distributions, and the prior-robust sampling of the Spherical Auto-Encoder.

A sampler is a callable `sampler(n, seed=None) -> (n, dim)` tensor of dtype
`keras.backend.floatx()`. Every draw goes through `keras.random` and
`keras_hsvae.ops` / `keras_hsvae.distributions`, so a sampler traces inside
`jax.jit` and `tf.function` and can be baked into an exported SavedModel
(`keras_hsvae.export`). `seed` is an int (the same int gives the same draw),
a `keras.random.SeedGenerator` (advanced by the call) or `None` (Keras'
global generator: eager mode only under JAX). Int seeds also work inside
`tf.function` and `jax.jit`: the samplers that draw several times (vMF,
`SphericalPriorSampler`, a product `PriorSampler`) turn them into a stream of
seeds counted in Python (`keras_hsvae.ops.random.seed_generator`), not into
a variable.

Fitting (`fit(embeddings)`) happens once, eagerly, in float64 NumPy; the
fitted parameters are plain lists and floats, kept in `get_config`, so a
model whose `sampler` attribute holds a fitted sampler saves and reloads it:

    model.sampler = FittedVonMisesFisherSampler().fit(model.embed(x_test))
    model.save("model.keras")  # the sampler's mean, kappa and radius included

Every class is registered with `keras.saving` (package `keras_hsvae`).
"""

import math

import keras
import numpy as np
from keras import ops

from keras_hsvae import ops as hops
from keras_hsvae._validation import check_int, is_integer
from keras_hsvae.distributions import (
    HypersphericalUniform,
    Normal,
    ProductHypersphericalUniform,
    VonMisesFisher,
)
from keras_hsvae.ops.random import seed_generator
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


def _check_seed(seed):
    """`seed` unchanged if it is an int, a `SeedGenerator` or None.

    For samplers that make a single draw: an int goes to `keras.random` as
    is (no `SeedGenerator` is created, so it also works inside
    `tf.function`, and the draw equals the model's own prior draw).
    """
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        return seed
    if not is_integer(seed):
        raise ValueError(
            "`seed` must be an int, a `keras.random.SeedGenerator` or None. "
            f"Received: seed={seed!r}"
        )
    return int(seed)


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


@keras.saving.register_keras_serializable(package="keras_hsvae")
class PriorSampler(_Sampler):
    """Draw latent codes from a model's prior.

    `prior="sphere"`: uniform on the sphere of radius `radius` in R^dim (or,
    with `shell_dims`, independently uniform on each shell of a product of
    spheres, each of radius `radius`). `prior="normal"`: `N(0, I)`.
    `PriorSampler.for_model(model)` picks the prior of a `keras_hsvae` model.

    Args:
        dim: int, size of each code (>= 2 for the sphere, >= 1 for normal).
        prior: `"sphere"` or `"normal"`.
        radius: positive float, the sphere's radius (must stay 1.0 for
            `"normal"`).
        shell_dims: optional list of ints >= 2 summing to `dim`: a product of
            spheres (the prior of `ProductSVAE`).

    Call arguments:
        n: int >= 1, the number of codes.
        seed: int, `keras.random.SeedGenerator` or None.

    Returns:
        `(n, dim)` tensor.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.samplers import PriorSampler
    >>> z = PriorSampler(3, radius=2.0)(4, seed=0)
    >>> np.linalg.norm(keras.ops.convert_to_numpy(z), axis=-1).round(5).tolist()
    [2.0, 2.0, 2.0, 2.0]
    """

    PRIORS = ("sphere", "normal")

    def __init__(self, dim, prior="sphere", radius=1.0, shell_dims=None):
        if prior not in self.PRIORS:
            raise ValueError(
                f"`prior` must be one of {self.PRIORS}. Received: prior={prior!r}"
            )
        self._dim = _check_dim(dim, 2 if prior == "sphere" else 1)
        self.prior = prior
        self.radius = check_radius(radius)
        if prior == "normal" and self.radius != 1.0:
            raise ValueError(
                "`radius` applies to `prior='sphere'` only; `N(0, I)` has no "
                f"radius. Received: radius={radius!r}, prior='normal'"
            )
        if shell_dims is not None:
            if prior != "sphere":
                raise ValueError(
                    "`shell_dims` applies to `prior='sphere'` only. "
                    f"Received: shell_dims={shell_dims!r}, prior={prior!r}"
                )
            shell_dims = [_check_dim(d, 2, "shell_dims[i]") for d in shell_dims]
            if not shell_dims or sum(shell_dims) != self._dim:
                raise ValueError(
                    f"`shell_dims` must be a non-empty list summing to dim={dim}. "
                    f"Received: shell_dims={shell_dims!r}"
                )
        self.shell_dims = shell_dims

    @property
    def dim(self):
        return self._dim

    @classmethod
    def for_model(cls, model):
        """The prior sampler of a `keras_hsvae` model.

        `SVAE`: unit sphere; `ProductSVAE`: product of unit spheres of its
        `shell_dims`; `BetaVAE`: `N(0, I)`; `HSCVAE`: sphere of radius
        `sqrt(latent_dim)` (`N(0, I)` when built with `rescale=False`);
        `SAE`: sphere of the model's `radius` (1 by default). The prior is
        read from `model.prior_distribution()`; models without a prior
        density (HSCVAE, SAE) give the sphere of their `radius`.

        Note that `SAE.generate` without a sampler draws on the sphere inside
        the hyperplane `sum(z) = 0` (Algorithm 1 of the SAE paper); for that
        distribution use `SphericalPriorSampler(latent_dim, "normal",
        radius=model.radius)`.
        """
        dim = getattr(model, "latent_dim", None)
        prior_distribution = getattr(model, "prior_distribution", None)
        if dim is None or prior_distribution is None:
            raise ValueError(
                "`PriorSampler.for_model` needs a keras_hsvae model (with "
                "`latent_dim` and `prior_distribution`). Received: model of "
                f"class {type(model).__name__}"
            )
        try:
            prior = prior_distribution()
        except NotImplementedError:
            # No prior density (HSCVAE, SAE): the sphere of the model's
            # radius, or N(0, I) for an HSCVAE without rescaling.
            radius = getattr(model, "radius", None)
            return cls(dim, "normal") if radius is None else cls(dim, "sphere", radius)
        if isinstance(prior, ProductHypersphericalUniform):
            return cls(dim, "sphere", shell_dims=list(prior.dims))
        if isinstance(prior, HypersphericalUniform):
            return cls(dim, "sphere")
        if isinstance(prior, Normal):
            return cls(dim, "normal")
        raise ValueError(
            "`PriorSampler` draws from uniform priors on spheres and N(0, I); "
            f"the prior of this model is {prior!r}: sample it with "
            "`model.sample_prior(n, seed)`."
        )

    def __call__(self, n, seed=None):
        n = _check_n(n)
        dtype = keras.backend.floatx()
        # Several shells draw several times: a generator advances between
        # them (as in `ProductSVAE`); one draw takes the seed as is.
        seed = seed_generator(seed) if self.shell_dims else _check_seed(seed)
        if self.prior == "normal":
            return keras.random.normal((n, self._dim), dtype=dtype, seed=seed)
        dims = self.shell_dims or [self._dim]
        draws = [hops.sample_uniform_sphere((n,), d, dtype, seed) for d in dims]
        z = draws[0] if len(draws) == 1 else ops.concatenate(draws, axis=-1)
        return z * self.radius if self.radius != 1.0 else z

    def get_config(self):
        return {
            "dim": self._dim,
            "prior": self.prior,
            "radius": self.radius,
            "shell_dims": self.shell_dims,
        }


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
        norms = np.linalg.norm(x, axis=1)
        if np.any(norms == 0):
            rows = np.nonzero(norms == 0)[0][:5].tolist()
            raise ValueError(
                "`embeddings` must not contain zero vectors (they have no "
                f"direction). Received: zero rows {rows}"
            )
        resultant = np.mean(x / norms[:, None], axis=0)
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
        mu = np.asarray(mean_direction, dtype=np.float64)
        if mu.ndim != 1 or mu.shape[0] < 2 or not np.all(np.isfinite(mu)):
            raise ValueError(
                "`mean_direction` must be a finite vector of length >= 2. "
                f"Received: mean_direction={mean_direction!r}"
            )
        norm = float(np.linalg.norm(mu))
        if abs(norm - 1.0) > 1e-6:
            raise ValueError(
                "`mean_direction` must be a unit vector. "
                f"Received: mean_direction with norm {norm}"
            )
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
        if not isinstance(project_to_sphere, bool):
            raise ValueError(
                "`project_to_sphere` must be a bool. "
                f"Received: project_to_sphere={project_to_sphere!r}"
            )
        if radius is not None:
            if not project_to_sphere:
                raise ValueError(
                    "`radius` applies only with `project_to_sphere=True`. "
                    f"Received: radius={radius!r}, project_to_sphere=False"
                )
            radius = check_radius(radius)
        self.project_to_sphere = project_to_sphere
        self.radius = radius
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
        radius = None
        if self.project_to_sphere:
            radius = self.radius
            if radius is None:
                radius = float(np.mean(np.linalg.norm(x, axis=1)))
                if radius == 0:
                    raise ValueError(
                        "Cannot project to the mean embedding norm: every "
                        "embedding is the zero vector. Pass `radius`. "
                        "Received: embeddings of norm 0"
                    )
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
        m = mean.shape[0]
        mean_variance = float(np.trace(cov)) / m
        # Rank-deficient covariance: a diagonal jitter relative to the mean
        # variance (absolute `jitter` when every variance is 0).
        scale = self.jitter * (mean_variance if mean_variance > 0 else 1.0)
        try:
            tril = np.linalg.cholesky(cov + scale * np.eye(m))
        except np.linalg.LinAlgError:
            raise ValueError(
                "The covariance is not positive definite even with the jitter "
                f"({self.jitter} x mean variance); pass a larger `jitter`. "
                f"Received: covariance eigenvalues down to "
                f"{float(np.linalg.eigvalsh(cov)[0])}"
            ) from None
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
        n = _check_n(n)
        dtype = keras.backend.floatx()
        m = len(fit["mean"])
        eps = keras.random.normal((n, m), dtype=dtype, seed=_check_seed(seed))
        scale_tril = ops.convert_to_tensor(self._scale_tril, dtype)
        # Row vectors: z = mean + eps L^T.
        z = ops.convert_to_tensor(fit["mean"], dtype) + ops.matmul(
            eps, ops.transpose(scale_tril)
        )
        if self.project_to_sphere:
            z = hops.spherize(z, fit["radius"])
        return z


def _poisson_cdf(rate):
    """CDF of Poisson(rate) at k = 0..K (float64), tail mass below 1e-30."""
    size = int(math.ceil(rate + _POISSON_SIGMAS * math.sqrt(rate))) + _POISSON_MARGIN
    k = np.arange(size, dtype=np.float64)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(k[1:]))])
    # log pmf = k log(rate) - rate - log k!: no overflow of rate^k or k!.
    pmf = np.exp(k * math.log(rate) - rate - log_factorial)
    return np.cumsum(pmf)


@keras.saving.register_keras_serializable(package="keras_hsvae")
class SphericalPriorSampler(_Sampler):
    """Prior-robust sampling of the Spherical Auto-Encoder (Algorithm 1).

    Draws raw vectors from `distribution`, then centerizes them (subtracts
    each vector's mean entry, `keras_hsvae.ops.centerize`) and spherizes them
    (`keras_hsvae.ops.spherize`, to radius `radius`): the codes lie on the
    sphere inside the hyperplane `sum(z) = 0`, where an SAE's latents live.

    Distributions and their parameters (keyword arguments):
      * `"normal"`: `mean=0.0`, `stddev=1.0` (the draws are then uniform on
        that sphere, whatever the parameters);
      * `"uniform"`: `minval=0.0`, `maxval=1.0`;
      * `"poisson"`: `rate=1.0` (<= `MAX_POISSON_RATE`), counts drawn by
        inversion: `k = min{k : F(k) >= u}`, `u ~ U[0, 1)`, searched in a
        float64 table of the CDF truncated where its tail mass is below
        1e-30 (`keras.random` has no Poisson sampler);
      * `"chi2"`: `df=1.0`, as `2 Gamma(df / 2)`;
      * a callable `fn(shape, seed) -> tensor` (`seed` is a
        `keras.random.SeedGenerator` or None): any distribution. Such a
        sampler cannot be serialized (`get_config` raises).

    A raw vector with all entries equal (likely for Poisson draws with a
    small rate in few dimensions: all zeros) has no direction after
    centering; it is replaced by a centered normal draw (uniform on the same
    sphere), so every code has norm `radius`.

    Args:
        dim: int >= 2, size of each code.
        distribution: a name above or a callable.
        radius: positive float, the sphere's radius.
        **params: the distribution's parameters.

    Call arguments:
        n: int >= 1, the number of codes.
        seed: int, `keras.random.SeedGenerator` or None.

    Returns:
        `(n, dim)` tensor.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.samplers import SphericalPriorSampler
    >>> sampler = SphericalPriorSampler(5, "poisson", rate=3.0)
    >>> z = keras.ops.convert_to_numpy(sampler(4, seed=0))
    >>> bool(np.allclose(z.sum(axis=-1), 0.0, atol=1e-5))
    True
    >>> np.linalg.norm(z, axis=-1).round(5).tolist()
    [1.0, 1.0, 1.0, 1.0]

    Reference:
        "Latent Variables on Spheres for Sampling and Spherical Inference"
        (SAE paper, Algorithm 1; `seeds/003_*`).
    """

    DISTRIBUTIONS = {
        "normal": {"mean": 0.0, "stddev": 1.0},
        "uniform": {"minval": 0.0, "maxval": 1.0},
        "poisson": {"rate": 1.0},
        "chi2": {"df": 1.0},
    }

    def __init__(self, dim, distribution="normal", radius=1.0, **params):
        self._dim = _check_dim(dim, 2)
        self.radius = check_radius(radius)
        if callable(distribution):
            if params:
                raise ValueError(
                    "Parameters go inside a callable `distribution`. "
                    f"Received: {sorted(params)}"
                )
            self.distribution = distribution
            self.params = {}
            return
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"`distribution` must be one of {sorted(self.DISTRIBUTIONS)} or a "
                f"callable `fn(shape, seed)`. Received: distribution={distribution!r}"
            )
        defaults = self.DISTRIBUTIONS[distribution]
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise ValueError(
                f"`{distribution}` takes the parameters {sorted(defaults)}. "
                f"Received: unknown {unknown}"
            )
        params = {**defaults, **params}
        if distribution == "normal":
            params["mean"] = _finite(params["mean"], "mean")
            params["stddev"] = _positive(params["stddev"], "stddev")
        elif distribution == "uniform":
            params["minval"] = _finite(params["minval"], "minval")
            params["maxval"] = _finite(params["maxval"], "maxval")
            if not params["maxval"] > params["minval"]:
                raise ValueError(
                    "`maxval` must be greater than `minval`. Received: "
                    f"minval={params['minval']}, maxval={params['maxval']}"
                )
        elif distribution == "poisson":
            params["rate"] = _positive(params["rate"], "rate")
            if params["rate"] > MAX_POISSON_RATE:
                raise ValueError(
                    f"`rate` must be <= {MAX_POISSON_RATE:g} (use "
                    "`distribution='normal'`: centered, a Poisson of that rate "
                    f"is a normal). Received: rate={params['rate']}"
                )
        else:
            params["df"] = _positive(params["df"], "df")
        self.distribution = distribution
        self.params = params
        self._cdf = _poisson_cdf(params["rate"]) if distribution == "poisson" else None

    @property
    def dim(self):
        return self._dim

    def sample_raw(self, n, seed=None):
        """The raw `(n, dim)` draws, before centerization and spherization."""
        n = _check_n(n)
        return self._raw((n, self._dim), seed_generator(seed))

    def _raw(self, shape, seed):
        dtype = keras.backend.floatx()
        p = self.params
        if callable(self.distribution):
            raw = ops.cast(self.distribution(shape, seed), dtype)
            static = tuple(raw.shape)
            if len(static) != 2 or static[1] != self._dim:
                raise ValueError(
                    f"The callable `distribution` must return shape (n, {self._dim})."
                    f" Received: shape {static}"
                )
            return raw
        if self.distribution == "normal":
            return keras.random.normal(shape, p["mean"], p["stddev"], dtype, seed)
        if self.distribution == "uniform":
            return keras.random.uniform(shape, p["minval"], p["maxval"], dtype, seed)
        if self.distribution == "chi2":
            return 2.0 * keras.random.gamma(shape, 0.5 * p["df"], dtype, seed)
        u = keras.random.uniform(shape, dtype=dtype, seed=seed)
        cdf = ops.convert_to_tensor(self._cdf, dtype)
        # Inversion: the count is the number of CDF values below u (ops'
        # searchsorted takes 1-D values on TensorFlow).
        counts = ops.searchsorted(cdf, ops.reshape(u, (-1,)), side="left")
        # u beyond the truncated table (probability < 1e-30): the last count.
        counts = ops.minimum(counts, len(self._cdf) - 1)
        return ops.reshape(ops.cast(counts, dtype), shape)

    def __call__(self, n, seed=None):
        n = _check_n(n)
        seed = seed_generator(seed)
        shape = (n, self._dim)
        centered = hops.centerize(self._raw(shape, seed))
        # A constant raw vector centers to exactly 0 (`centerize`), which
        # has no direction: use a centered normal draw there instead.
        degenerate = ops.all(centered == 0, axis=-1, keepdims=True)
        normal = keras.random.normal(shape, dtype=centered.dtype, seed=seed)
        centered = ops.where(degenerate, hops.centerize(normal), centered)
        return hops.spherize(centered, self.radius)

    def get_config(self):
        if callable(self.distribution):
            raise ValueError(
                "A SphericalPriorSampler with a callable `distribution` cannot "
                "be serialized; use a named distribution or set "
                "`model.sampler = None` before saving. Received: "
                f"distribution={self.distribution!r}"
            )
        return {
            "dim": self._dim,
            "distribution": self.distribution,
            "radius": self.radius,
            **self.params,
        }

    def __repr__(self):
        name = getattr(self.distribution, "__name__", self.distribution)
        return f"<SphericalPriorSampler dim={self._dim} distribution={name}>"


def _finite(value, name):
    bad = isinstance(value, bool) or not isinstance(value, (int, float, np.number))
    if bad or not math.isfinite(float(value)):
        raise ValueError(
            f"`{name}` must be a finite number. Received: {name}={value!r}"
        )
    return float(value)
