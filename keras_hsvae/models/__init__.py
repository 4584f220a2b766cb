"""Hyperspherical and Gaussian VAEs, trained with `model.fit(x)`."""

from keras_hsvae.models.base import AutoEncoder
from keras_hsvae.models.beta_vae import BetaVAE
from keras_hsvae.models.builders import (
    conv_decoder,
    conv_encoder,
    mlp_decoder,
    mlp_encoder,
    resnet_decoder,
    resnet_encoder,
)
from keras_hsvae.models.graph_vae import (
    NVGAE,
    SVGAE,
    GraphVAE,
    graph_inputs,
    reconstruction_target,
    sparse_graph_inputs,
    weighted_edge_cross_entropy,
)
from keras_hsvae.models.hsc_vae import HSCVAE
from keras_hsvae.models.likelihoods import Bernoulli, Gaussian, Likelihood, PNorm
from keras_hsvae.models.product_svae import ProductSVAE
from keras_hsvae.models.sae import SAE
from keras_hsvae.models.svae import SVAE

__all__ = [
    "AutoEncoder",
    "Bernoulli",
    "BetaVAE",
    "Gaussian",
    "GraphVAE",
    "HSCVAE",
    "Likelihood",
    "NVGAE",
    "PNorm",
    "ProductSVAE",
    "SAE",
    "SVAE",
    "SVGAE",
    "conv_decoder",
    "conv_encoder",
    "graph_inputs",
    "mlp_decoder",
    "mlp_encoder",
    "reconstruction_target",
    "sparse_graph_inputs",
    "resnet_decoder",
    "resnet_encoder",
    "weighted_edge_cross_entropy",
]
