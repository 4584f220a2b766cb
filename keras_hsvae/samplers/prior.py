"""The prior sampler of a model."""

import keras
from keras import ops

from keras_hsvae import ops as hops
from keras_hsvae.distributions import (
    HypersphericalUniform,
    Normal,
    ProductHypersphericalUniform,
)
from keras_hsvae.ops.random import check_seed_argument, seed_generator
from keras_hsvae.ops.sae import check_radius
from keras_hsvae.samplers.base import (
    _check_dim,
    _check_n,
    _Sampler,
)


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
        seed = seed_generator(seed) if self.shell_dims else check_seed_argument(seed)
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
