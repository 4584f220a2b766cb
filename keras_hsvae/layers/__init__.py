"""Latent layers, built on `keras_hsvae.distributions`."""

from keras_hsvae.layers.centerization import Centerization
from keras_hsvae.layers.hyperspherical_kl_regularizer import (
    HypersphericalKLRegularizer,
)
from keras_hsvae.layers.posteriors import (
    GaussianPosterior,
    Posterior,
    PowerSphericalPosterior,
    ProductPosterior,
    ProductVonMisesFisherPosterior,
    SphericalPosterior,
    VonMisesFisherPosterior,
    get_posterior,
    list_posteriors,
    register_posterior,
)
from keras_hsvae.layers.spherical_coordinates import SphericalCoordinates
from keras_hsvae.layers.spherization import Spherization

__all__ = [
    "Centerization",
    "GaussianPosterior",
    "HypersphericalKLRegularizer",
    "Posterior",
    "PowerSphericalPosterior",
    "ProductPosterior",
    "ProductVonMisesFisherPosterior",
    "SphericalCoordinates",
    "SphericalPosterior",
    "Spherization",
    "VonMisesFisherPosterior",
    "get_posterior",
    "list_posteriors",
    "register_posterior",
]
