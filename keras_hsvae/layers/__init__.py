"""Latent layers, built on `keras_hsvae.distributions`."""

from keras_hsvae.layers.centerization import Centerization
from keras_hsvae.layers.gaussian_posterior import GaussianPosterior
from keras_hsvae.layers.hyperspherical_kl_regularizer import (
    HypersphericalKLRegularizer,
)
from keras_hsvae.layers.spherical_coordinates import SphericalCoordinates
from keras_hsvae.layers.spherization import Spherization
from keras_hsvae.layers.von_mises_fisher_posterior import (
    PowerSphericalPosterior,
    ProductVonMisesFisherPosterior,
    VonMisesFisherPosterior,
)

__all__ = [
    "Centerization",
    "GaussianPosterior",
    "HypersphericalKLRegularizer",
    "PowerSphericalPosterior",
    "ProductVonMisesFisherPosterior",
    "SphericalCoordinates",
    "Spherization",
    "VonMisesFisherPosterior",
]
