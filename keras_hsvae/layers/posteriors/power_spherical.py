"""The Power Spherical posterior layer."""

from keras_hsvae.distributions.power_spherical import PowerSpherical
from keras_hsvae.layers.posteriors.base import register_posterior
from keras_hsvae.layers.posteriors.spherical import SphericalPosterior


@register_posterior("power_spherical", spherical=True)
class PowerSphericalPosterior(SphericalPosterior):
    """Power Spherical posterior on S^{dim-1} with a KL to the uniform prior.

    Same interface as `VonMisesFisherPosterior` (including the meaning of the
    ambient `dim`), with the Power Spherical distribution of De Cao & Aziz
    (2020): no Bessel functions and no rejection on the sphere, hence cheaper.
    Its samples are fully reparameterized through a Beta draw, so
    `score_correction=True` returns `c = 0`.

    Args:
        dim: int >= 2, ambient latent size m.
        beta: float >= 0, initial weight of the KL term.
        inference: `"mode"` or `"sample"`.
        concentration_offset: float >= 0 added to the softplus.
        max_proposals: accepted for interface symmetry (unused).
        score_correction: return `(z, zeros)` for interface symmetry.
        kernel_initializer: initializer of both Dense heads.
        seed: int or None.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers import PowerSphericalPosterior
    >>> layer = PowerSphericalPosterior(dim=4, seed=0)
    >>> tuple(layer(np.ones((2, 8), "float32"), training=True).shape)
    (2, 4)

    Reference:
        De Cao & Aziz, "The Power Spherical distribution", 2020.
    """

    distribution_class = PowerSpherical
