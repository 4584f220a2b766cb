"""Deprecated module path: the posteriors live in `keras_hsvae.layers.posteriors`."""

from keras_hsvae.layers.posteriors import (  # noqa: F401
    PowerSphericalPosterior,
    ProductVonMisesFisherPosterior,
    VonMisesFisherPosterior,
)
