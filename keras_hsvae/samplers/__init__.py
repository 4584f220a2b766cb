"""Latent samplers for `model.generate`: the prior, fitted vMF and Gaussian
distributions and their mixtures, and the prior-robust sampling of the
Spherical Auto-Encoder.

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

from keras_hsvae.samplers.base import (
    MAX_CONCENTRATION,
    MAX_POISSON_RATE,
)
from keras_hsvae.samplers.fitted import (
    FittedGaussianSampler,
    FittedVonMisesFisherSampler,
)
from keras_hsvae.samplers.mixture import (
    FittedGaussianMixtureSampler,
    FittedVonMisesFisherMixtureSampler,
)
from keras_hsvae.samplers.prior import PriorSampler
from keras_hsvae.samplers.spherical_prior import SphericalPriorSampler
from keras_hsvae.samplers.tangent import FittedTangentNormalSampler

__all__ = [
    "MAX_CONCENTRATION",
    "MAX_POISSON_RATE",
    "FittedGaussianMixtureSampler",
    "FittedGaussianSampler",
    "FittedTangentNormalSampler",
    "FittedVonMisesFisherMixtureSampler",
    "FittedVonMisesFisherSampler",
    "PriorSampler",
    "SphericalPriorSampler",
]
