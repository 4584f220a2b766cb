"""The product's per-shell KLs come from one Bessel pass (`vmf_kl_to_uniform`
with a list of dimensions): checked against mpmath and against one KL per
shell, values and gradients."""

import numpy as np
import pytest
from backend_utils import to_numpy, value_and_grad
from mp_reference import vmf_kl

from keras_hsvae import distributions as hd
from keras_hsvae import ops as hops

DIMS = [2, 3, 10, 11, 500]
KAPPAS = [1e-3, 0.5, 7.25, 300.0, 2e4]


def test_list_of_dims_matches_mpmath_per_column():
    kappa = np.array([[k] * len(DIMS) for k in KAPPAS], "float32")
    got = to_numpy(hops.vmf_kl_to_uniform(DIMS, kappa))
    ref = np.array([[float(vmf_kl(m, float(k))) for m in DIMS] for k in kappa[:, 0]])
    np.testing.assert_allclose(got, ref, rtol=2e-5, atol=1e-7)


def test_list_of_dims_needs_one_per_column():
    with pytest.raises(ValueError, match="one per entry of the last axis"):
        hops.vmf_kl_to_uniform([3, 10], np.ones((4, 3), "float32"))
    with pytest.raises(ValueError, match="dim"):
        hops.vmf_kl_to_uniform([3, 1], np.ones((4, 2), "float32"))


def test_product_kls_and_gradients_equal_one_kl_per_shell():
    rng = np.random.default_rng(0)
    kappas = [(10 ** rng.uniform(-3, 4.5, size=(6,))).astype("float32") for _ in DIMS]

    def shells(ks):
        return [
            hd.VonMisesFisher(rng_mu(d), k, validate_args=False)
            for d, k in zip(DIMS, ks)
        ]

    def rng_mu(d):
        mu = np.random.default_rng(d).normal(size=(6, d))
        return (mu / np.linalg.norm(mu, axis=-1, keepdims=True)).astype("float32")

    def joint(*ks):
        return sum(hd.ProductVonMisesFisher(shells(ks)).kl_per_shell())

    def separate(*ks):
        return sum(
            hd.kl_divergence(s, hd.HypersphericalUniform(s.dim)) for s in shells(ks)
        )

    value, grads = value_and_grad(joint, *kappas)
    ref_value, ref_grads = value_and_grad(separate, *kappas)
    np.testing.assert_allclose(value, ref_value, rtol=1e-6)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-12)
