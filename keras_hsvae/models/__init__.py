"""Hyperspherical and Gaussian VAEs, trained with `model.fit(x)`."""

from keras_hsvae.models._builders import (
    conv_decoder,
    conv_encoder,
    mlp_decoder,
    mlp_encoder,
    resnet_decoder,
    resnet_encoder,
)
from keras_hsvae.models._vae import HSCVAE, SAE, SVAE, BetaVAE, ProductSVAE

__all__ = [
    "BetaVAE",
    "HSCVAE",
    "ProductSVAE",
    "SAE",
    "SVAE",
    "conv_decoder",
    "conv_encoder",
    "mlp_decoder",
    "mlp_encoder",
    "resnet_decoder",
    "resnet_encoder",
]
