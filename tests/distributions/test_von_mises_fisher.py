"""VonMisesFisher, HypersphericalUniform and the product of shells."""

import keras
import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as st
from backend_utils import backend, float64, to_numpy, value_and_grad
from mp_reference import iv_ratio, log_sphere_area, vmf_kl

from keras_hsvae import distributions as hd
from keras_hsvae import ops as hops

DIMS = [2, 3, 5, 10, 64, 256, 1024, 4096]
KAPPAS = [1e-6, 1e-3, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]


def _unit(m, dtype="float32", axis=1):
    mu = np.zeros(m, dtype)
    mu[axis % m] = 1.0
    return mu


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-8), ("float32", 1e-4)])
def test_kl_and_entropy_match_mpmath(dtype, rtol):
    kappa = np.array(KAPPAS, dtype)
    ctx = float64() if dtype == "float64" else _Null()
    for m in DIMS:
        with ctx:
            q = hd.VonMisesFisher(np.tile(_unit(m, dtype), (len(kappa), 1)), kappa)
            kl = to_numpy(hd.kl_divergence(q, hd.HypersphericalUniform(m, dtype)))
            ent = to_numpy(q.entropy())
        ref_kl = np.array([float(vmf_kl(m, float(k))) for k in kappa])
        ref_ent = np.array(
            [float(log_sphere_area(m) - vmf_kl(m, float(k))) for k in kappa]
        )
        np.testing.assert_allclose(kl, ref_kl, rtol=rtol, err_msg=f"KL m={m}")
        # The entropy is log|S^{m-1}| - KL: relative to the larger of the two.
        scale = np.maximum(np.abs(ref_ent), float(abs(log_sphere_area(m))))
        assert np.all(np.abs(ent - ref_ent) <= rtol * scale), f"entropy m={m}"


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("m", [3, 5, 10])
@pytest.mark.parametrize("kappa", [0.1, 1.0, 50.0])
def test_log_prob_matches_scipy(m, kappa):
    rng = np.random.default_rng(0)
    mu = rng.normal(size=m)
    mu /= np.linalg.norm(mu)
    x = rng.normal(size=(7, m))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x[0] = mu  # the mode
    with float64():
        got = to_numpy(hd.VonMisesFisher(mu, kappa).log_prob(x))
    ref = st.vonmises_fisher(mu, kappa).logpdf(x)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.skipif(backend() != "tensorflow", reason="TFP oracle runs on TF")
def test_log_prob_entropy_mean_match_tfp():
    import tensorflow_probability as tfp

    rng = np.random.default_rng(1)
    for m in (3, 7, 20):
        mu = rng.normal(size=m)
        mu /= np.linalg.norm(mu)
        x = rng.normal(size=(5, m))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        for kappa in (0.5, 5.0, 40.0):
            ref = tfp.distributions.VonMisesFisher(mu, kappa)
            q = hd.VonMisesFisher(mu, kappa)
            np.testing.assert_allclose(
                to_numpy(q.log_prob(x)), ref.log_prob(x), rtol=1e-9
            )
            np.testing.assert_allclose(to_numpy(q.entropy()), ref.entropy(), rtol=1e-9)
            np.testing.assert_allclose(
                to_numpy(q.mean()), ref.mean(), rtol=1e-9, atol=1e-12
            )


def _mean_resultant_length(m, kappa):
    """A_m(kappa) = I_{m/2} / I_{m/2-1} and A_m'(kappa), from mpmath."""
    a = float(iv_ratio(m / 2 - 1, kappa))
    return a, 1.0 - a * a - (m - 1) * a / kappa


# (m, kappa): the sample mean of w = mu^T z resolves a 1 % error in kappa.
# Fast tier on every backend: 1-7 s per case on an idle 2-core machine (JAX
# compiles each case's rejection loop once: about 50 s for these and the
# large-bias gradient cases below).
MEAN_CASES = [(3, 5.0), (3, 50.0), (2, 2.0), (10, 10.0), (10, 100.0)]
MEAN_CASES += [(64, 100.0), (64, 1e3), (512, 1e3), (512, 1e4)]


@pytest.mark.parametrize("m,kappa", MEAN_CASES)
def test_sample_mean_resolves_one_percent_in_kappa(m, kappa):
    """E[mu^T z] = A_m(kappa) (mpmath), with the power to see 1 % in kappa.

    w = mu^T z is the sufficient statistic of kappa, so Var(w) = A_m'(kappa)
    and a 1 % error in kappa moves E[w] by 0.01 kappa A_m'(kappa). The draw
    count makes that shift 8 standard errors; the test accepts 4. Measured
    on TensorFlow with this seed (`experiments/vmf_mean_power.py`), in
    standard errors from A_m(kappa), for
    the sampler given kappa / 1.01 kappa / 0.99 kappa (the last two fail):
    m=2 k=2: -0.4 / 7.4 / -8.5;  m=3 k=5 and k=50: -2.6 / 5.4 / -10.7;
    m=10 k=10: 0.4 / 8.3 / -7.5;  m=10 k=100: -0.2 / 7.7 / -8.3;
    m=64 k=100: -1.2 / 6.9 / -9.3;  m=64 k=1e3: -2.0 / 5.9 / -10.1;
    m=512 k=1e3: 0.1 / 8.1 / -8.0;  m=512 k=1e4: 0.0 / 8.0 / -8.0.
    """
    a, slope = _mean_resultant_length(m, kappa)
    n = int(np.ceil((8.0 / (0.01 * kappa)) ** 2 / slope))
    se = np.sqrt(slope / n)
    assert 0.01 * kappa * slope >= 8.0 * se  # the design: 1 % is 8 SE
    rng = np.random.default_rng(m)
    mu = rng.normal(size=m)
    mu /= np.linalg.norm(mu)

    def draw(mean_direction, concentration):
        q = hd.VonMisesFisher(mean_direction, concentration)
        return q.sample((n,), seed=13)

    if backend() == "jax":  # one compiled graph, not op-by-op dispatch
        import jax

        draw = jax.jit(draw)
    z = to_numpy(draw(mu.astype("float32"), np.float32(kappa))).astype(np.float64)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-5)
    score = (np.mean(z @ mu) - a) / se
    assert abs(score) < 4.0, (n, score)


def test_compiled_draws_of_many_samples_are_on_the_sphere():
    """`sample((64,))` over a batch of 100 means, compiled, equals eager.

    The Householder reflection `z - 2 (u . z) u` then reduces `(64, 100, 11)`
    samples against `(100, 11)` directions broadcast over the sample axis:
    jaxlib 0.10.2's CPU compiler got exactly this wrong (points up to 0.25
    off the sphere; `keras_hsvae/_jax_check.py`). Compiled on JAX
    (`jax.jit`) and TensorFlow (`tf.function`), eager on PyTorch.
    """
    rng = np.random.default_rng(5)
    mu = rng.normal(size=(100, 11)).astype("float32")
    mu /= np.linalg.norm(mu, axis=-1, keepdims=True)
    kappa = np.full((100,), 500.0, "float32")

    def draw(mean_direction, concentration):
        return hd.VonMisesFisher(mean_direction, concentration).sample((64,), seed=3)

    if backend() == "jax":
        import jax

        compiled_draw = jax.jit(draw)
    elif backend() == "tensorflow":
        import tensorflow as tf

        compiled_draw = tf.function(draw)
    else:
        compiled_draw = draw
    z = to_numpy(compiled_draw(mu, kappa)).astype(np.float64)
    assert z.shape == (64, 100, 11)
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=2e-6)
    np.testing.assert_allclose(z, to_numpy(draw(mu, kappa)), atol=2e-6)
    # Concentrated around their own mean: the reflection used the right row.
    assert np.min(np.einsum("sbm,bm->sb", z, mu)) > 0.9


def test_sample_mean_per_column_when_dims_differ():
    """One rejection loop for several ambient sizes (the shells of a product).

    Column j draws w ~ vMF cosine on S^{m_j - 1}: its sample mean is checked
    against A_m(kappa) (mpmath) with the power of the test above (a 1 %
    error in kappa is at least 8 standard errors in every column).
    """
    cases = [(2, 2.0), (3, 5.0), (10, 10.0), (64, 100.0)]
    n = max(
        int(np.ceil((8.0 / (0.01 * k)) ** 2 / _mean_resultant_length(m, k)[1]))
        for m, k in cases
    )
    dims = [m for m, _ in cases]
    kappa = np.array([k for _, k in cases], "float32")

    def draw(concentration):
        return hops.sample_vmf_cosine((n, len(cases)), dims, concentration, seed=21)

    if backend() == "jax":  # one compiled graph, not op-by-op dispatch
        import jax

        draw = jax.jit(draw)
    w, one_minus_w = (to_numpy(t).astype(np.float64) for t in draw(kappa))
    np.testing.assert_allclose(w + one_minus_w, 1.0, atol=1e-6)
    for j, (m, k) in enumerate(cases):
        a, slope = _mean_resultant_length(m, k)
        score = (np.mean(w[:, j]) - a) / np.sqrt(slope / n)
        assert abs(score) < 4.0, (m, k, score)
    with pytest.raises(ValueError, match="one per entry of the last axis"):
        hops.sample_vmf_cosine((4, 3), [2, 5], 1.0, seed=0)


def test_corrected_gradient_per_column_when_dims_differ():
    # d/dkappa E[mu^T z] = A_m'(kappa) in every column of a joint draw
    # (dims 2, 3 (exact inversion), 5 and 10: the correction of each Wood
    # column uses its own log C_m), to 4 standard errors, as above.
    cases = [(2, 2.0), (3, 2.0), (5, 2.0), (10, 10.0)]
    n = 200_000
    dims = [m for m, _ in cases]

    def corrected(k):
        w, _, c = hops.sample_vmf_cosine(
            (n, len(cases)), dims, k, seed=8, return_score_correction=True
        )
        return w + keras.ops.stop_gradient(w) * c

    kappas = np.tile(np.array([k for _, k in cases]), (n, 1))
    with float64():
        _, (g,) = value_and_grad(corrected, kappas)
    for j, (m, k) in enumerate(cases):
        _, exact = _mean_resultant_length(m, k)
        se = g[:, j].std() / np.sqrt(n)
        assert abs(g[:, j].mean() - exact) < 4.0 * se, (m, k, g[:, j].mean() / exact)
        assert 4.0 * se < 0.02 * exact


def _one_minus_w_cdf(m, kappa):
    """CDF of y = 1 - mu^T z: density ~ exp(-kappa y) (y (2 - y))^((m-3)/2).

    Integrated by scipy quad around the peak of the density (independent of
    the sampler: no rejection, no Bessel function).
    """
    import scipy.integrate as si

    def g(y):
        return np.exp(-kappa * y + 0.5 * (m - 3) * np.log(y * (2.0 - y)) - log_peak)

    a = 0.5 * (m - 3)
    peak = min(1.0, a / kappa) if kappa > 0 and a > 0 else (0.0 if kappa > 0 else 1.0)
    width = min(2.0, (np.sqrt(max(a, 1.0)) + 1.0) / max(kappa, 1e-12))
    log_peak = -kappa * peak + a * np.log(max(peak * (2 - peak), 1e-300))
    hi = min(2.0, peak + 60.0 * width)
    pts = sorted(
        {p for p in (peak - width, peak, peak + width, peak + 5 * width) if 0 < p < hi}
    )
    total = si.quad(g, 0.0, hi, points=pts or None, limit=500)[0]

    def cdf(values):
        out = []
        for v in np.atleast_1d(values):
            v = min(v, hi)
            inner = [p for p in pts if p < v]
            out.append(si.quad(g, 0.0, v, points=inner or None, limit=500)[0] / total)
        return np.array(out)

    return cdf


@pytest.mark.parametrize(
    "m,kappa",
    [
        (3, 0.0),
        (3, 5.0),
        (3, 1e4),
        (4, 2.0),
        (5, 0.0),
        (10, 10.0),
        (64, 100.0),
        (512, 1e3),
    ],
)
def test_sampled_cosine_follows_exact_density(m, kappa):
    mu = _unit(m, "float64", axis=m - 1)
    with float64():
        z = to_numpy(hd.VonMisesFisher(mu, kappa).sample((3000,), seed=11))
    assert not np.isnan(z).any()
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-12)
    # 1 - w from the sum of squares of the other coordinates keeps its
    # precision near the mode (1 - w = |z_perp|^2 / (1 + w)).
    w = z @ mu
    y = np.sum((z - np.outer(w, mu)) ** 2, axis=1) / (1.0 + w)
    # Compare on the grid of sorted samples: KS statistic against the CDF.
    ws = np.sort(y)
    idx = np.linspace(0, len(ws) - 1, 200).astype(int)
    cdf = _one_minus_w_cdf(m, kappa)(ws[idx])
    emp = (idx + 1) / len(ws)
    d = np.max(np.abs(cdf - emp))
    # KS critical value at alpha = 1e-3 for n = 3000 (subsampled grid is <= D).
    assert d < 1.95 / np.sqrt(len(ws)), d


@pytest.mark.parametrize("kappa", [0.0, 1.0, 10.0])
def test_circle_samples_are_von_mises(kappa):
    z = to_numpy(hd.VonMisesFisher([1.0, 0.0], kappa).sample((4000,), seed=0))
    theta = np.arctan2(z[:, 1], z[:, 0])
    ref = st.vonmises(kappa=kappa) if kappa > 0 else st.uniform(-np.pi, 2 * np.pi)
    assert st.kstest(theta, ref.cdf).pvalue > 1e-3


@pytest.mark.parametrize("mu_sign", [1.0, -1.0])
@pytest.mark.parametrize("m", [2, 3, 6])
def test_pole_mean_directions_give_finite_samples_and_gradients(mu_sign, m):
    # mu = +-e_1 is where the Householder vector degenerates (TFP #1211).
    mu = np.zeros(m, "float32")
    mu[0] = mu_sign

    def loss(mean_direction, kappa):
        q = hd.VonMisesFisher(mean_direction, kappa, validate_args=False)
        return q.sample((64,), seed=3)[..., -1]

    z, (g_mu, g_k) = value_and_grad(loss, mu, np.float32(4.0))
    assert np.all(np.isfinite(z)) and np.all(np.isfinite(g_mu)) and np.isfinite(g_k)
    zz = to_numpy(hd.VonMisesFisher(mu, 4.0).sample((2000,), seed=3))
    assert np.mean(zz @ mu) == pytest.approx(
        float(hops.vmf_mean_resultant_length(m, 4.0)), abs=0.05
    )


@pytest.mark.parametrize("m", [2, 3, 10, 4096])
@pytest.mark.parametrize("kappa", [0.0, 1e-6, 1e6])
def test_extremes_are_finite_in_float32(m, kappa):
    def fn(k):
        q = hd.VonMisesFisher(_unit(m), k, validate_args=False)
        u = hd.HypersphericalUniform(m)
        z = q.sample((8,), seed=1)
        return (
            ops_sum(z[..., 1]) + hd.kl_divergence(q, u) + q.entropy() + q.log_prob(z[0])
        )

    out, (grad,) = value_and_grad(fn, np.float32(kappa))
    assert np.isfinite(out) and np.isfinite(grad)


def ops_sum(x):
    return keras.ops.sum(x)


# (m, kappa, bias of the reparameterization term alone, relative): the
# estimator is tested to 4 standard errors of its per-draw spread, below 1 %
# of A_m' by design; where the bias is large the same draws without the
# correction must miss by more than 8 standard errors.
GRADIENT_CASES = [
    (2, 0.5, 0.25),
    (2, 2.0, 0.49),
    (5, 2.0, 0.13),
    (10, 10.0, 0.08),
] + [
    pytest.param(m, k, None, marks=pytest.mark.slow)
    for m, k in [(2, 10.0), (5, 0.5), (5, 10.0), (10, 0.5), (10, 2.0)]
    + [(64, 0.5), (64, 2.0), (64, 10.0)]
]


@pytest.mark.parametrize("m,kappa,bias", GRADIENT_CASES)
def test_corrected_sample_gradient_is_unbiased(m, kappa, bias):
    # d/dkappa E[mu^T z] = A_m'(kappa); the estimator g_rep + g_cor matches it.
    # kappa is a vector of n equal entries: its gradient holds the per-draw
    # terms, whose spread gives the standard error.
    n = 200_000 if m == 2 else 40_000

    def corrected(k):
        w, _, c = hops.sample_vmf_cosine(
            (n,), m, k, seed=7, return_score_correction=True
        )
        return w + keras.ops.stop_gradient(w) * c

    def reparameterized(k):
        return hops.sample_vmf_cosine((n,), m, k, seed=7)[0]

    kappas = np.full(n, kappa)
    with float64():
        _, (g,) = value_and_grad(corrected, kappas)
    _, exact = _mean_resultant_length(m, kappa)
    se = g.std() / np.sqrt(n)
    assert 4.0 * se < 0.01 * exact, se / exact
    assert abs(g.mean() - exact) < 4.0 * se, (g.mean() / exact - 1, se / exact)
    if bias is not None:
        with float64():
            _, (g_rep,) = value_and_grad(reparameterized, kappas)
        se_rep = g_rep.std() / np.sqrt(n)
        assert g_rep.mean() < exact - 8.0 * se_rep
        assert g_rep.mean() / exact - 1 == pytest.approx(-bias, abs=0.02)


def test_exact_inversion_gradient_for_m3_matches_analytic():
    def objective(k):
        w, _ = hops.sample_vmf_cosine((100000,), 3, k, seed=2)
        return keras.ops.mean(w)

    with float64():
        for kappa in (1e-4, 0.3, 3.0, 30.0):
            _, (g,) = value_and_grad(objective, np.float64(kappa))
            _, (exact,) = value_and_grad(
                lambda k: hops.vmf_mean_resultant_length(3, k), np.float64(kappa)
            )
            assert g == pytest.approx(exact, rel=0.03)


def test_rejection_terminates_and_marks_exhaustion():
    # With a single proposal some draws are rejected: they come back as NaN,
    # never as an unaccepted value, and the call terminates (s-vae-pytorch #2).
    w, _ = hops.sample_vmf_cosine((5000,), 2, 1e3, seed=0, max_proposals=1)
    w = to_numpy(w)
    frac = np.mean(np.isnan(w))
    assert 0.2 < frac < 0.5  # acceptance at m = 2, kappa = 1e3 is ~0.66
    ok = w[~np.isnan(w)]
    assert np.all((ok >= -1) & (ok <= 1))


def test_mean_mode_and_resultant_length():
    mu = np.array([0.6, 0.8, 0.0])
    q = hd.VonMisesFisher(mu, 2.0)
    a = 1.0 / np.tanh(2.0) - 0.5
    np.testing.assert_allclose(to_numpy(q.mean_resultant_length()), a, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(q.mean()), a * mu, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(q.mode()), mu, rtol=1e-6)


def test_uniform_distribution():
    u = hd.HypersphericalUniform(5)
    x = to_numpy(u.sample((2000,), seed=4))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    # First coordinate: (1 + x_1)/2 ~ Beta(2, 2) for m = 5.
    assert st.kstest((1 + x[:, 0]) / 2, st.beta(2, 2).cdf).pvalue > 1e-3
    np.testing.assert_allclose(
        to_numpy(u.log_prob(x[:3])), -float(log_sphere_area(5)), rtol=1e-6
    )
    assert float(u.entropy()) == pytest.approx(float(log_sphere_area(5)), rel=1e-6)


def test_kl_of_zero_concentration_is_zero_and_kl_is_mu_independent():
    for m in (2, 3, 50):
        q0 = hd.VonMisesFisher(_unit(m), 0.0)
        assert float(hd.kl_divergence(q0, hd.HypersphericalUniform(m))) == 0.0
    a = hd.kl_divergence(
        hd.VonMisesFisher(_unit(4, axis=0), 3.0), hd.HypersphericalUniform(4)
    )
    b = hd.kl_divergence(
        hd.VonMisesFisher(_unit(4, axis=2), 3.0), hd.HypersphericalUniform(4)
    )
    assert float(a) == float(b)


def test_product_of_shells():
    shells = [
        hd.VonMisesFisher(
            np.tile(_unit(3), (4, 1)), np.array([1.0, 2.0, 3.0, 4.0], "float32")
        ),
        hd.VonMisesFisher(
            np.tile(_unit(2), (4, 1)), np.array([0.5, 0.5, 9.0, 9.0], "float32")
        ),
    ]
    q = hd.ProductVonMisesFisher(shells)
    p = hd.ProductHypersphericalUniform([3, 2])
    assert q.dims == (3, 2) and q.dim == 5 and q.batch_shape == (4,)
    z = to_numpy(q.sample((6,), seed=2))
    assert z.shape == (6, 4, 5)
    np.testing.assert_allclose(np.linalg.norm(z[..., :3], axis=-1), 1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(z[..., 3:], axis=-1), 1, atol=1e-5)
    per_shell = [to_numpy(k) for k in q.kl_per_shell()]
    ref = [
        [float(vmf_kl(3, k)) for k in (1.0, 2.0, 3.0, 4.0)],
        [float(vmf_kl(2, k)) for k in (0.5, 0.5, 9.0, 9.0)],
    ]
    np.testing.assert_allclose(per_shell, ref, rtol=1e-5)
    np.testing.assert_allclose(
        to_numpy(hd.kl_divergence(q, p)), np.sum(ref, axis=0), rtol=1e-5
    )
    lp = to_numpy(q.log_prob(z[0]))
    ref_lp = to_numpy(shells[0].log_prob(z[0, :, :3])) + to_numpy(
        shells[1].log_prob(z[0, :, 3:])
    )
    np.testing.assert_allclose(lp, ref_lp, rtol=1e-6)
    with pytest.raises(ValueError, match="dims"):
        hd.kl_divergence(q, hd.ProductHypersphericalUniform([2, 3]))


def test_product_sample_draws_each_shell_from_its_vmf():
    # The shells' cosines come from one joint draw: each shell's mean
    # cosine mu_i^T z_i must still be its own A_m(kappa_i) (mpmath), its
    # tangent part uniform around mu_i (zero mean), and the score
    # correction the sum of the shells' (value 0).
    rng = np.random.default_rng(4)
    cases = [(2, 2.0), (3, 5.0), (10, 30.0), (5, 0.5)]
    mus = [rng.normal(size=m) for m, _ in cases]
    mus = [(mu / np.linalg.norm(mu)).astype("float32") for mu in mus]
    q = hd.ProductVonMisesFisher(
        [hd.VonMisesFisher(mu, k) for mu, (_, k) in zip(mus, cases)]
    )
    n = 40_000
    z = to_numpy(q.sample((n,), seed=1)).astype(np.float64)
    start = 0
    for mu, (m, k) in zip(mus, cases):
        zi = z[:, start : start + m]
        start += m
        np.testing.assert_allclose(np.linalg.norm(zi, axis=1), 1.0, atol=1e-5)
        a, slope = _mean_resultant_length(m, k)
        w = zi @ mu
        assert abs(np.mean(w) - a) < 4.0 * np.sqrt(slope / n), (m, k)
        tangent = zi - np.outer(w, mu)
        assert np.all(np.abs(tangent.mean(axis=0)) < 4.0 * tangent.std(axis=0) / 200)
    z, c = q.sample_with_score_correction((5,), seed=2)
    assert tuple(z.shape) == (5, 20) and tuple(c.shape) == (5,)
    np.testing.assert_array_equal(to_numpy(c), 0.0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"mean_direction": [1.0], "concentration": 1.0}, "dim=1"),
        ({"mean_direction": [0.0, 1.0], "concentration": -1.0}, "concentration"),
        ({"mean_direction": [0.0, 1.0], "concentration": np.inf}, "concentration"),
        ({"mean_direction": [0.0, 2.0], "concentration": 1.0}, "unit vectors"),
        ({"mean_direction": [np.nan, 1.0], "concentration": 1.0}, "finite"),
        (
            {"mean_direction": [[0.0, 1.0]] * 3, "concentration": [1.0, 2.0]},
            "broadcast",
        ),
        (
            {"mean_direction": [0.0, 0.0], "concentration": 1.0, "normalize": True},
            "zero",
        ),
        (
            {"mean_direction": [0.0, 1.0], "concentration": 1.0, "max_proposals": 0},
            "max_proposals",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hd.VonMisesFisher(**kwargs)


def test_normalize_option_and_other_errors():
    q = hd.VonMisesFisher([0.0, 3.0, 4.0], 1.0, normalize=True)
    np.testing.assert_allclose(to_numpy(q.mean_direction), [0, 0.6, 0.8], rtol=1e-6)
    with pytest.raises(ValueError, match="dim=1"):
        hd.HypersphericalUniform(1)
    with pytest.raises(ValueError, match="same ambient dimension"):
        hd.kl_divergence(q, hd.HypersphericalUniform(4))
    with pytest.raises(NotImplementedError, match="No KL divergence"):
        hd.kl_divergence(hd.HypersphericalUniform(3), q)
    with pytest.raises(ValueError, match="last dimension"):
        q.log_prob(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="seed"):
        q.sample(seed="abc")


def test_int_seed_is_the_seed_generator_stream_and_traces():
    # An int seed gives the draws of `SeedGenerator(seed)` and, being counted
    # in Python rather than in a variable, also works inside `tf.function`.
    mu = np.eye(5, dtype="float32")[:2]
    q = hd.VonMisesFisher(mu, np.array([3.0, 50.0], "float32"))
    eager = keras.ops.convert_to_numpy(q.sample((4,), seed=7))
    stream = q.sample((4,), seed=keras.random.SeedGenerator(7))
    np.testing.assert_array_equal(eager, keras.ops.convert_to_numpy(stream))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        traced = tf.function(lambda: q.sample((4,), seed=7))
        np.testing.assert_array_equal(traced().numpy(), eager)
        np.testing.assert_array_equal(traced().numpy(), eager)


@pytest.mark.parametrize("m", [3, 6])
def test_sample_gradient_at_mean_direction_e1_is_not_zero(m):
    # Issue #10: at mu = e_1 exactly the Householder map degenerates to the
    # identity and the gradient to mu was exactly zero (a learnable mean
    # direction starting at e_1 never moved). For f(z) = z_m the gradient of
    # E[f] with respect to mu is the tangent part of A_m(kappa) e_m.
    kappa, n = 4.0, 2000

    def f(mean_direction):
        q = hd.VonMisesFisher(mean_direction, kappa, validate_args=False)
        return q.sample((n,), seed=5)[..., -1]

    _, (g_mu,) = value_and_grad(f, _unit(m, axis=0))
    # A_m = I_{m/2}(kappa) / I_{m/2-1}(kappa), from scipy.
    expected = np.zeros(m)
    expected[-1] = sps.iv(m / 2, kappa) / sps.iv(m / 2 - 1, kappa)
    np.testing.assert_allclose(g_mu / n, expected, atol=0.03)


@pytest.mark.parametrize("family", ["VonMisesFisher", "PowerSpherical"])
def test_log_prob_off_the_sphere_is_refused_with_validate_args(family):
    # Issue #10: log_prob at a point off the sphere returned a number (9.77).
    cls = getattr(hd, family)
    q = cls(_unit(3), 2.0)
    with pytest.raises(ValueError, match=r"`x` of .*unit vectors.*norms \[3\.\]"):
        q.log_prob(np.array([0.0, 3.0, 0.0], "float32"))
    with pytest.raises(ValueError, match="unit vectors"):
        q.log_prob(np.array([[0.0, 1.0, 0.0], [np.nan, 0.0, 0.0]], "float32"))
    # On the sphere it is a density; without validate_args the check is off.
    assert np.isfinite(to_numpy(q.log_prob(_unit(3, axis=2))))
    unchecked = cls(_unit(3), 2.0, validate_args=False)
    assert np.isfinite(to_numpy(unchecked.log_prob(np.array([0.0, 3.0, 0.0]))))


@pytest.mark.parametrize("one_minus_w", [0.0, 2.0])
def test_sample_gradient_is_finite_at_the_poles(one_minus_w):
    """w = +-1 exactly (a uniform draw of exactly 0 or 1 for m = 3) once made
    every kappa gradient NaN (sqrt(1 - w^2) at 0: infinite derivative times
    zero); the zoo's S-VAE on S^2 hit it after 51 epochs. The derivative of
    the sample w.r.t. kappa there is 0: the draw sits at a pole for every
    kappa."""
    mu = np.array([[0.0, 0.6, 0.8], [1.0, 0.0, 0.0]], "float32")
    kappa = np.array([3000.0, 50.0], "float32")

    def sample(k):
        q = hd.VonMisesFisher(mu, k, validate_args=False)
        # 1 - w of a draw at a pole, a function of kappa with value 0 or 2.
        omw = k * 0.0 + one_minus_w
        return q._assemble(1.0 - omw, omw, (2,), 0)

    z, (grad,) = value_and_grad(sample, kappa)
    pole = (1.0 - one_minus_w) * mu
    np.testing.assert_allclose(z, pole, atol=1e-6)
    np.testing.assert_array_equal(grad, np.zeros(2, "float32"))
