"""Deprecated module path: one file per model in `keras_hsvae.models`."""

from keras_hsvae.models.base import AutoEncoder as _VAE  # noqa: F401
from keras_hsvae.models.beta_vae import BetaVAE  # noqa: F401
from keras_hsvae.models.hsc_vae import HSCVAE  # noqa: F401
from keras_hsvae.models.likelihoods import p_norm  # noqa: F401
from keras_hsvae.models.product_svae import ProductSVAE  # noqa: F401
from keras_hsvae.models.sae import SAE  # noqa: F401
from keras_hsvae.models.svae import SVAE  # noqa: F401
