"""Numerical kernels written once in `keras.ops` (TensorFlow, JAX, PyTorch)."""

from keras_hsvae.ops._dtypes import compute_dtype
from keras_hsvae.ops.bessel import (
    bessel_iv_ratio,
    bessel_parts,
    log_bessel_iv,
    log_bessel_iv_normalized,
    log_bessel_ive,
)
from keras_hsvae.ops.beta import sample_beta, sample_gamma
from keras_hsvae.ops.householder import householder_reflect
from keras_hsvae.ops.hsc import (
    all_ones_profile,
    batch_mean_std,
    batch_moments,
    hsc_penalty,
    moments_to_mean_std,
    prior_targets,
)
from keras_hsvae.ops.random import sample_uniform_sphere
from keras_hsvae.ops.sae import centerize, spherize
from keras_hsvae.ops.special import digamma, lgamma, log_sphere_area
from keras_hsvae.ops.spherical import (
    cartesian_to_spherical,
    spherical_cosines,
    spherical_to_cartesian,
)
from keras_hsvae.ops.vmf import (
    sample_vmf_cosine,
    vmf_concentration_mle,
    vmf_entropy,
    vmf_kl_to_uniform,
    vmf_log_normalizer,
    vmf_mean_resultant_length,
)

__all__ = [
    "all_ones_profile",
    "batch_mean_std",
    "batch_moments",
    "bessel_iv_ratio",
    "bessel_parts",
    "cartesian_to_spherical",
    "centerize",
    "compute_dtype",
    "digamma",
    "householder_reflect",
    "hsc_penalty",
    "lgamma",
    "log_bessel_iv",
    "log_bessel_iv_normalized",
    "log_bessel_ive",
    "log_sphere_area",
    "moments_to_mean_std",
    "prior_targets",
    "sample_beta",
    "sample_gamma",
    "sample_uniform_sphere",
    "sample_vmf_cosine",
    "spherical_cosines",
    "spherical_to_cartesian",
    "spherize",
    "vmf_concentration_mle",
    "vmf_entropy",
    "vmf_kl_to_uniform",
    "vmf_log_normalizer",
    "vmf_mean_resultant_length",
]
