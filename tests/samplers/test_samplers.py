"""Latent samplers (`keras_hsvae.samplers`) and the vMF concentration MLE."""

import json

import keras
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st
from backend_utils import backend, float64, to_numpy, value_and_grad
from conftest import make_tiny_model, tiny_data
from mp_reference import iv_ratio

from keras_hsvae import ops as hops
from keras_hsvae import samplers
from keras_hsvae.models import SVAE, BetaVAE
from keras_hsvae.samplers import (
    FittedGaussianSampler,
    FittedVonMisesFisherSampler,
    PriorSampler,
    SphericalPriorSampler,
)


def _vmf_data(m, kappa, n, seed):
    """Unit vectors drawn by scipy (an independent sampler) and their mu."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=m)
    mu /= np.linalg.norm(mu)
    return st.vonmises_fisher(mu, kappa).rvs(n, random_state=rng), mu


def _a_scipy(m, kappa):
    """A_m(kappa) = I_{m/2} / I_{m/2-1} from scipy's scaled Bessel functions."""
    return sp.ive(m / 2, kappa) / sp.ive(m / 2 - 1, kappa)


# -- the maximum-likelihood equation (ops) -------------------------------------


@pytest.mark.parametrize(
    "m,kappa", [(3, 0.3), (3, 800.0), (10, 20.0), (64, 2.0), (64, 3000.0)]
)
def test_vmf_fit_matches_scipy_fit(m, kappa):
    x, _ = _vmf_data(m, kappa, 1000, seed=m)
    mu_ref, kappa_ref = st.vonmises_fisher.fit(x)
    with float64():
        sampler = FittedVonMisesFisherSampler().fit(x)
    np.testing.assert_allclose(sampler.concentration, kappa_ref, rtol=1e-6)
    np.testing.assert_allclose(sampler.mean_direction, mu_ref, atol=1e-12)
    np.testing.assert_allclose(sampler.sample_radius, 1.0, rtol=1e-12)
    assert sampler.dim == m


@pytest.mark.parametrize("m,kappa", [(64, 50.0)])
def test_vmf_fit_default_precision_matches_scipy(m, kappa):
    # Float64 on TensorFlow and PyTorch, float32 on JAX without x64: the
    # rounding of R to float32 costs ~6e-8 / (1 - R) of relative accuracy.
    x, _ = _vmf_data(m, kappa, 500, seed=1)
    _, kappa_ref = st.vonmises_fisher.fit(x)
    sampler = FittedVonMisesFisherSampler().fit(x)
    np.testing.assert_allclose(sampler.concentration, kappa_ref, rtol=1e-4)


R_GRID = [1e-7, 1e-3, 0.05, 0.3, 0.5, 0.8, 0.95, 0.999, 1 - 1e-6]


@pytest.mark.parametrize("m", [2, 3, 64, 256])
def test_mle_solves_the_likelihood_equation(m):
    r = np.array(R_GRID)
    with float64():
        kappa = to_numpy(hops.vmf_concentration_mle(r, m))
    assert kappa.dtype == np.float64
    v = m / 2 - 1
    # mpmath reference for A_m(kappa) (scipy's ive underflows for m = 256 at
    # small kappa); near R = 1 compare the distances to 1.
    ref = [iv_ratio(v, float(k)) for k in kappa]
    err_small = [abs(float(a - x)) / x for a, x in zip(ref, r)]
    err_large = [abs(float((1 - a) - (1 - x))) / (1 - x) for a, x in zip(ref, r)]
    err = np.where(r > 0.5, err_large, err_small)
    assert np.all(err < 1e-10), dict(zip(R_GRID, err))


def test_mle_solves_the_likelihood_equation_scipy():
    # scipy's ive as a second reference, where it does not underflow.
    m = 10
    r = np.linspace(0.02, 0.98, 7)
    with float64():
        kappa = to_numpy(hops.vmf_concentration_mle(r, m))
    np.testing.assert_allclose(_a_scipy(m, kappa), r, rtol=1e-12)


def test_mle_limits_and_float32():
    m = 64
    r32 = np.array([1e-6, 0.3, 0.9, 0.999, np.nextafter(1, 0, dtype="float32")])
    r32 = r32.astype("float32")
    limits = np.array([0.0, 1.0, 1e-12, 1 - 1e-12])
    with float64():
        r = np.concatenate([limits, r32.astype("float64")])
        kappa = to_numpy(hops.vmf_concentration_mle(r, m))
    assert kappa[0] == 0.0 and kappa[1] == np.inf
    # R -> 0: kappa ~ m R;  R -> 1: kappa ~ (m - 1) / (2 (1 - R)).
    np.testing.assert_allclose(kappa[2], m * 1e-12, rtol=1e-9)
    np.testing.assert_allclose(kappa[3], (m - 1) / 2e-12, rtol=1e-3)
    # float32 stays finite up to the last float below 1 and agrees with float64.
    k32 = to_numpy(hops.vmf_concentration_mle(r32, m))
    assert k32.dtype == np.float32 and np.all(np.isfinite(k32))
    np.testing.assert_allclose(k32[:-1], kappa[4:-1], rtol=1e-4)
    np.testing.assert_allclose(k32[-1], kappa[-1], rtol=0.1)


def test_mle_gradient_is_inverse_slope():
    # d kappa / d R = 1 / A'(kappa), A' = 1 - A^2 - (m - 1) A / kappa (scipy).
    m = 5
    r = np.array([0.1, 0.5, 0.9])
    with float64():
        kappa, (grad,) = value_and_grad(lambda x: hops.vmf_concentration_mle(x, m), r)
    a = _a_scipy(m, kappa)
    slope = 1 - a**2 - (m - 1) * a / kappa
    np.testing.assert_allclose(grad, 1 / slope, rtol=1e-8)


def test_mle_rejects_bad_dim():
    with pytest.raises(ValueError, match="dim=1"):
        hops.vmf_concentration_mle(0.5, 1)


# -- fitted samplers -------------------------------------------------------------


def test_vmf_fit_uses_directions_and_mean_norm():
    x, _ = _vmf_data(4, 30.0, 400, seed=3)
    mu_ref, kappa_ref = st.vonmises_fisher.fit(x)
    radii = np.random.default_rng(0).uniform(1.0, 3.0, size=(400, 1))
    scaled = FittedVonMisesFisherSampler().fit(x * radii)
    np.testing.assert_allclose(scaled.concentration, kappa_ref, rtol=1e-4)
    np.testing.assert_allclose(scaled.mean_direction, mu_ref, atol=1e-9)
    np.testing.assert_allclose(scaled.sample_radius, radii.mean(), rtol=1e-12)
    fixed = FittedVonMisesFisherSampler(radius=2.5).fit(x * radii)
    assert fixed.sample_radius == 2.5


def test_vmf_fit_limits():
    # All embeddings along one direction: R = 1, kappa capped.
    x = np.tile([[0.0, 3.0, 4.0]], (5, 1))
    sampler = FittedVonMisesFisherSampler().fit(x)
    assert sampler.concentration == samplers.MAX_CONCENTRATION
    z = to_numpy(sampler(6, seed=0))
    np.testing.assert_allclose(z, np.tile([[0.0, 3.0, 4.0]], (6, 1)), atol=2e-3)
    # Exactly opposite pairs: R = 0, kappa = 0 (uniform).
    x = np.array([[1.0, 2.0], [-1.0, -2.0], [2.0, -1.0], [-2.0, 1.0]])
    sampler = FittedVonMisesFisherSampler().fit(x)
    assert sampler.concentration == 0.0


def _vmf_sampler(m, kappa, radius, seed=0):
    """A fitted sampler with known parameters, restored from a config."""
    mu = np.random.default_rng(seed).normal(size=m)
    fit = {
        "mean_direction": (mu / np.linalg.norm(mu)).tolist(),
        "concentration": kappa,
        "radius": radius,
    }
    return FittedVonMisesFisherSampler.from_config({"radius": None, "fit": fit})


@pytest.mark.parametrize(
    "m,kappa,radius",
    [
        (3, 5.0, 1.0),
        # Wood's rejection path (m != 3): ~10 s of JAX compilation.
        pytest.param(10, 20.0, 3.0, marks=pytest.mark.slow),
    ],
)
def test_vmf_samples_mean_and_norm(m, kappa, radius):
    sampler = _vmf_sampler(m, kappa, radius)
    n = 4000
    z = to_numpy(sampler(n, seed=7)).astype(np.float64)
    assert z.shape == (n, m)
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), radius, rtol=1e-5)
    # E[z] = radius A_m(kappa) mu (scipy's Bessel ratio); 5 standard errors.
    mu, k = sampler.mean_direction, sampler.concentration
    expected = radius * _a_scipy(m, k) * mu
    stderr = z.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(z.mean(axis=0) - expected) < 5 * stderr + 1e-6)


# Shapes shared by the tests, so that JAX compiles each eager op once:
# N x M for statistical checks, n x M for the others.
N, M, n_small = 4000, 5, 6


def test_gaussian_fit_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, M)) @ rng.normal(size=(M, M)) + np.arange(M)
    sampler = FittedGaussianSampler(jitter=0.0).fit(x)
    np.testing.assert_allclose(sampler.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sampler.covariance, np.cov(x, rowvar=False), rtol=1e-12)
    tril = sampler.scale_tril
    np.testing.assert_allclose(tril @ tril.T, np.cov(x, rowvar=False), rtol=1e-10)
    assert sampler.dim == M and sampler.sample_radius is None
    # Samples: mean and covariance within sampling error (fixed seed).
    z = to_numpy(sampler(N, seed=1)).astype(np.float64)
    assert z.shape == (N, M)
    variance = np.diag(sampler.covariance)
    assert np.all(np.abs(z.mean(axis=0) - sampler.mean) < 5 * np.sqrt(variance / N))
    # Standard error of a sample covariance entry: <= sqrt(2 / N) * scale.
    scale = np.sqrt(np.outer(variance, variance))
    error = np.abs(np.cov(z, rowvar=False) - sampler.covariance)
    assert np.all(error < 5 * np.sqrt(2 / N) * scale)


def test_gaussian_jitter_and_projection():
    # Rank deficient: 3 points in R^M.
    x = np.random.default_rng(1).normal(size=(3, M))
    sampler = FittedGaussianSampler(jitter=1e-6).fit(x)
    cov = np.cov(x, rowvar=False)
    jitter = 1e-6 * np.trace(cov) / M
    np.testing.assert_allclose(
        sampler.scale_tril @ sampler.scale_tril.T, cov + jitter * np.eye(M), atol=1e-12
    )
    assert np.all(np.isfinite(to_numpy(sampler(n_small, seed=0))))
    # Points in the hyperplane sum(z) = 0 (an SAE latent): rank M - 1.
    x = np.random.default_rng(2).normal(size=(200, M))
    x = x - x.mean(axis=1, keepdims=True)
    projected = FittedGaussianSampler(project_to_sphere=True).fit(x)
    z = to_numpy(projected(n_small, seed=0))
    radius = np.linalg.norm(x, axis=1).mean()
    np.testing.assert_allclose(projected.sample_radius, radius, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), radius, rtol=1e-5)
    fixed = FittedGaussianSampler(project_to_sphere=True, radius=2.0).fit(x)
    z = to_numpy(fixed(n_small, seed=0))
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 2.0, rtol=1e-5)


# -- prior samplers ----------------------------------------------------------------


def test_prior_sampler_sphere_normal_and_shells():
    z = to_numpy(PriorSampler(M, radius=3.0)(N, seed=0)).astype(np.float64)
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 3.0, rtol=1e-5)
    # Uniform on the sphere: E[z] = 0, E[z z^T] = r^2 / M I.
    assert np.all(np.abs(z.mean(axis=0)) < 5 * np.sqrt(9.0 / M / N))
    second = z.T @ z / N
    assert np.all(np.abs(second - 9.0 / M * np.eye(M)) < 0.1 * 9.0 / M)
    z = to_numpy(PriorSampler(M, "normal")(N, seed=0)).astype(np.float64)
    assert z.shape == (N, M)
    assert np.all(np.abs(z.mean(axis=0)) < 5 / np.sqrt(N))
    assert np.all(np.abs(z.var(axis=0) - 1) < 5 * np.sqrt(2 / N))
    z = to_numpy(PriorSampler(M, shell_dims=[3, 2])(n_small, seed=0))
    np.testing.assert_allclose(np.linalg.norm(z[:, :3], axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(z[:, 3:], axis=-1), 1.0, rtol=1e-5)


class HSCVAE:  # stand-ins: models without a prior density, with a radius
    latent_dim = 9
    radius = 3.0

    def prior_distribution(self):
        raise NotImplementedError


class SAE(HSCVAE):
    latent_dim = 4
    radius = 2.0


class MyBetaVAE(BetaVAE):  # a user's subclass is recognised by its base
    pass


def test_prior_sampler_for_model():
    svae = PriorSampler.for_model(make_tiny_model("vmf"))
    assert svae.get_config() == {
        "dim": 3,
        "prior": "sphere",
        "radius": 1.0,
        "shell_dims": None,
    }
    product = PriorSampler.for_model(make_tiny_model("product"))
    assert product.shell_dims == [3, 2] and product.dim == 5
    beta = make_tiny_model("beta")
    beta = PriorSampler.for_model(MyBetaVAE.from_config(beta.get_config()))
    assert beta.prior == "normal" and beta.dim == 3
    hsc = PriorSampler.for_model(HSCVAE())
    assert (hsc.prior, hsc.dim, hsc.radius) == ("sphere", 9, 3.0)
    unscaled = HSCVAE()
    unscaled.radius = None
    assert PriorSampler.for_model(unscaled).prior == "normal"
    sae = PriorSampler.for_model(SAE())
    assert (sae.prior, sae.dim, sae.radius) == ("sphere", 4, 2.0)
    with pytest.raises(ValueError, match="Received: model of class object"):
        PriorSampler.for_model(object())


def test_prior_sampler_draws_like_the_models_prior():
    for model in (
        make_tiny_model("vmf"),
        make_tiny_model("beta"),
        make_tiny_model("product"),
    ):
        sampler = PriorSampler.for_model(model)
        np.testing.assert_allclose(
            to_numpy(model.generate(n_small, seed=2, sampler=sampler)),
            to_numpy(model.generate(n_small, seed=2)),
            atol=1e-6,
        )


def test_spherical_prior_sampler_pipeline():
    for name in ("normal", "uniform", "poisson", "chi2"):
        sampler = SphericalPriorSampler(M, name, radius=2.0)
        z = to_numpy(sampler(N, seed=1))
        assert z.shape == (N, M), name
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 2.0, rtol=1e-5)
        np.testing.assert_allclose(z.sum(axis=-1), 0.0, atol=1e-5)
        # Same seed: the call is spherize(centerize(raw)) of the same raw draw
        # (except for constant raw vectors, replaced by another draw).
        raw = sampler.sample_raw(N, seed=1)
        centered = to_numpy(hops.centerize(raw))
        np.testing.assert_allclose(centered.sum(axis=-1), 0.0, atol=1e-4)
        keep = ~np.all(centered == 0, axis=-1)
        expected = to_numpy(hops.spherize(centered, 2.0))
        np.testing.assert_allclose(z[keep], expected[keep], atol=1e-6)


def test_spherical_prior_raw_distributions():
    n = N * M
    chi2 = to_numpy(SphericalPriorSampler(M, "chi2", df=3.0).sample_raw(N, 0))
    chi2 = chi2.ravel().astype(np.float64)
    assert abs(chi2.mean() - 3.0) < 5 * np.sqrt(6.0 / n)
    assert st.kstest(chi2, st.chi2(3.0).cdf).pvalue > 1e-3
    uniform = SphericalPriorSampler(M, "uniform", minval=-1.0, maxval=3.0)
    u = to_numpy(uniform.sample_raw(N, 0)).ravel()
    assert u.min() >= -1.0 and u.max() < 3.0
    assert st.kstest(u, st.uniform(-1.0, 4.0).cdf).pvalue > 1e-3
    for rate in (0.3, 4.0, 250.0):
        sampler = SphericalPriorSampler(M, "poisson", rate=rate)
        k = to_numpy(sampler.sample_raw(N, seed=2)).ravel().astype(np.int64)
        assert np.all(k == to_numpy(sampler.sample_raw(N, seed=2)).ravel())
        # Chi-square goodness of fit against scipy's pmf, cells with >= 5
        # expected counts (the rest pooled into the two tails).
        lo, hi = st.poisson(rate).ppf([1e-3, 1 - 1e-3]).astype(int)
        edges = np.arange(lo, hi + 1)
        observed = np.array(
            [np.sum(k < lo)] + [np.sum(k == e) for e in edges] + [np.sum(k > hi)]
        )
        probs = np.concatenate(
            [
                [st.poisson(rate).cdf(lo - 1)],
                st.poisson(rate).pmf(edges),
                [st.poisson(rate).sf(hi)],
            ]
        )
        keep = probs * n >= 5
        obs = np.append(observed[keep], observed[~keep].sum())
        exp = np.append(probs[keep], probs[~keep].sum()) * n
        obs, exp = obs[exp > 0], exp[exp > 0]
        assert st.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3, rate


def test_spherical_prior_degenerate_draws_and_callable():
    # Poisson(0.01) in R^2: most raw vectors are (0, 0), which have no
    # direction after centering; they are replaced by a centered normal draw.
    sampler = SphericalPriorSampler(M, "poisson", rate=0.01, radius=1.5)
    raw = to_numpy(sampler.sample_raw(n_small, seed=0))
    assert np.sum(np.all(raw == 0, axis=-1)) >= 2  # the case under test
    z = to_numpy(sampler(n_small, seed=0))
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.5, rtol=1e-5)
    np.testing.assert_allclose(z.sum(axis=-1), 0.0, atol=1e-5)

    def laplace(shape, seed):
        u = keras.random.uniform(shape, minval=-0.5, maxval=0.5, seed=seed)
        return -keras.ops.sign(u) * keras.ops.log1p(-2.0 * keras.ops.abs(u))

    custom = SphericalPriorSampler(M, laplace)
    z = to_numpy(custom(n_small, seed=0))
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="cannot be serialized"):
        custom.get_config()
    bad = SphericalPriorSampler(M, lambda shape, seed: keras.ops.ones((shape[0], 3)))
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        bad(4, seed=0)


# -- seeds, configs, models, tracing ------------------------------------------------


def _fitted_vmf():
    # m = 3: exact inversion, no rejection loop to compile on JAX.
    return _vmf_sampler(3, 10.0, 2.0)


def _fitted_gaussian():
    x = np.random.default_rng(0).normal(size=(50, 5))
    return FittedGaussianSampler(project_to_sphere=True).fit(x)


FACTORIES = {
    "prior_sphere": lambda: PriorSampler(5, radius=2.0),
    "prior_normal": lambda: PriorSampler(5, "normal"),
    "prior_shells": lambda: PriorSampler(5, shell_dims=[2, 3]),
    "vmf": _fitted_vmf,
    "gaussian": _fitted_gaussian,
    "spherical_poisson": lambda: SphericalPriorSampler(5, "poisson", rate=2.0),
    "spherical_chi2": lambda: SphericalPriorSampler(5, "chi2", df=0.5, radius=2.0),
}


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_seeds_and_config_round_trip(kind):
    sampler = FACTORIES[kind]()
    a = to_numpy(sampler(6, seed=3))
    assert a.shape == (6, sampler.dim) and a.dtype == np.float32
    np.testing.assert_array_equal(a, to_numpy(sampler(6, seed=3)))
    assert not np.allclose(a, to_numpy(sampler(6, seed=4)))
    generator = keras.random.SeedGenerator(3)
    first, second = sampler(6, seed=generator), sampler(6, seed=generator)
    assert not np.allclose(to_numpy(first), to_numpy(second))
    # Through JSON, as in a saved model's config.
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(sampler)))
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is type(sampler)
    assert restored.get_config() == sampler.get_config()
    np.testing.assert_array_equal(to_numpy(restored(6, seed=3)), a)


def test_unfitted_config_round_trip():
    sampler = FittedVonMisesFisherSampler(radius=2.0)
    restored = FittedVonMisesFisherSampler.from_config(sampler.get_config())
    assert restored.radius == 2.0 and not restored.fitted and restored.dim is None


def test_sampler_in_model_generate_and_config():
    model = make_tiny_model("vmf", seed=1)
    x = tiny_data(40, binary=False)
    sampler = FittedVonMisesFisherSampler().fit_model(model, x, batch_size=20)
    embeddings = to_numpy(model.embed(x)).astype(np.float64)
    mu_ref, kappa_ref = st.vonmises_fisher.fit(
        embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    )
    np.testing.assert_allclose(sampler.mean_direction, mu_ref, atol=1e-6)
    np.testing.assert_allclose(sampler.concentration, kappa_ref, rtol=1e-4)
    out = to_numpy(model.generate(6, sampler=sampler, seed=0))
    assert out.shape == (6, 4, 4, 1)
    np.testing.assert_allclose(out, to_numpy(model.decode(sampler(6, seed=0))))
    # A model carrying a fitted sampler: the config keeps its parameters.
    model.sampler = sampler
    restored = SVAE.from_config(json.loads(json.dumps(model.get_config())))
    assert isinstance(restored.sampler, FittedVonMisesFisherSampler)
    assert restored.sampler.get_config() == sampler.get_config()


def test_samplers_trace():
    # The samplers with more than a `keras.random` draw and a few ops.
    cases = [_fitted_vmf(), SphericalPriorSampler(M, "poisson")]
    if backend() == "jax":
        import jax

        for sampler in cases:
            traced = jax.jit(lambda s=sampler: s(6, seed=0))()
            np.testing.assert_allclose(traced, to_numpy(sampler(6, seed=0)), atol=1e-6)
    elif backend() == "tensorflow":
        import tensorflow as tf

        # As in `keras_hsvae.export`: a generator made outside, a tensor `n`.
        for sampler in cases:
            generator = keras.random.SeedGenerator(0)
            fn = tf.function(
                lambda n, s=sampler, g=generator: s(n, seed=g), autograph=False
            )
            traced = to_numpy(fn(tf.constant(4)))
            eager = to_numpy(sampler(4, seed=keras.random.SeedGenerator(0)))
            np.testing.assert_allclose(traced, eager, atol=1e-6)
            assert tuple(fn(tf.constant(2)).shape) == (2, sampler.dim)
            # An int seed inside the traced function: the same draw as eager.
            fn_int = tf.function(lambda s=sampler: s(4, seed=0), autograph=False)
            np.testing.assert_allclose(
                to_numpy(fn_int()), to_numpy(sampler(4, seed=0)), atol=1e-6
            )
    else:
        pytest.skip("PyTorch runs eagerly: nothing to trace")


def test_errors():
    with pytest.raises(ValueError, match="not fitted"):
        FittedVonMisesFisherSampler()(3)
    with pytest.raises(ValueError, match="not fitted"):
        _ = FittedGaussianSampler().mean
    for n in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match=f"Received: n={n!r}"):
            PriorSampler(3)(n)
    vmf = FittedVonMisesFisherSampler()
    with pytest.raises(ValueError, match="rank 2"):
        vmf.fit(np.ones(3))
    with pytest.raises(ValueError, match="at least 2 rows"):
        vmf.fit(np.ones((1, 3)))
    with pytest.raises(ValueError, match="finite"):
        vmf.fit(np.array([[1.0, 0.0], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="zero vectors"):
        vmf.fit(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="at least 2 columns"):
        vmf.fit(np.ones((4, 1)))
    with pytest.raises(ValueError, match="distribution='gamma'"):
        SphericalPriorSampler(3, "gamma")
    with pytest.raises(ValueError, match="unknown"):
        SphericalPriorSampler(3, "poisson", df=2.0)
    with pytest.raises(ValueError, match="rate=0"):
        SphericalPriorSampler(3, "poisson", rate=0.0)
    with pytest.raises(ValueError, match="maxval"):
        SphericalPriorSampler(3, "uniform", minval=1.0, maxval=1.0)
    with pytest.raises(ValueError, match="dim=1"):
        SphericalPriorSampler(1)
    with pytest.raises(ValueError, match="summing to dim=6"):
        PriorSampler(6, shell_dims=[3, 2])
    with pytest.raises(ValueError, match="prior='normal'"):
        PriorSampler(3, "normal", radius=2.0)
    with pytest.raises(ValueError, match="prior='cube'"):
        PriorSampler(3, "cube")
    with pytest.raises(ValueError, match="project_to_sphere=False"):
        FittedGaussianSampler(radius=2.0)
    config = _fitted_gaussian().get_config()
    config["fit"]["covariance"] = np.eye(3).tolist()
    with pytest.raises(ValueError, match="covariance.shape=\\(3, 3\\)"):
        FittedGaussianSampler.from_config(config)
    config = _fitted_vmf().get_config()
    config["fit"]["mean_direction"] = [1.0, 1.0]
    with pytest.raises(ValueError, match="unit vector"):
        FittedVonMisesFisherSampler.from_config(config)
