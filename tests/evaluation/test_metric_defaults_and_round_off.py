"""Documented defaults and round-off limits of the numpy latent/pixel metrics."""

import numpy as np
import pytest

from keras_hsvae import evaluation


def test_sliced_wasserstein_default_directions():
    # Documented defaults: 128 directions from numpy.random.default_rng(0),
    # normalized Gaussian columns. A translation by v moves the projection on
    # theta by theta.v, so SW_2 = sqrt(mean_theta (theta.v)^2).
    rng = np.random.default_rng(3)
    x, v = rng.normal(size=(50, 4)), np.array([1.0, -2.0, 0.5, 3.0])
    theta = np.random.default_rng(0).standard_normal((4, 128))
    theta /= np.linalg.norm(theta, axis=0)
    expected = np.sqrt(np.mean((v @ theta) ** 2))
    got = evaluation.sliced_wasserstein_distance(x, x + v)
    assert got == pytest.approx(expected, rel=1e-10)


def test_replica_angle_of_identical_latents_is_zero():
    # Every latent is the mean direction: angle 0. In float64 the computed
    # cosine of this vector with itself is 1 + 2**-52, outside arccos' domain
    # unless clipped.
    z = np.tile([1.3, 0.95, -0.7], (2, 1))
    assert evaluation.replica_angles(z).tolist() == [0.0, 0.0]
    assert evaluation.replica_angle(z) == {"mean": 0.0, "std": 0.0}
