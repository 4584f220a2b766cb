"""Posterior layers and their registry (`get_posterior`, `list_posteriors`)."""

from keras_hsvae.layers.posteriors.base import (
    Posterior,
    get_posterior,
    list_posteriors,
    register_posterior,
)
from keras_hsvae.layers.posteriors.gaussian import GaussianPosterior
from keras_hsvae.layers.posteriors.power_spherical import PowerSphericalPosterior
from keras_hsvae.layers.posteriors.product import (
    ProductPosterior,
    ProductVonMisesFisherPosterior,
)
from keras_hsvae.layers.posteriors.spherical import SphericalPosterior
from keras_hsvae.layers.posteriors.von_mises_fisher import VonMisesFisherPosterior

__all__ = [
    "GaussianPosterior",
    "Posterior",
    "PowerSphericalPosterior",
    "ProductPosterior",
    "ProductVonMisesFisherPosterior",
    "SphericalPosterior",
    "VonMisesFisherPosterior",
    "get_posterior",
    "list_posteriors",
    "register_posterior",
]
