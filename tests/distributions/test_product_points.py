"""Points given to a product of shells: converted in the product's dtype
(float64 points keep their digits) and split by shell; a wrong last axis is one
`ValueError` naming the shells."""

import re

import keras
import numpy as np
import pytest
from backend_utils import float64
from mp_reference import vmf_log_normalizer

from keras_hsvae import distributions as hd


def _shells(dtype):
    mu1 = np.array([0.6, 0.8])
    mu2 = np.array([0.0, 0.0, 1.0])
    kappa1, kappa2 = 30.0, 7.25
    shells = [
        hd.VonMisesFisher(
            keras.ops.convert_to_tensor(mu1, dtype),
            keras.ops.convert_to_tensor([kappa1], dtype),
        ),
        hd.VonMisesFisher(
            keras.ops.convert_to_tensor(mu2, dtype),
            keras.ops.convert_to_tensor([kappa2], dtype),
        ),
    ]
    return shells, (mu1, kappa1), (mu2, kappa2)


def test_float64_product_log_prob_of_python_floats_keeps_float64_digits():
    # Python floats, not a tensor: converted straight to float64. A float32
    # round trip moves log p by about kappa * 6e-8.
    angle = 0.123456789012345
    x1 = [np.cos(angle), np.sin(angle)]
    x2 = [np.sin(0.3) * np.cos(1.1), np.sin(0.3) * np.sin(1.1), np.cos(0.3)]
    with float64():
        shells, (mu1, k1), (mu2, k2) = _shells("float64")
        product = hd.ProductVonMisesFisher(shells)
        got = keras.ops.convert_to_numpy(product.log_prob([x1 + x2]))
    want = (
        k1 * np.dot(mu1, x1)
        + float(vmf_log_normalizer(2, k1))
        + k2 * np.dot(mu2, x2)
        + float(vmf_log_normalizer(3, k2))
    )
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [want], rtol=1e-12)


def test_wrong_last_axis_names_the_shells():
    shells, _, _ = _shells("float32")
    product = hd.ProductVonMisesFisher(shells)
    expected = (
        "Expected points with last dimension 5 (shells [2, 3]). "
        "Received: x.shape=(1, 4)"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        product.log_prob(np.ones((1, 4), "float32"))
