"""Numerical kernels written once in `keras.ops` (TensorFlow, JAX, PyTorch)."""

from keras_hsvae.ops.bessel import (
    bessel_iv_ratio,
    bessel_parts,
    log_bessel_iv,
    log_bessel_iv_normalized,
    log_bessel_ive,
)
from keras_hsvae.ops.householder import householder_reflect
from keras_hsvae.ops.random import sample_uniform_sphere
from keras_hsvae.ops.special import digamma, lgamma, log_sphere_area
from keras_hsvae.ops.vmf import (
    sample_vmf_cosine,
    vmf_entropy,
    vmf_kl_to_uniform,
    vmf_log_normalizer,
    vmf_mean_resultant_length,
)

__all__ = [
    "bessel_iv_ratio",
    "bessel_parts",
    "digamma",
    "householder_reflect",
    "lgamma",
    "log_bessel_iv",
    "log_bessel_iv_normalized",
    "log_bessel_ive",
    "log_sphere_area",
    "sample_uniform_sphere",
    "sample_vmf_cosine",
    "vmf_entropy",
    "vmf_kl_to_uniform",
    "vmf_log_normalizer",
    "vmf_mean_resultant_length",
]
