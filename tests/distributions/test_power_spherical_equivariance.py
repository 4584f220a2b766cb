"""A float64 `PowerSpherical` or `VonMisesFisher` sample's cosine to its mean
direction does not depend on the direction: with the same seed, `mu^T z` is
the same number for every `mu` (the Householder map sends e_1 to `mu` and is
orthogonal), to float64 rounding."""

import keras
import numpy as np
import pytest
from backend_utils import float64, to_numpy

from keras_hsvae.distributions import PowerSpherical, VonMisesFisher

# Unit vectors whose float32 rounding is off by ~1e-8.
MUS = [np.array([1.0, 2.0, 2.0]) / 3.0, np.array([-2.0, 6.0, 3.0]) / 7.0]


@pytest.mark.parametrize("cls", [PowerSpherical, VonMisesFisher])
def test_cosine_to_the_mean_direction_is_direction_free(cls):
    cosines = []
    with float64():
        for mu in MUS:
            q = cls(
                keras.ops.convert_to_tensor(mu, "float64"),
                keras.ops.convert_to_tensor(5.0, "float64"),
            )
            z = to_numpy(q.sample(50, seed=4))
            assert z.dtype == np.float64
            np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, rtol=1e-14)
            cosines.append(z @ mu)
    np.testing.assert_allclose(cosines[0], cosines[1], rtol=1e-13, atol=1e-14)
