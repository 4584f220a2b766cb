"""The last hyperspherical angle lies in `[0, 2 pi)`: a point just below the
positive x_{n-1} axis, whose `atan2 + 2 pi` rounds to `2 pi`, gets 0, as the
docstring of `cartesian_to_spherical` says."""

import math

import numpy as np
import pytest
from backend_utils import to_numpy

from keras_hsvae.ops.spherical import cartesian_to_spherical


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_last_angle_just_below_two_pi_wraps_to_zero(dtype):
    # atan2(-1e-30, 1) = -1e-30, and -1e-30 + 2 pi rounds to 2 pi.
    x = np.array([[1.0, -1e-30], [0.0, -1.0]], dtype)
    _, angles = cartesian_to_spherical(x)
    angles = to_numpy(angles)[:, -1]
    assert np.all((angles >= 0) & (angles < 2 * math.pi)), angles
    np.testing.assert_allclose(angles, [0.0, 1.5 * math.pi], rtol=1e-6)
