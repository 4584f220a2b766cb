"""Spherical Auto-Encoder maps: `keras_hsvae.ops.sae` (SPEC section 5).

References: numpy float64 formulas, the analytic Jacobians of the two maps,
and Lemma 1 of 003 checked by a seeded Monte-Carlo test against the exact
mean distance between two uniform points on S^{m-1} (scipy quadrature).
"""

import math
import re

import keras
import numpy as np
import pytest
from backend_utils import backend, float64, to_numpy, value_and_grad
from keras import ops
from scipy import integrate, special

from keras_hsvae.ops import sae


def _compiled(fn, **kwargs):
    """`fn` jitted on JAX, whose eager mode compiles every op for every shape."""
    if backend() == "jax":
        import jax

        return jax.jit(fn, **kwargs)
    return fn


centerize = _compiled(sae.centerize)
spherize = _compiled(sae.spherize, static_argnames=("radius",))


def _normal(shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _t(w, like):
    return ops.convert_to_tensor(w, like.dtype)


# ---------------------------------------------------------------- centerize


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_centerize_subtracts_the_mean_of_each_vector(dtype):
    z = (_normal((6, 5), seed=1) + np.arange(6)[:, None]).astype(dtype)  # row offsets
    with float64():
        out = to_numpy(centerize(z))
    assert out.dtype == dtype and out.shape == (6, 5)
    ref = z.astype(np.float64) - z.astype(np.float64).mean(axis=-1, keepdims=True)
    tol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(out.mean(axis=-1), 0.0, atol=tol)
    # Per vector, not over the batch: the column means are not zeroed.
    assert np.max(np.abs(out.mean(axis=0) - ref.mean(axis=0))) < 10 * tol


def test_centerize_constant_vectors_give_exact_zeros():
    # 0.1 * 3 / 3 != 0.1 in floating point: without the guard the output is
    # rounding noise, which spherize would turn into an arbitrary direction.
    z = np.array([[0.1, 0.1, 0.1], [0.0, 0.0, 0.0], [7.3, 7.3, 7.3], [1.0, 2.0, 3.0]])
    for dtype in ("float32", "float64"):
        with float64():
            out = to_numpy(centerize(z.astype(dtype)))
        np.testing.assert_array_equal(out[:3], 0.0)
        np.testing.assert_allclose(out[3], [-1.0, 0.0, 1.0], atol=1e-6)


def test_centerize_gradient_is_the_projection_everywhere():
    # d/dz sum(w * centerize(z)) = w - mean(w), constant vectors included.
    z = np.array([[0.1, 0.1, 0.1, 0.1], [0.0, 0.0, 0.0, 0.0], [1.0, -2.0, 0.5, 3.0]])
    w = _normal((3, 4), seed=2)

    def f(v):
        return ops.sum(sae.centerize(v) * _t(w, v))

    with float64():
        _, (grad,) = value_and_grad(f, z)
    np.testing.assert_allclose(grad, w - w.mean(axis=-1, keepdims=True), rtol=1e-12)


def test_integer_and_half_inputs():
    out = centerize(np.array([[1, 2, 6]], "int32"))
    assert keras.backend.standardize_dtype(out.dtype) == keras.backend.floatx()
    out = spherize(np.array([[300.0, 400.0]], "float16"))  # |z|^2 > float16 max
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    np.testing.assert_allclose(to_numpy(out).astype(float), [[0.6, 0.8]], rtol=1e-3)


# ----------------------------------------------------------------- spherize


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("radius", [1.0, 0.5, 11.0])
def test_spherize_norm_and_direction(radius, dtype):
    z = _normal((7, 9), seed=3, dtype=dtype)
    with float64():
        out = to_numpy(spherize(z, radius=radius))
    assert out.dtype == dtype
    tol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), radius, rtol=tol)
    ref = radius * z / np.linalg.norm(z.astype(np.float64), axis=-1, keepdims=True)
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol * radius)


@pytest.mark.parametrize(
    "dtype, scale", [("float32", 1e30), ("float32", 1e-30), ("float64", 1e300)]
)
def test_spherize_does_not_overflow_or_underflow(dtype, scale):
    z = _normal((4, 6), seed=4)
    with float64():
        out = to_numpy(spherize((z * scale).astype(dtype)))
    ref = z / np.linalg.norm(z, axis=-1, keepdims=True)
    tol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def test_spherize_zero_vector_is_zero_with_zero_gradient():
    z = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]])

    def f(v):
        return ops.sum(sae.spherize(v, radius=2.0) * _t(np.ones((2, 3)), v))

    with float64():
        out = to_numpy(spherize(z, radius=2.0))
        _, (grad,) = value_and_grad(f, z)
    np.testing.assert_array_equal(out[0], 0.0)
    np.testing.assert_allclose(out[1], [1.2, 0.0, -1.6], rtol=1e-14)
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad[0], 0.0)
    # Regular row: radius (I - u u^T) / ||z|| applied to w = 1.
    u = np.array([0.6, 0.0, -0.8])
    np.testing.assert_allclose(grad[1], 2.0 * (np.ones(3) - u * u.sum()) / 5.0)


def test_spherize_gradient_matches_the_analytic_jacobian():
    z = _normal((5, 4), seed=5)
    w = _normal((5, 4), seed=6)
    radius = 3.0

    def f(v):
        return ops.sum(sae.spherize(v, radius=radius) * _t(w, v))

    with float64():
        _, (grad,) = value_and_grad(f, z)
    norm = np.linalg.norm(z, axis=-1, keepdims=True)
    u = z / norm
    ref = radius * (w - u * np.sum(u * w, axis=-1, keepdims=True)) / norm
    np.testing.assert_allclose(grad, ref, rtol=1e-12)


def test_sae_pipeline_on_constant_and_zero_vectors():
    # Prior draws with equal entries (likely for Poisson in low dimension).
    z = np.array([[2.0, 2.0], [0.0, 0.0], [1.0, 3.0]], "float32")
    out = to_numpy(spherize(centerize(z)))
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[:2], 0.0)
    np.testing.assert_allclose(out[2], [-(0.5**0.5), 0.5**0.5], rtol=1e-6)


@pytest.mark.parametrize(
    "radius", [0, 0.0, -1.0, float("inf"), float("nan"), "1.0x", None, True]
)
def test_radius_validation_quotes_the_value(radius):
    with pytest.raises(ValueError, match=re.escape(f"Received: radius={radius!r}")):
        sae.spherize(np.ones((1, 3), "float32"), radius=radius)


def test_check_radius_accepts_numbers():
    assert sae.check_radius(2) == 2.0 and isinstance(sae.check_radius(2), float)
    assert sae.check_radius(np.float32(0.5)) == 0.5


# ------------------------------------------------------------------ Lemma 1


def exact_mean_distance(m, radius=1.0):
    """E||u - v|| for u, v independent uniform on S^{m-1} of radius `radius`.

    t = u.v / r^2 has density (1 - t^2)^((m-3)/2) / B(1/2, (m-1)/2) on [-1, 1]
    and ||u - v|| = r sqrt(2 - 2 t).
    """
    log_norm = special.betaln(0.5, (m - 1) / 2)

    def integrand(t):
        return math.sqrt(2 - 2 * t) * math.exp(
            (m - 3) / 2 * math.log1p(-t * t) - log_norm
        )

    value, _ = integrate.quad(integrand, -1, 1, limit=200)
    return radius * value


def test_lemma_1_distances_concentrate_at_sqrt2_radius():
    # Two random points on S^{m-1} (m = d + 1) of radius r: the mean distance
    # tends to sqrt(2) r and its standard deviation to 0 (003, Lemma 1).
    rng = np.random.default_rng(0)
    radius, pairs = 2.5, 2000
    means, stds = [], []
    for m in (3, 30, 300, 3000):
        u = to_numpy(spherize(rng.normal(size=(pairs, m)).astype("float32"), radius))
        v = to_numpy(spherize(rng.normal(size=(pairs, m)).astype("float32"), radius))
        d = np.linalg.norm(u.astype(np.float64) - v, axis=-1)
        means.append(d.mean())
        stds.append(d.std())
        exact = exact_mean_distance(m, radius)
        # Monte-Carlo agreement with the exact mean (5 standard errors).
        assert abs(d.mean() - exact) < 5 * d.std() / math.sqrt(pairs)
    assert np.all(np.diff(stds) < 0)  # the spread shrinks with the dimension
    np.testing.assert_allclose(means[-1], math.sqrt(2) * radius, rtol=5e-3)
    # Large m: t ~ N(0, 1/m), so std ~ r / sqrt(2 m).
    np.testing.assert_allclose(stds[-1], radius / math.sqrt(2 * 3000), rtol=0.1)


@pytest.mark.parametrize("prior", ["normal", "uniform", "poisson", "chi2"])
def test_prior_robust_sampling_lands_on_the_centered_sphere(prior):
    # Algorithm 1 of 003: any prior, centerize, spherize. Outputs lie on the
    # sphere inside sum(z) = 0, and in high dimension pairwise distances
    # concentrate at sqrt(2) r whatever the prior.
    rng = np.random.default_rng(1)
    m, pairs, radius = 2000, 500, 1.0
    draw = {
        "normal": lambda: rng.normal(size=(pairs, m)),
        "uniform": lambda: rng.uniform(size=(pairs, m)),
        "poisson": lambda: rng.poisson(1.0, size=(pairs, m)),
        "chi2": lambda: rng.chisquare(3, size=(pairs, m)),
    }[prior]
    u, v = (to_numpy(spherize(centerize(draw().astype("float32")))) for _ in "uv")
    np.testing.assert_allclose(np.linalg.norm(u, axis=-1), radius, rtol=1e-5)
    np.testing.assert_allclose(u.sum(axis=-1), 0.0, atol=1e-4)
    d = np.linalg.norm(u.astype(np.float64) - v, axis=-1)
    np.testing.assert_allclose(d.mean(), math.sqrt(2) * radius, rtol=5e-3)
    assert d.std() < 0.03 * radius
