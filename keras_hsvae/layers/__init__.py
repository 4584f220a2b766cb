"""Latent layers, built on `keras_hsvae.distributions`."""

from keras_hsvae.layers.von_mises_fisher_posterior import (
    PowerSphericalPosterior,
    ProductVonMisesFisherPosterior,
    VonMisesFisherPosterior,
)

__all__ = [
    "PowerSphericalPosterior",
    "ProductVonMisesFisherPosterior",
    "VonMisesFisherPosterior",
]
