"""float16 and bfloat16 through the math layer (ops and distributions).

Special functions compute in float32 and round their result once to the
input dtype, so every value must equal the exact value *at the rounded
input* (mpmath, `mp_reference.py`) to the precision of the dtype: unit
roundoff 2^-11 ~ 4.9e-4 for float16 and 2^-8 ~ 3.9e-3 for bfloat16 (the
tolerances below are about 4x and 2.5x those). Samplers must return finite
unit vectors of the input dtype with finite gradients, eagerly and traced.
"""

import keras
import ml_dtypes
import mpmath as mp
import numpy as np
import pytest
from backend_utils import backend, value_and_grad
from keras import ops
from mp_reference import (
    iv_ratio,
    log_iv,
    log_sphere_area,
    power_spherical_entropy_kl,
    power_spherical_parts,
    vmf_kl,
    vmf_log_normalizer,
)

from keras_hsvae import distributions as hd
from keras_hsvae import ops as hops
from keras_hsvae.ops import beta as hbeta
from keras_hsvae.ops import gaussian, hsc

HALF = ["float16", "bfloat16"]
RTOL = {"float16": 2e-3, "bfloat16": 1e-2}
# Unit roundoff of each dtype.
UNIT = {"float16": 2.0**-11, "bfloat16": 2.0**-8}
DIMS = [3, 10, 64]
KAPPAS = [0.5, 20.0, 1e3, 1e5]


def half(x, dtype):
    """A `dtype` tensor from float values (through float32: torch has no
    numpy bfloat16)."""
    return ops.cast(ops.convert_to_tensor(np.asarray(x, "float32")), dtype)


def rounded(x, dtype):
    """The float64 values of `x` after rounding to `dtype`."""
    np_dtype = np.float16 if dtype == "float16" else ml_dtypes.bfloat16
    return np.asarray(np.asarray(x, "float32").astype(np_dtype), np.float64)


def to64(t):
    return np.asarray(ops.convert_to_numpy(ops.cast(t, "float32")), np.float64)


def dtype_of(t):
    return keras.backend.standardize_dtype(t.dtype)


def kappas_for(dtype):
    """The concentrations of `KAPPAS` that `dtype` can hold (float16: <= 65504)."""
    return [k for k in KAPPAS if k <= float(ml_dtypes.finfo(dtype).max)]


def unit(m, seed, dtype):
    """A random unit vector, rounded to `dtype` (float64 values)."""
    v = np.random.default_rng(seed).normal(size=m)
    return rounded(v / np.linalg.norm(v), dtype)


def traced(fn):
    """`fn` compiled the way a model's train step is: tf.function / jax.jit."""
    if backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(fn)
    if backend() == "jax":
        import jax

        return jax.jit(fn)
    return fn


# ----------------------------------------------------------------------------
# von Mises-Fisher values against mpmath.


@pytest.mark.parametrize("m", DIMS)
@pytest.mark.parametrize("dtype", HALF)
def test_vmf_values_match_mpmath_at_the_rounded_input(dtype, m):
    kappa = kappas_for(dtype)
    mu = np.zeros((len(kappa), m))
    mu[:, 1] = 1.0
    q = hd.VonMisesFisher(half(mu, dtype), half(kappa, dtype))
    assert q.dtype == dtype
    mean = q.mean()
    got = {
        "kl": q.kl_divergence(hd.HypersphericalUniform(m, dtype)),
        "entropy": q.entropy(),
        "mean_resultant_length": mean[:, 1],
        "log_prob_at_mode": q.log_prob(q.mode()),
        # The mean lies inside the ball: off the sphere, which validate_args
        # refuses (issue #10); the formula itself extends there.
        "log_prob_at_mean": hd.VonMisesFisher(
            half(mu, dtype), half(kappa, dtype), validate_args=False
        ).log_prob(mean),
    }
    k64 = rounded(kappa, dtype)
    kl = np.array([float(vmf_kl(m, k)) for k in k64])
    log_c = np.array([float(vmf_log_normalizer(m, k)) for k in k64])
    # At the mean the cosine is the (rounded) mean resultant length.
    cos_mean = to64(mean)[:, 1]
    expected = {
        "kl": kl,
        "entropy": float(log_sphere_area(m)) - kl,
        "mean_resultant_length": [float(iv_ratio(m / 2 - 1, k)) for k in k64],
        "log_prob_at_mode": log_c + k64,
        "log_prob_at_mean": k64 * (cos_mean - 1.0) + log_c + k64,
    }
    for name, value in got.items():
        assert dtype_of(value) == dtype, name
        value = to64(value)
        assert np.all(np.isfinite(value)), (name, value)
        np.testing.assert_allclose(
            value, expected[name], rtol=RTOL[dtype], err_msg=f"{name} m={m}"
        )


def test_float16_rejects_a_concentration_it_cannot_hold():
    mu = half([0.0, 1.0, 0.0], "float16")
    with pytest.raises(ValueError, match="65504"):
        hd.VonMisesFisher(mu, 1e5, dtype="float16")


@pytest.mark.parametrize("dtype", HALF)
def test_power_spherical_values_match_mpmath_at_the_rounded_input(dtype):
    for m in DIMS:
        kappa = kappas_for(dtype)
        mu = np.zeros((len(kappa), m))
        mu[:, 0] = 1.0
        q = hd.PowerSpherical(half(mu, dtype), half(kappa, dtype))
        kl = q.kl_divergence(hd.HypersphericalUniform(m, dtype))
        entropy = q.entropy()
        log_prob = q.log_prob(q.mode())
        for value in (kl, entropy, log_prob):
            assert dtype_of(value) == dtype
        ref = [power_spherical_entropy_kl(m, k) for k in rounded(kappa, dtype)]
        ref_entropy, ref_kl, _ = (np.array(r) for r in zip(*ref))
        # At the mode: log C + kappa log 2 = -H - kappa E[log t] = KL - log area
        # + kappa (psi(a + b) - psi(a)), a = b + kappa, b = (m - 1) / 2.
        with mp.workdps(30):
            b = mp.mpf(m - 1) / 2
            gap = [
                float(k * (mp.digamma(2 * b + k) - mp.digamma(b + k)))
                for k in map(mp.mpf, rounded(kappa, dtype))
            ]
        ref_log_prob = -ref_entropy + np.array(gap)
        rtol = RTOL[dtype]
        np.testing.assert_allclose(to64(kl), ref_kl, rtol=rtol, err_msg=f"m={m}")
        np.testing.assert_allclose(to64(entropy), ref_entropy, rtol=rtol)
        np.testing.assert_allclose(to64(log_prob), ref_log_prob, rtol=rtol)


# ----------------------------------------------------------------------------
# The ops themselves: values, output dtype, gradients.


def _power_spherical_kl(m, kappa):
    _, _, entropy, log_area = power_spherical_parts(m, kappa)
    return log_area - entropy


def _derivative(fn, x):
    # Central difference with a fixed step h: the references fix their own
    # precision (40 digits), below which mp.diff's default step vanishes.
    # Truncation error ~ h^2 = 1e-16 times the third derivative.
    return mp.diff(fn, mp.mpf(x), h=mp.mpf("1e-8"))


# (function, its mpmath reference); both take the argument x.
SPECIAL_FUNCTIONS = [
    (hops.lgamma, mp.loggamma),
    (hops.digamma, mp.digamma),
    (lambda x: hops.log_bessel_iv(4.0, x), lambda x: log_iv(4, x)),
    (lambda x: hops.bessel_iv_ratio(31.0, x), lambda x: iv_ratio(31, x)),
    (lambda x: hops.log_bessel_ive(0.0, x), lambda x: log_iv(0, x) - x),
    (lambda x: hops.vmf_kl_to_uniform(10, x), lambda x: vmf_kl(10, x)),
    # KL(Beta(4.5 + x, 4.5) || Beta(4.5, 4.5)) = KL(PowerSpherical || U), m = 10.
    (lambda x: hbeta.symmetric_beta_kl(4.5, x), lambda x: _power_spherical_kl(10, x)),
]


@pytest.mark.parametrize("dtype", HALF)
def test_special_functions_match_mpmath_with_gradients(dtype):
    x64 = rounded([0.5, 3.0, 20.0, 1000.0], dtype)
    count = len(SPECIAL_FUNCTIONS)

    def evaluate(*xs):
        # One graph for all functions (one compilation on JAX); each function
        # gets its own copy of x, so each gradient is that function's own.
        outs = []
        for (fn, _), x in zip(SPECIAL_FUNCTIONS, xs):
            out = fn(ops.cast(x, dtype))
            assert dtype_of(out) == dtype
            outs.append(ops.cast(out, "float32"))
        return ops.stack(outs)

    x32 = np.asarray(x64, "float32")
    values, grads = value_and_grad(evaluate, *([x32] * count))
    for i, (_, reference) in enumerate(SPECIAL_FUNCTIONS):
        with mp.workdps(30):
            ref = [float(reference(mp.mpf(x))) for x in x64]
            ref_grad = [float(_derivative(reference, x)) for x in x64]
        np.testing.assert_allclose(values[i], ref, rtol=RTOL[dtype], err_msg=str(i))
        # The derivative is computed in float32 and rounded (twice) on its
        # way through the casts.
        np.testing.assert_allclose(
            grads[i], ref_grad, rtol=2 * RTOL[dtype], atol=1e-6, err_msg=str(i)
        )


@pytest.mark.parametrize("dtype", HALF)
def test_concentration_mle_in_half_precision(dtype):
    # A_10(kappa) at kappa = 0.5, 20, 1000: the MLE must give kappa back.
    kappa = np.array([0.5, 20.0, 1000.0])
    r = rounded([float(iv_ratio(4, k)) for k in kappa], dtype)
    got = hops.vmf_concentration_mle(half(r, dtype), 10)
    assert dtype_of(got) == dtype
    # kappa at the rounded R, from the float64 solver (checked against mpmath
    # in test_von_mises_fisher.py).
    from backend_utils import float64

    with float64():
        ref = to64(hops.vmf_concentration_mle(ops.convert_to_tensor(r), 10))
    np.testing.assert_allclose(to64(got), ref, rtol=RTOL[dtype])


# ----------------------------------------------------------------------------
# Sampling: finite unit vectors of the input dtype, finite gradients.


def _unit_error(z):
    z = z if isinstance(z, np.ndarray) else to64(z)
    return np.abs(np.linalg.norm(z.astype(np.float64), axis=-1) - 1.0)


def _draw(cls, dtype, n):
    def fn(mu, kappa):
        q = cls(ops.cast(mu, dtype), ops.cast(kappa, dtype))
        z = q.sample((n,), seed=3)
        assert dtype_of(z) == dtype
        return ops.cast(z, "float32")

    return fn


@pytest.mark.parametrize("m", DIMS)
@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("cls", [hd.VonMisesFisher, hd.PowerSpherical])
def test_samples_are_unit_vectors_with_finite_gradients(cls, dtype, m):
    kappa = kappas_for(dtype)
    mu = np.stack([unit(m, i, dtype) for i in range(len(kappa))])
    n = 2000
    args = (mu.astype("float32"), np.asarray(kappa, "float32"))
    z, (g_mu, g_kappa) = value_and_grad(_draw(cls, dtype, n), *args)
    assert z.shape == (n, len(kappa), m)
    assert np.all(np.isfinite(z))
    # One rounding per coordinate: the norm is off by at most ~1 unit roundoff.
    assert np.max(_unit_error(z)) <= 2 * UNIT[dtype]
    assert np.all(np.isfinite(g_mu))
    assert np.all(np.isfinite(g_kappa))
    assert np.all(g_kappa != 0)  # the draws do depend on the concentration
    # E[mu^T z]: Bessel ratio (vMF) or kappa / (m - 1 + kappa) (Power Spherical),
    # within 5 standard errors of the fixed-seed sample mean.
    cos = np.einsum("nbm,bm->nb", z.astype(np.float64), mu)
    k64 = rounded(kappa, dtype)
    if cls is hd.VonMisesFisher:
        expected = np.array([float(iv_ratio(m / 2 - 1, k)) for k in k64])
    else:
        expected = k64 / (m - 1 + k64)
    tol = 5 * cos.std(axis=0) / np.sqrt(n) + 4 * UNIT[dtype]
    np.testing.assert_array_less(np.abs(cos.mean(axis=0) - expected), tol)


@pytest.mark.skipif(
    backend() != "tensorflow",
    reason="JAX traces in the test above (value_and_grad jits); torch is eager",
)
@pytest.mark.parametrize("dtype", HALF)
def test_samplers_trace_in_half_precision(dtype):
    # TensorFlow graphs have no float16 `Range` (the Gamma boost offsets) and
    # no bfloat16 gamma kernel (Wood's proposals): both run in float32.
    def draw(mu, kappa):
        vmf = hd.VonMisesFisher(mu, kappa, validate_args=False)
        ps = hd.PowerSpherical(mu, kappa, validate_args=False)
        return vmf.sample((4,), seed=2), ps.sample((4,), seed=2)

    mu = half(np.stack([unit(10, 0, dtype)] * 3), dtype)
    kappa = half([0.5, 20.0, 1e3], dtype)
    for z in traced(draw)(mu, kappa):
        assert dtype_of(z) == dtype
        assert np.all(np.isfinite(to64(z)))
        assert np.max(_unit_error(z)) <= 2 * UNIT[dtype]


# ----------------------------------------------------------------------------
# Householder, spherical coordinates, the HSC regularizer, SAE maps.


def _householder64(z, mu):
    e1 = np.zeros(z.shape[-1])
    e1[0] = 1.0
    diff = e1 - mu
    norm_sq = np.sum(diff * diff, axis=-1, keepdims=True)
    safe = np.where(norm_sq > 0, norm_sq, 1.0)
    out = z - 2.0 * np.sum(diff * z, axis=-1, keepdims=True) / safe * diff
    return np.where(norm_sq > 0, out, z)


@pytest.mark.parametrize("dtype", HALF)
def test_householder_reflection_in_half_precision(dtype):
    m = 10
    z = np.stack([unit(m, i, dtype) for i in range(4)])
    mu = np.stack([unit(m, 10 + i, dtype) for i in range(2)] + [np.eye(m)[0]] * 2)
    mu[3] *= -1.0  # rows: two generic directions, e_1 (identity), -e_1
    got = hops.householder_reflect(half(z, dtype), half(mu, dtype))
    assert dtype_of(got) == dtype
    np.testing.assert_allclose(to64(got), _householder64(z, mu), atol=2 * UNIT[dtype])

    def fn(z, mu):
        out = hops.householder_reflect(ops.cast(z, dtype), ops.cast(mu, dtype))
        weights = ops.convert_to_tensor(np.arange(1, m + 1, dtype="float32"))
        return ops.cast(out, "float32") * weights

    _, grads = value_and_grad(fn, z.astype("float32"), mu.astype("float32"))
    for g in grads:
        assert np.all(np.isfinite(g))


@pytest.mark.parametrize("dtype", HALF)
def test_spherical_coordinates_and_hsc_penalty_in_half_precision(dtype):
    rng = np.random.default_rng(0)
    # Entries up to 300: their squares overflow float16 (65504).
    mu = rounded(rng.normal(size=(16, 6)) * 100.0, dtype)
    sigma = rounded(np.exp(rng.normal(size=(16, 6))), dtype)
    radius, cosines = hops.spherical_cosines(half(mu, dtype))
    assert dtype_of(radius) == dtype_of(cosines) == dtype
    tails = np.sqrt(np.cumsum((mu**2)[:, ::-1], axis=1)[:, ::-1])
    np.testing.assert_allclose(to64(radius), tails[:, 0], rtol=RTOL[dtype])
    np.testing.assert_allclose(
        to64(cosines), mu[:, :-1] / tails[:, :-1], atol=2 * UNIT[dtype]
    )

    targets = hsc.prior_targets("moderate", 6)
    gains = hsc.hsc_gains("all_ones", 6)
    got = hsc.hsc_penalty(half(mu, dtype), half(sigma, dtype), targets, gains)
    assert dtype_of(got) == "float32"  # documented: float32 at least
    from backend_utils import float64

    with float64():
        ref = hsc.hsc_penalty(
            ops.convert_to_tensor(mu), ops.convert_to_tensor(sigma), targets, gains
        )
    np.testing.assert_allclose(to64(got), to64(ref), rtol=1e-5)

    z = half([[300.0, -400.0, 0.0], [1e-3, 2e-3, 3e-3]], dtype)
    for fn in (hops.spherize, hops.centerize):
        out = fn(z)
        assert dtype_of(out) == dtype
        assert np.all(np.isfinite(to64(out)))


@pytest.mark.parametrize("dtype", HALF)
def test_gaussian_kl_and_log_softplus_in_half_precision(dtype):
    mean = np.array([[300.0, 1.0], [0.5, -2.0]])
    log_var = np.array([[0.0, 0.0], [-3.0, 2.0]])
    got = gaussian.gaussian_kl_to_standard_normal(
        half(mean, dtype), half(log_var, dtype)
    )
    assert dtype_of(got) == dtype
    m64, t64 = rounded(mean, dtype), rounded(log_var, dtype)
    # 300^2 overflows float16; the sum 45000.5 does not.
    ref = 0.5 * np.sum(m64**2 + np.expm1(t64) - t64, axis=-1)
    np.testing.assert_allclose(to64(got), ref, rtol=RTOL[dtype])

    x = [-20.0, -2.0, 0.0, 5.0, -40.0]
    got = gaussian.log_softplus(half(x, dtype))
    assert dtype_of(got) == dtype
    x64 = rounded(x, dtype)
    # float16 exp(-20) underflows: the float32 inside keeps log softplus = -20.
    np.testing.assert_allclose(
        to64(got), np.log(np.log1p(np.exp(x64))), rtol=RTOL[dtype]
    )
