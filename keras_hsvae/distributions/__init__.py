"""Distributions on the sphere, built on `keras_hsvae.ops`."""

from keras_hsvae.distributions.hyperspherical_uniform import HypersphericalUniform
from keras_hsvae.distributions.kl import kl_divergence, register_kl
from keras_hsvae.distributions.normal import Normal
from keras_hsvae.distributions.power_spherical import PowerSpherical
from keras_hsvae.distributions.product import (
    ProductHypersphericalUniform,
    ProductSpherical,
    ProductVonMisesFisher,
)
from keras_hsvae.distributions.von_mises_fisher import VonMisesFisher

__all__ = [
    "HypersphericalUniform",
    "Normal",
    "PowerSpherical",
    "ProductHypersphericalUniform",
    "ProductSpherical",
    "ProductVonMisesFisher",
    "VonMisesFisher",
    "kl_divergence",
    "register_kl",
]
