"""`lgamma` and `digamma` outside their domain: NaN for every `x <= 0`,
`x = 0` included (both have a pole there), as their docstrings say; and the
first positive values against scipy."""

import keras
import numpy as np
import pytest
from scipy import special

from keras_hsvae.ops import special as hsp


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_non_positive_inputs_give_nan(name):
    x = np.array([0.0, -0.0, -1.0, -2.5], "float32")
    got = keras.ops.convert_to_numpy(getattr(hsp, name)(x))
    assert np.all(np.isnan(got)), got


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_smallest_positive_inputs_match_scipy(name):
    x = np.array([1e-30, 1e-6, 0.5], "float32")
    got = keras.ops.convert_to_numpy(getattr(hsp, name)(x))
    want = {"lgamma": special.gammaln, "digamma": special.digamma}[name](
        x.astype(np.float64)
    )
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_log_sphere_area_default_dtype_and_value():
    # |S^2| = 4 pi; float32 by default.
    got = hsp.log_sphere_area(3)
    assert keras.backend.standardize_dtype(got.dtype) == "float32"
    np.testing.assert_allclose(float(got), np.log(4 * np.pi), rtol=1e-7)
