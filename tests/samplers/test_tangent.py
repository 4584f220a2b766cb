"""FittedTangentNormalSampler and the sphere's exponential / log maps.

References are closed forms: the exponential map of a great circle
(`cos(theta) mu + sin(theta) v`), and the covariance of the tangent Gaussian
that generated the data (the fit must recover it; the sampler's draws must
reproduce the fit), with fixed seeds and tolerances from the sample sizes.
"""

import math

import keras
import numpy as np
import pytest

from keras_hsvae.ops.sphere import exp_map
from keras_hsvae.samplers import FittedTangentNormalSampler, FittedVonMisesFisherSampler
from keras_hsvae.samplers.tangent import log_map


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


@pytest.mark.parametrize("theta", [0.0, 1e-7, 1e-3, 0.5, math.pi / 2, 3.0])
def test_exp_map_walks_the_great_circle(theta):
    mu = np.array([0.0, 0.6, 0.8])
    v = np.array([1.0, 0.0, 0.0])  # a unit tangent vector at mu
    t = np.array([theta * v], dtype="float32")
    z = _np(exp_map(keras.ops.convert_to_tensor(t), mu))
    expected = math.cos(theta) * mu + math.sin(theta) * v
    np.testing.assert_allclose(z[0], expected, atol=2e-7)


def test_exp_map_gradient_is_finite_and_exact_at_zero():
    mu = keras.ops.convert_to_tensor([1.0, 0.0, 0.0])

    def f(t):
        return keras.ops.sum(exp_map(t, mu) * keras.ops.convert_to_tensor([0, 1, 0.0]))

    # d/dt of the e2 coordinate at t = 0 is 1 along e2 (sin(x) ~ x).
    if keras.backend.backend() == "jax":
        import jax

        grad = jax.grad(f)(keras.ops.zeros((1, 3)))
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        t = tf.zeros((1, 3))
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = f(t)
        grad = tape.gradient(y, t)
    else:
        import torch

        t = torch.zeros((1, 3), requires_grad=True)
        f(t).backward()
        grad = t.grad
    np.testing.assert_allclose(_np(grad), [[0.0, 1.0, 0.0]], atol=1e-7)


def test_log_map_inverts_exp_map():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=6)
    mu /= np.linalg.norm(mu)
    t = rng.normal(size=(50, 6)) * 0.7
    t -= (t @ mu)[:, None] * mu  # tangent at mu
    u = _np(exp_map(keras.ops.convert_to_tensor(t, "float32"), mu))
    np.testing.assert_allclose(log_map(u, mu), t, atol=2e-5)
    np.testing.assert_allclose(log_map(mu[None, :], mu), 0.0, atol=1e-12)


def _island(n=20000, seed=1):
    """Points exp_mu(t), t ~ N(0, S) with S known, on a sphere of radius 3."""
    rng = np.random.default_rng(seed)
    m = 8
    mu = np.eye(m)[0]
    std = np.array([0.0, 0.4, 0.2, 0.05, 0.02, 0.01, 0.01, 0.01])
    t = rng.normal(size=(n, m)) * std
    theta = np.linalg.norm(t, axis=1, keepdims=True)
    u = np.cos(theta) * mu + np.sin(theta) * t / theta
    return 3.0 * u, mu, np.diag(std**2)


def test_fit_recovers_the_generating_tangent_gaussian():
    x, mu, cov = _island()
    sampler = FittedTangentNormalSampler().fit(x)
    # Standard error of the mean direction along the widest axis: 0.4 /
    # sqrt(20000) = 0.003; allow 4 of them.
    np.testing.assert_allclose(sampler.mean_direction, mu, atol=0.012)
    assert sampler.sample_radius == pytest.approx(3.0, rel=1e-12)
    # Variances of 20,000 draws: relative standard error sqrt(2 / N) = 1 %.
    fitted = sampler.tangent_covariance
    np.testing.assert_allclose(np.diag(fitted)[1:], np.diag(cov)[1:], rtol=0.05)
    off = fitted - np.diag(np.diag(fitted))
    assert np.max(np.abs(off)) < 0.05 * cov[1, 1]


def test_draws_have_the_fitted_shape_unlike_the_vmf():
    x, mu, cov = _island()
    sampler = FittedTangentNormalSampler().fit(x)
    z = _np(sampler(20000, seed=3))
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 3.0, rtol=1e-5)
    drawn = np.cov(log_map(z / 3.0, sampler.mean_direction), rowvar=False)
    np.testing.assert_allclose(np.diag(drawn)[1:3], np.diag(cov)[1:3], rtol=0.05)
    # The vMF fitted to the same points matches the mean angle but spreads it
    # evenly: its variance along the widest direction is far too small and
    # along the narrowest far too large.
    vmf = FittedVonMisesFisherSampler().fit(x)
    v = _np(vmf(20000, seed=3)) / vmf.sample_radius
    vmf_var = np.diag(np.cov(log_map(v, vmf.mean_direction), rowvar=False))
    assert vmf_var[1] < 0.5 * cov[1, 1] and vmf_var[7] > 10 * cov[7, 7]


def test_config_round_trip_gives_the_same_draws():
    x, _, _ = _island(n=500)
    sampler = FittedTangentNormalSampler(radius=2.0).fit(x)
    copy = FittedTangentNormalSampler.from_config(sampler.get_config())
    np.testing.assert_array_equal(_np(copy(16, seed=5)), _np(sampler(16, seed=5)))
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(sampler)
    )
    np.testing.assert_array_equal(_np(restored(16, seed=5)), _np(sampler(16, seed=5)))


@pytest.mark.parametrize(
    "x, message",
    [
        (np.array([[1.0, 0.0], [0.0, 0.0]]), "zero vectors"),
        (np.array([[1.0, 0.0], [-1.0, 0.0]]), "no mean direction"),
        (np.array([[1.0, np.nan], [1.0, 0.0]]), "finite"),
    ],
)
def test_fit_refuses_what_has_no_tangent_plane(x, message):
    with pytest.raises(ValueError, match=message):
        FittedTangentNormalSampler().fit(x)


def test_unfitted_sampler_says_so():
    with pytest.raises(ValueError, match="not fitted"):
        FittedTangentNormalSampler()(3)
