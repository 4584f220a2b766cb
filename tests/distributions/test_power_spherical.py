"""Tests for keras_hsvae.distributions.power_spherical.PowerSpherical.

References: mpmath at 50 digits (textbook normalizer, entropy, KL), scipy
quadrature (normalization), scipy.stats.kstest at fixed seeds (the cosine
w = mu^T z is 2 Beta(a, b) - 1), and closed-form moments.
"""

import math

import keras
import numpy as np
import pytest
from backend_utils import compiled, float64, grad_of_sum
from keras import ops
from mp_reference import power_spherical_entropy_kl, power_spherical_log_prob
from scipy import integrate, special, stats

from keras_hsvae.distributions.hyperspherical_uniform import HypersphericalUniform
from keras_hsvae.distributions.kl import kl_divergence
from keras_hsvae.distributions.power_spherical import PowerSpherical

BACKEND = keras.backend.backend()
# KS p-value below which a fixed-seed sample is declared wrong.
P_MIN = 1e-4
EPS = {
    "float32": float(np.finfo(np.float32).eps),
    "float64": float(np.finfo(float).eps),
}


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x)).astype(np.float64)


def random_unit(m, seed, dtype="float32"):
    v = np.random.default_rng(seed).normal(size=m)
    return (v / np.linalg.norm(v)).astype(dtype)


# ----------------------------------------------------------------------------
# mpmath references (50 digits, the textbook formulas of De Cao & Aziz 2020).
mp_entropy_kl = power_spherical_entropy_kl


def mp_log_prob(m, kappa, mu, x):
    return np.array(power_spherical_log_prob(m, kappa, mu, x))


# ----------------------------------------------------------------------------
# Density: normalization, values, entropy, KL.


@pytest.mark.parametrize("kappa", [0.0, 1.0, 50.0, 1000.0])
def test_log_prob_normalizes_on_circle(kappa):
    mu = random_unit(2, 1)
    q = PowerSpherical(mu, kappa)
    center = math.atan2(float(mu[1]), float(mu[0]))

    def density(theta):
        x = np.stack([np.cos(theta), np.sin(theta)], axis=-1).astype("float32")
        return np.exp(to_numpy(q.log_prob(x)))

    total, _ = integrate.fixed_quad(density, center - np.pi, center + np.pi, n=2000)
    assert abs(total - 1.0) < 1e-5


@pytest.mark.parametrize("kappa", [0.0, 1.0, 50.0])
def test_log_prob_normalizes_on_sphere(kappa):
    mu = random_unit(3, 2)
    q = PowerSpherical(mu, kappa)
    # Gauss-Legendre in cos(theta) (area element d cos(theta) d phi).
    u, wu = special.roots_legendre(300)
    phi, wphi = special.roots_legendre(300)
    phi = np.pi * (phi + 1.0)
    wphi = np.pi * wphi
    uu, pp = np.meshgrid(u, phi, indexing="ij")
    s = np.sqrt(1.0 - uu**2)
    x = np.stack([s * np.cos(pp), s * np.sin(pp), uu], axis=-1).astype("float32")
    dens = np.exp(to_numpy(q.log_prob(x)))
    total = np.einsum("i,j,ij->", wu, wphi, dens)
    assert abs(total - 1.0) < 1e-5


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("m", [2, 3, 10, 100, 1000, 4096])
def test_log_prob_matches_mpmath(m, dtype):
    kappas = [0.0, 1e-3, 1.0, 50.0, 1e4, 1e6]
    mu = random_unit(m, m, dtype)
    rng = np.random.default_rng(m)
    x = rng.normal(size=(4, m))
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    # Points at, near and away from the mode.
    near = mu + 1e-3 * x[0]
    x = np.concatenate([x, mu[None], (near / np.linalg.norm(near))[None]])
    x = x.astype(dtype)
    with float64():
        for kappa in kappas:
            q = PowerSpherical(mu, np.asarray(kappa, dtype))
            got = to_numpy(q.log_prob(x))
            ref = mp_log_prob(m, float(np.asarray(kappa, dtype)), mu, x)
            # d log p / d cos = kappa / (1 + cos): the rounding of the input
            # dot product (<= m eps) is amplified by kappa.
            tol = (1e-12 if dtype == "float64" else 1e-5) * (1 + np.abs(ref))
            tol = tol + kappa * m * EPS[dtype]
            np.testing.assert_array_less(np.abs(got - ref), tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("m", [2, 3, 10, 1000, 4096])
def test_entropy_and_kl_match_mpmath(m, dtype):
    kappas = np.array([0.0, 1e-6, 1e-3, 1.0, 50.0, 1e4, 1e6], dtype)
    mu = np.broadcast_to(random_unit(m, 3, dtype), (len(kappas), m)).copy()
    with float64():
        q = PowerSpherical(mu, kappas)
        entropy = to_numpy(q.entropy())
        kl = to_numpy(kl_divergence(q, HypersphericalUniform(m, dtype)))
    kl_rtol = 1e-8 if dtype == "float64" else 1e-4
    for i, kappa in enumerate(kappas):
        ref_h, ref_kl, log_area = mp_entropy_kl(m, float(kappa))
        scale = max(abs(ref_h), log_area, ref_kl)
        assert abs(entropy[i] - ref_h) < (1e-12 if dtype == "float64" else 1e-5) * scale
        if kappa == 0:
            assert kl[i] == 0.0
        else:
            assert abs(kl[i] / ref_kl - 1.0) < kl_rtol


def _log_prob_of_samples(mu, kappa):
    q = PowerSpherical(mu, kappa)
    return q.log_prob(q.sample((20000,), seed=5)), q.entropy()


def test_entropy_matches_monte_carlo():
    log_p, entropy = compiled(_log_prob_of_samples)(random_unit(10, 4), np.float32(5.0))
    log_p, entropy = to_numpy(log_p), float(to_numpy(entropy))
    assert abs(-log_p.mean() - entropy) < 5 * log_p.std() / np.sqrt(log_p.size)


def test_kl_gradient_finite_and_analytic():
    # d KL / d kappa = kappa (psi'(a) - psi'(a + b)), a = b + kappa.
    m = 5
    kappas = np.array([0.0, 1e-6, 1.0, 1e3, 1e6], "float32")
    mu = np.broadcast_to(random_unit(m, 6), (len(kappas), m)).copy()

    def kl(kappa, mu):
        q = PowerSpherical(mu, kappa, validate_args=False)
        return kl_divergence(q, HypersphericalUniform(m))

    _, g = grad_of_sum(kl, kappas, mu)
    b = (m - 1) / 2
    ref = kappas * (
        special.polygamma(1, b + kappas) - special.polygamma(1, 2 * b + kappas)
    )
    np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-30)


def test_log_prob_at_antipode():
    mu = np.array([0.0, 0.0, 1.0], "float32")
    x = -mu
    uniform = -math.log(4 * math.pi)
    assert float(PowerSpherical(mu, 0.0).log_prob(x)) == pytest.approx(uniform, 1e-6)
    assert float(PowerSpherical(mu, 2.0).log_prob(x)) == float("-inf")

    def log_prob(kappa, mu):
        return PowerSpherical(mu, kappa, validate_args=False).log_prob(-mu)

    for kappa in (0.0, 2.0):
        _, g = grad_of_sum(log_prob, np.float32(kappa), mu)
        assert np.isfinite(g)


# ----------------------------------------------------------------------------
# Sampling.

N_KS = 2000


def _cosines(mu, kappa):
    mu = ops.convert_to_tensor(mu)
    z = PowerSpherical(mu, kappa).sample((N_KS,), seed=31)
    # Not ops.norm: on JAX with x64 it returns float32 (Keras 3.15).
    return ops.sum(z * mu, axis=-1), ops.sqrt(ops.sum(z * z, axis=-1))


def _assert_cosine_law(w, m, kappa):
    a, b = (m - 1) / 2 + kappa, (m - 1) / 2
    # w = 2t - 1, t ~ Beta(a, b).
    pvalue = stats.kstest(w, lambda v: stats.beta.cdf((1 + v) / 2, a, b)).pvalue
    assert pvalue > P_MIN


@pytest.mark.parametrize("kappa", [0.0, 1.0, 50.0, 1e4])
@pytest.mark.parametrize("m", [2, 3, 10, 100])
def test_sampled_cosine_law_float64(m, kappa):
    # float64: at kappa = 1e4 the float32 grid near w = 1 (spacing 6e-8) is
    # visible to a KS test; the float32 sampler is tested below.
    mu = random_unit(m, 7, "float64")
    with float64():
        w, norm = compiled(_cosines)(mu, np.float64(kappa))
        w, norm = to_numpy(w), to_numpy(norm)
    np.testing.assert_allclose(norm, 1.0, atol=1e-12)
    _assert_cosine_law(w, m, kappa)


@pytest.mark.parametrize("kappa", [0.0, 1.0, 50.0])
@pytest.mark.parametrize("m", [2, 3, 10, 100])
def test_sampled_cosine_law_float32(m, kappa):
    mu = random_unit(m, 8)
    w, norm = compiled(_cosines)(mu, np.float32(kappa))
    w, norm = to_numpy(w), to_numpy(norm)
    np.testing.assert_allclose(norm, 1.0, atol=1e-5)
    _assert_cosine_law(w, m, kappa)


def _batched_outputs(mu, kappa):
    q = PowerSpherical(mu, kappa)
    z = q.sample(5, seed=9)  # an int sample_shape
    return (
        z,
        q.log_prob(z),
        q.entropy(),
        q.mean(),
        q.mode(),
        kl_divergence(q, HypersphericalUniform(4)),
    )


def test_samples_unit_vectors_and_shapes():
    mu = np.stack([random_unit(4, i) for i in range(6)]).reshape(2, 3, 4)
    kappa = np.array([0.0, 3.0, 1e5], "float32")
    q = PowerSpherical(mu, kappa)
    assert q.batch_shape == (2, 3) and q.event_shape == (4,) and q.dim == 4
    z, log_p, entropy, mean, mode, kl = map(
        to_numpy, compiled(_batched_outputs)(mu, kappa)
    )
    assert z.shape == (5, 2, 3, 4)
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)
    assert log_p.shape == (5, 2, 3) and np.all(np.isfinite(log_p))
    assert entropy.shape == (2, 3) and kl.shape == (2, 3)
    assert mean.shape == (2, 3, 4)
    np.testing.assert_allclose(mode, mu, atol=1e-7)


def _many_samples(mu, kappa):
    return PowerSpherical(mu, kappa).sample((20000,), seed=11)


def test_sample_mean_matches_closed_form():
    m, kappa = 5, 3.0
    mu = random_unit(m, 10)
    q = PowerSpherical(mu, kappa)
    z = to_numpy(compiled(_many_samples)(mu, np.float32(kappa)))
    n = len(z)
    expected = kappa / (m - 1 + kappa) * mu
    np.testing.assert_allclose(to_numpy(q.mean()), expected, rtol=1e-6)
    assert float(q.mean_resultant_length()) == pytest.approx(kappa / (m - 1 + kappa))
    se = z.std(axis=0) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(z.mean(axis=0) - expected), 5 * se)


def _few_samples(mu, kappa):
    return PowerSpherical(mu, kappa).sample((3,), seed=13)


def test_seed_reproducible():
    mu, kappa = random_unit(3, 12), np.float32(4.0)
    a = to_numpy(compiled(_few_samples)(mu, kappa))
    np.testing.assert_array_equal(a, to_numpy(compiled(_few_samples)(mu, kappa)))
    if BACKEND == "jax":
        pytest.skip(
            "a stateful generator must run eagerly, which on JAX compiles op by "
            "op (~5 s); generator handling is checked on TensorFlow and torch"
        )
    q = PowerSpherical(mu, kappa)
    gen = keras.random.SeedGenerator(13)
    assert not np.array_equal(
        to_numpy(q.sample((3,), seed=gen)), to_numpy(q.sample((3,), seed=gen))
    )


N_GRAD = 20000


def _batch_cosines(kappa, mu):
    # One sample per batch entry: d/d kappa_i of the sum is the per-draw
    # pathwise derivative of mu^T z_i.
    mu = ops.convert_to_tensor(mu)
    z = PowerSpherical(mu, kappa, validate_args=False).sample(seed=41)
    return ops.sum(z * mu, axis=-1)


@pytest.mark.parametrize(
    "m, kappa", [(2, 1.0), (3, 1.0), (5, 0.0), (10, 5.0), (100, 50.0)]
)
def test_gradient_of_mean_cosine_matches_analytic(m, kappa):
    # E[mu^T z] = kappa / (m - 1 + kappa); derivative (m - 1) / (m - 1 + kappa)^2.
    mu = np.broadcast_to(random_unit(m, 14), (N_GRAD, m)).copy()
    w, g = grad_of_sum(_batch_cosines, np.full((N_GRAD,), kappa, "float32"), mu)
    assert np.all(np.isfinite(g))
    expected = (m - 1) / (m - 1 + kappa) ** 2
    assert abs(g.mean() - expected) < 5 * g.std() / np.sqrt(N_GRAD)
    assert abs(w.mean() - kappa / (m - 1 + kappa)) < 5 * w.std() / np.sqrt(N_GRAD)


def _e1_samples(mu, kappa):
    return PowerSpherical(mu, kappa, validate_args=False).sample((64,), seed=42)


def _e1_samples_of_kappa(kappa, mu):
    return _e1_samples(mu, kappa)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_e1_and_minus_e1_finite_samples_and_gradients(sign):
    # The Householder map is degenerate (0/0) at mu = e1; mu = -e1 is regular.
    mu = np.array([sign, 0.0, 0.0], "float32")
    for kappa in (0.0, 5.0, 1e5):
        z, g_mu = grad_of_sum(_e1_samples, mu, np.float32(kappa))
        _, g_kappa = grad_of_sum(_e1_samples_of_kappa, np.float32(kappa), mu)
        assert np.all(np.isfinite(z))
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)
        assert np.all(np.isfinite(g_mu)) and np.isfinite(g_kappa)
        if kappa == 1e5:
            # Concentrated at the mean direction.
            assert np.all(sign * z[:, 0] > 0.99)


def test_sample_and_log_prob_under_tracing():
    m = 4
    mu = random_unit(m, 15)

    def make_fn(seed):
        def fn(mu, kappa):
            q = PowerSpherical(mu, kappa)
            z = q.sample((8,), seed=seed)
            return z, q.log_prob(z), kl_divergence(q, HypersphericalUniform(m))

        return fn

    if BACKEND == "tensorflow":
        import tensorflow as tf

        # tf.function traces twice and cannot create the generator state
        # inside: the Keras pattern, a generator built outside, is used.
        traced = tf.function(make_fn(keras.random.SeedGenerator(16)))
    elif BACKEND == "jax":
        import jax

        traced = jax.jit(make_fn(16))
    else:
        pytest.skip("the torch backend has no graph tracing to test here")
    z, log_p, kl = traced(mu, np.float32(2.0))
    eager = PowerSpherical(mu, 2.0)
    assert tuple(z.shape) == (8, m)
    np.testing.assert_allclose(to_numpy(log_p), to_numpy(eager.log_prob(z)), rtol=1e-5)
    ref = float(kl_divergence(eager, HypersphericalUniform(m)))
    assert float(kl) == pytest.approx(ref, rel=1e-6)


# ----------------------------------------------------------------------------
# Arguments.


def test_properties_and_normalize():
    q = PowerSpherical([3.0, 4.0], 2.0, normalize=True)
    np.testing.assert_allclose(to_numpy(q.mean_direction), [0.6, 0.8], rtol=1e-6)
    assert float(q.concentration) == 2.0
    assert q.dtype == "float32" and q.name == "PowerSpherical"
    assert "PowerSpherical dim=2" in repr(q)
    with float64():
        q64 = PowerSpherical(np.array([0.0, 1.0]), 1.0)
    assert q64.dtype == "float64"


@pytest.mark.parametrize(
    "mean_direction, concentration, match",
    [
        ([1.0], 1.0, "dim=1"),
        ([0.0, 1.0], -1.0, r"concentration=\[-1\.\]"),
        ([0.0, 1.0], float("inf"), r"concentration=\[inf\]"),
        ([0.0, 1.0], float("nan"), r"concentration=\[nan\]"),
        ([0.0, float("nan")], 1.0, "nan"),
        ([1.0, 1.0, 0.0], 1.0, "1.414"),
        ([0.6, 0.81], 1.0, "1.008"),
        (np.zeros((3, 4)) + [1.0, 0, 0, 0], np.ones(5), r"concentration.shape=\(5,\)"),
    ],
)
def test_bad_arguments_raise_naming_the_value(mean_direction, concentration, match):
    with pytest.raises(ValueError, match=match):
        PowerSpherical(np.asarray(mean_direction, "float32"), concentration)


def test_normalize_rejects_zero_vector():
    with pytest.raises(ValueError, match="zero"):
        PowerSpherical([0.0, 0.0], 1.0, normalize=True)


def test_unit_tolerance_float32():
    # Within the float32 tolerance (1e-3 relative): accepted as unit vectors.
    PowerSpherical(np.array([0.6, 0.8004], "float32"), 1.0)


def test_kl_dimension_mismatch():
    with pytest.raises(ValueError, match="q.dim=3, p.dim=4"):
        kl_divergence(PowerSpherical([0.0, 0.0, 1.0], 1.0), HypersphericalUniform(4))


def test_log_prob_wrong_dimension():
    with pytest.raises(ValueError, match=r"x.shape=\(3,\)"):
        PowerSpherical([0.0, 1.0], 1.0).log_prob(np.zeros(3, "float32"))
