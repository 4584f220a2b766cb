"""Prior-robust sampling of the Spherical Auto-Encoder (003, Algorithm 1)."""

import math

import keras
import numpy as np
from keras import ops

from keras_hsvae import ops as hops
from keras_hsvae.ops.random import seed_generator
from keras_hsvae.ops.sae import check_radius
from keras_hsvae.samplers.base import (
    _POISSON_MARGIN,
    _POISSON_SIGMAS,
    MAX_POISSON_RATE,
    _check_dim,
    _check_n,
    _positive,
    _Sampler,
)


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
