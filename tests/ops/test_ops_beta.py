"""Tests for keras_hsvae.ops.beta: Gamma/Beta samplers and the Beta KL helpers.

Reference values come from scipy.stats (KS tests at fixed seeds), scipy.special
(moments), scipy.integrate (the RSVI bias) and mpmath at 50 digits (KL).
"""

import functools

import keras
import mpmath
import numpy as np
import pytest
from backend_utils import compiled, float64, grad_of_sum
from keras import ops
from scipy import integrate, special, stats

from keras_hsvae.ops import beta as hbeta

# KS p-value below which a fixed-seed sample is declared wrong.
P_MIN = 1e-4


def evaluate(fn, *args):
    """`fn(*args)` as a float64 numpy array (jitted on JAX)."""
    return to_numpy(compiled(fn)(*args))


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x)).astype(np.float64)


def f32(*values):
    return tuple(np.float32(v) for v in values)


# Module-level draws (one compilation each on JAX); concentrations are
# traced arguments.
N_KS = 3000
N_GRAD = 20000


def _log_gamma_draw(a):
    return hbeta.sample_log_gamma((N_KS,), a, seed=11)


def _gamma_draw(a):
    return hbeta.sample_gamma((N_KS,), a, seed=12)


def _beta_draw(a, b):
    return hbeta.sample_beta((N_KS,), a, b, seed=13)


def _beta_logit_draw(a, b):
    return hbeta.sample_beta_logit((N_KS,), a, b, seed=14)


def _gamma_float64_draw(a):
    return hbeta.sample_gamma((N_KS,), a, "float64", seed=16)


def _beta_float64_draw(a, b):
    return hbeta.sample_beta((N_KS,), a, b, "float64", seed=17)


def _gamma_columns_draw(a):
    return hbeta.sample_gamma((N_KS, 3), a, seed=18)


def _beta_small_draw(a, b):
    return hbeta.sample_beta((5,), a, b, seed=3)


def _gamma_one_proposal_draw(a):
    return hbeta.sample_gamma((N_GRAD,), a, seed=19, max_proposals=1)


def _beta_one_proposal_draw(a, b):
    return hbeta.sample_beta((N_GRAD,), a, b, seed=19, max_proposals=1)


def _gamma_grad_draw(a):
    return hbeta.sample_gamma((N_GRAD,), a, seed=21)


def _beta_grad_draw_a(a, b):
    return hbeta.sample_beta((N_GRAD,), a, b, seed=22)


def _beta_grad_draw_b(b, a):
    return hbeta.sample_beta((N_GRAD,), a, b, seed=23)


# ----------------------------------------------------------------------------
# Samplers: distribution.


@pytest.mark.parametrize("alpha", [1e-3, 0.1, 0.5, 1.0, 3.7, 100.0, 1e6])
def test_log_gamma_matches_scipy(alpha):
    log_g = evaluate(_log_gamma_draw, *f32(alpha))
    assert np.all(np.isfinite(log_g))
    # scipy.stats.loggamma(c) is the law of log G, G ~ Gamma(c).
    assert stats.kstest(log_g, stats.loggamma(alpha).cdf).pvalue > P_MIN


@pytest.mark.parametrize("alpha", [0.5, 2.0, 50.0])
def test_gamma_matches_scipy(alpha):
    x = evaluate(_gamma_draw, *f32(alpha))
    assert stats.kstest(x, stats.gamma(alpha).cdf).pvalue > P_MIN


@pytest.mark.parametrize(
    "a, b",
    # (1e6, 1) is covered through the logit: in float32, t rounds to 1.
    [(0.5, 0.5), (2.0, 6.0), (50.5, 0.5), (1.0, 1e6), (1e6, 1e6)],
)
def test_beta_matches_scipy(a, b):
    t = evaluate(_beta_draw, *f32(a, b))
    assert np.all((t >= 0) & (t <= 1))
    assert stats.kstest(t, stats.beta(a, b).cdf).pvalue > P_MIN


def test_beta_logit_keeps_small_complement():
    # Beta(1e6, 1): 1 - t ~ 1e-6, representable only through the logit.
    logit = evaluate(_beta_logit_draw, *f32(1e6, 1.0))
    one_minus_t = special.expit(-logit)
    # 1 - t ~ Beta(1, 1e6) exactly.
    assert stats.kstest(one_minus_t, stats.beta(1.0, 1e6).cdf).pvalue > P_MIN


@pytest.mark.parametrize("a, b", [(1e-3, 1e-3), (1e-3, 1.0), (1.0, 1e-3)])
def test_beta_tiny_concentrations_finite_with_right_log_moment(a, b):
    # t rounds to 0 or 1 here, so test the logit: E[log t] = psi(a) - psi(a+b)
    # and Var[log t] = psi'(a) - psi'(a+b) (scipy.special).
    logit = evaluate(_beta_logit_draw, *f32(a, b))
    assert np.all(np.isfinite(logit))
    t = evaluate(_beta_draw, *f32(a, b))
    assert np.all((t >= 0) & (t <= 1))
    log_t = -np.logaddexp(0.0, -logit)
    mean = special.digamma(a) - special.digamma(a + b)
    sd = np.sqrt(special.polygamma(1, a) - special.polygamma(1, a + b))
    assert abs(log_t.mean() - mean) < 5 * sd / np.sqrt(N_KS)


def test_float64_samplers():
    with float64():
        g = evaluate(_gamma_float64_draw, np.float64(2.5))
        t = evaluate(_beta_float64_draw, np.float64(3.0), np.float64(0.5))
        dtype = compiled(_gamma_float64_draw)(np.float64(2.5)).dtype
    assert keras.backend.standardize_dtype(dtype) == "float64"
    assert stats.kstest(g, stats.gamma(2.5).cdf).pvalue > P_MIN
    assert stats.kstest(t, stats.beta(3.0, 0.5).cdf).pvalue > P_MIN


def test_broadcast_concentration_and_shape():
    alpha = np.array([0.5, 5.0, 500.0], "float32")
    x = evaluate(_gamma_columns_draw, alpha)
    assert x.shape == (N_KS, 3)
    for j, a in enumerate(alpha):
        assert stats.kstest(x[:, j], stats.gamma(a).cdf).pvalue > P_MIN


def test_seeds_reproducible_and_generator_advances():
    a = evaluate(_beta_small_draw, *f32(2.0, 3.0))
    b = evaluate(_beta_small_draw, *f32(2.0, 3.0))
    np.testing.assert_array_equal(a, b)
    # A generator is stateful: drawn eagerly (not under jax.jit).
    gen = keras.random.SeedGenerator(3)
    c = to_numpy(hbeta.sample_beta((5,), 2.0, 3.0, seed=gen))
    d = to_numpy(hbeta.sample_beta((5,), 2.0, 3.0, seed=gen))
    assert not np.array_equal(c, d)


# ----------------------------------------------------------------------------
# Samplers: the bounded rejection loop never returns an unaccepted draw.


def _acceptance(shape):
    """Marsaglia-Tsang acceptance probability at `shape` (scipy quadrature)."""
    d = shape - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)

    def accepted(eps):
        v = (1.0 + c * eps) ** 3
        log_ratio = 0.5 * eps**2 + d - d * v + d * np.log(v)
        return stats.norm.pdf(eps) * np.exp(min(log_ratio, 0.0))

    return integrate.quad(accepted, -1.0 / c, 40.0, limit=200)[0]


def test_exhausted_proposals_give_nan_not_a_rejected_draw():
    n = N_GRAD
    # One proposal per draw: the rejected ones must come back as NaN.
    x = evaluate(_gamma_one_proposal_draw, *f32(0.5))
    rejected = np.isnan(x)
    expected = 1.0 - _acceptance(0.5 + hbeta.BOOST)
    sd = np.sqrt(expected * (1 - expected) / n)
    assert abs(rejected.mean() - expected) < 5 * sd
    assert rejected.sum() > 0
    # The accepted ones still follow the target law.
    assert stats.kstest(x[~rejected], stats.gamma(0.5).cdf).pvalue > P_MIN
    # NaN propagates to the Beta draw.
    t = evaluate(_beta_one_proposal_draw, *f32(0.5, 0.5))
    assert np.isnan(t).any()
    # With the default block, exhaustion has probability < 1.6e-17.
    assert not np.isnan(evaluate(_gamma_grad_draw, *f32(0.5))).any()


def test_documented_acceptance_bound():
    acc = _acceptance(hbeta.BOOST)
    assert 0.992 < acc < 0.9921
    assert (1.0 - acc) ** hbeta.DEFAULT_MAX_PROPOSALS < 1.7e-17


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_max_proposals(bad):
    with pytest.raises(ValueError, match=f"max_proposals={bad}"):
        hbeta.sample_gamma((2,), 1.0, max_proposals=bad)


# ----------------------------------------------------------------------------
# Samplers: pathwise gradients.


@pytest.mark.parametrize("alpha", [0.05, 0.5, 2.0, 30.0])
def test_gamma_pathwise_gradient_mean_is_one(alpha):
    # d E[X] / d alpha = 1; per-draw derivatives from a vector of alphas.
    _, g = grad_of_sum(_gamma_grad_draw, np.full((N_GRAD,), alpha, "float32"))
    assert np.all(np.isfinite(g))
    assert abs(g.mean() - 1.0) < 5 * g.std() / np.sqrt(N_GRAD)


def _beta_gradients(a, b):
    _, ga = grad_of_sum(
        _beta_grad_draw_a,
        np.full((N_GRAD,), a, "float32"),
        np.full((N_GRAD,), b, "float32"),
    )
    _, gb = grad_of_sum(
        _beta_grad_draw_b,
        np.full((N_GRAD,), b, "float32"),
        np.full((N_GRAD,), a, "float32"),
    )
    return ga, gb


@pytest.mark.parametrize("a, b", [(0.5, 0.5), (2.0, 6.0), (30.0, 4.5)])
def test_beta_pathwise_gradients(a, b):
    # d E[t] / da = b / (a+b)^2 and d E[t] / db = -a / (a+b)^2.
    ga, gb = _beta_gradients(a, b)
    assert abs(ga.mean() - b / (a + b) ** 2) < 5 * ga.std() / np.sqrt(N_GRAD)
    assert abs(gb.mean() + a / (a + b) ** 2) < 5 * gb.std() / np.sqrt(N_GRAD)


@pytest.mark.parametrize("a, b", [(1e-3, 1e-3), (1e6, 1.0), (1e6, 1e6), (1e-3, 1e6)])
def test_beta_gradients_finite_at_extremes(a, b):
    ga, gb = _beta_gradients(a, b)
    assert np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))


def _mt_proposal(a, eps):
    eps = ops.convert_to_tensor(eps, "float64")
    return ops.exp(sum(hbeta._marsaglia_tsang_log_parts(eps, a)))


@pytest.mark.parametrize("alpha", [0.5, 2.0, 30.0])
def test_rsvi_gradient_bias_is_as_documented(alpha):
    """Quantify the omitted RSVI correction term for this implementation.

    The accepted normal draw has density pi(eps) = gamma_pdf(h(eps)) h'(eps),
    h(eps) = d (1 + c eps)^3, so E_pi[dh/da] (our autodiff derivative, eps
    fixed) would be exactly 1 without bias. Integrated with
    scipy.integrate.fixed_quad against the scipy Gamma density.
    """
    shape = alpha + hbeta.BOOST
    d = shape - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)

    def weighted_derivative(eps):
        with float64():
            _, dh = grad_of_sum(_mt_proposal, np.full(eps.shape, shape, "float64"), eps)
        h = d * (1.0 + c * eps) ** 3
        return stats.gamma.pdf(h, shape) * 3.0 * d * c * (1.0 + c * eps) ** 2 * dh

    lo = -1.0 / c
    mean_rep = integrate.fixed_quad(weighted_derivative, lo, lo + 60.0, n=400)[0]
    bias = mean_rep - 1.0  # relative bias of d E[Gamma(shape)] / d shape
    # Documented: 1.27e-3 at shape 4, (0.019 to 0.021) / shape^2 above.
    assert 0.0 < bias < 0.021 / shape**2
    # Relative bias of d E[X] / d alpha after boosting (E[prod U] = a/(a+B)).
    assert bias * alpha / shape < 1.9e-4


# ----------------------------------------------------------------------------
# Beta KL and digamma gap against mpmath.

M_GRID = [2, 3, 4, 5, 10, 16, 17, 100, 1000, 4096]
K_GRID = [0.0, 1e-6, 1e-4, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
# Worst measured on a dense kappa grid: 4.2e-14 (float64, m = 17: b = 8 is not
# shifted), 2.4e-6 (float32).
KL_RTOL = {"float64": 1e-8, "float32": 1e-4}


@functools.cache
def mp_reference(m, kappa):
    """Textbook KL(PowerSpherical || uniform) = -H + log area, and psi gap."""
    with mpmath.workdps(50):
        k = mpmath.mpf(kappa)
        a = mpmath.mpf(m - 1) / 2 + k
        b = mpmath.mpf(m - 1) / 2
        log_c = -(
            (a + b) * mpmath.log(2)
            + b * mpmath.log(mpmath.pi)
            + mpmath.loggamma(a)
            - mpmath.loggamma(a + b)
        )
        entropy = -(
            log_c + k * (mpmath.log(2) + mpmath.digamma(a) - mpmath.digamma(a + b))
        )
        log_area = (
            mpmath.log(2)
            + mpmath.mpf(m) / 2 * mpmath.log(mpmath.pi)
            - mpmath.loggamma(mpmath.mpf(m) / 2)
        )
        kl = log_area - entropy
        gap = mpmath.digamma(a + b) - mpmath.digamma(a)
        dkl = k * (mpmath.psi(1, a) - mpmath.psi(1, a + b))
        return float(kl), float(gap), float(dkl)


def _relative_errors(got, m, kappas, index):
    errors = []
    for value, kappa in zip(got, kappas, strict=True):
        ref = mp_reference(m, float(kappa))[index]
        if kappa == 0:
            errors.append(abs(value) if index != 1 else abs(value / ref - 1))
        else:
            errors.append(abs(value / ref - 1))
    return np.array(errors)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("m", M_GRID)
def test_symmetric_beta_kl_relative_accuracy(m, dtype):
    with float64():
        kappa = np.array(K_GRID, dtype)
        kl, dkl = grad_of_sum(
            lambda k: hbeta.symmetric_beta_kl((m - 1) / 2, k), kappa, jit=False
        )
        gap = to_numpy(hbeta.digamma_gap((m - 1) / 2, ops.convert_to_tensor(kappa)))
    assert kl.dtype == np.dtype(dtype)
    rtol = KL_RTOL[dtype]
    assert np.max(_relative_errors(kl.astype(np.float64), m, kappa, 0)) < rtol
    assert np.max(_relative_errors(gap, m, kappa, 1)) < rtol
    assert np.all(np.isfinite(dkl))
    assert np.max(_relative_errors(dkl.astype(np.float64), m, kappa, 2)) < 10 * rtol
    assert np.all(kl >= 0)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), "x", True])
def test_symmetric_beta_kl_bad_b(bad):
    with pytest.raises(ValueError, match="b="):
        hbeta.symmetric_beta_kl(bad, 1.0)


@pytest.mark.parametrize("c", [0.5, 1.0, 1.5, 2047.5])
def test_symmetric_beta_matches_scipy(c):
    # Wood's proposal Beta(c, c), c = (m - 1) / 2: Kolmogorov-Smirnov against
    # scipy on 20,000 draws. Exhausted Gamma proposals give NaN, at most
    # 1.1e-5 per draw (c = 1): about 0.2 expected here, so at most 3.
    t = ops.convert_to_numpy(hbeta.sample_symmetric_beta((20000,), c, seed=5))
    t = t.astype(np.float64)
    assert np.sum(np.isnan(t)) <= 3
    t = t[~np.isnan(t)]
    assert np.all((t >= 0) & (t <= 1))
    assert stats.kstest(t, stats.beta(c, c).cdf).pvalue > 1e-3
    # The variance 1 / (4 (2c + 1)) pins the spread at large c too.
    assert np.var(t) == pytest.approx(0.25 / (2 * c + 1), rel=0.05)


def test_symmetric_beta_with_one_concentration_per_column_matches_scipy():
    # The shells of a product draw their proposals together: column j is
    # Beta(c_j, c_j). KS against scipy per column (20,000 draws each).
    columns = (0.5, 4.5, 1.0, 0.5, 31.5)
    t = ops.convert_to_numpy(
        hbeta.sample_symmetric_beta((20000, len(columns)), list(columns), seed=3)
    ).astype(np.float64)
    for j, c in enumerate(columns):
        col = t[:, j][~np.isnan(t[:, j])]
        assert len(col) >= 20000 - 3
        assert np.all((col >= 0) & (col <= 1))
        assert stats.kstest(col, stats.beta(c, c).cdf).pvalue > 1e-3, (j, c)
        assert np.var(col) == pytest.approx(0.25 / (2 * c + 1), rel=0.05)
    # The columns are independent draws, not copies of one another.
    assert abs(np.corrcoef(t[:, 0], t[:, 3])[0, 1]) < 0.03
    with pytest.raises(ValueError, match="one per entry of axis `axis`"):
        hbeta.sample_symmetric_beta((4, 3), [0.5, 1.0], seed=0)
    # Along another axis: row i is Beta(c_i, c_i).
    rows = ops.convert_to_numpy(
        hbeta.sample_symmetric_beta((2, 20000), [0.5, 31.5], seed=4, axis=0)
    ).astype(np.float64)
    assert stats.kstest(rows[0], stats.beta(0.5, 0.5).cdf).pvalue > 1e-3
    assert stats.kstest(rows[1], stats.beta(31.5, 31.5).cdf).pvalue > 1e-3
    with pytest.raises(ValueError, match="`concentration` must be 1/2 or"):
        hbeta.sample_symmetric_beta((4, 2), [0.5, 0.7], seed=0)


def test_symmetric_beta_refuses_unsupported_concentrations():
    for c in (0.7, 0.0, -1.0, float("inf"), True, "2"):
        with pytest.raises(ValueError, match="`concentration` must be 1/2 or"):
            hbeta.sample_symmetric_beta((3,), c, seed=0)
