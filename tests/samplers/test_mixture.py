"""Mixture samplers fitted by EM (`keras_hsvae.samplers.mixture`).

References: data drawn by scipy (an independent vMF sampler) from a known
mixture, which the fit must recover within its sampling error; scikit-learn's
`GaussianMixture` on the same data (the same maximum-likelihood optimum);
the single-vMF fit for one component; and, for the draws, the mixture they
were drawn from (chi-square of the component counts, `A_m(kappa)` from
scipy's Bessel functions for the mean cosine), with fixed seeds.
"""

import json

import keras
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

from keras_hsvae.samplers import (
    FittedGaussianMixtureSampler,
    FittedVonMisesFisherMixtureSampler,
    FittedVonMisesFisherSampler,
)

M = 5
DIRECTIONS = np.eye(M)[:3]
KAPPAS = np.array([20.0, 50.0, 100.0])
WEIGHTS = np.array([0.5, 0.3, 0.2])


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def _vmf_mixture_data(n=6000, seed=0):
    """Unit vectors of the mixture above, drawn by scipy, and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=WEIGHTS)
    x = np.empty((n, M))
    for k in range(3):
        rows = labels == k
        x[rows] = st.vonmises_fisher(DIRECTIONS[k], KAPPAS[k]).rvs(
            int(rows.sum()), random_state=rng
        )
    return x, labels


def _match(fitted_directions):
    """Order of the fitted components closest to `DIRECTIONS`."""
    return [int(np.argmax(fitted_directions @ d)) for d in DIRECTIONS]


def _a(m, kappa):
    return sp.ive(m / 2, kappa) / sp.ive(m / 2 - 1, kappa)


@pytest.fixture(scope="module")
def fitted_vmf_mixture():
    """A 3-component fit to 3 x the scipy draws (compiled once per module)."""
    x, _ = _vmf_mixture_data()
    return FittedVonMisesFisherMixtureSampler(3, fit_seed=1).fit(3.0 * x)


def test_vmf_mixture_recovers_the_mixture_scipy_drew(fitted_vmf_mixture):
    sampler = fitted_vmf_mixture
    order = _match(sampler.mean_directions)
    assert sorted(order) == [0, 1, 2]
    # Weights: binomial standard error sqrt(p (1 - p) / n) <= 0.0065.
    np.testing.assert_allclose(sampler.weights[order], WEIGHTS, atol=0.025)
    cosines = np.sum(sampler.mean_directions[order] * DIRECTIONS, axis=1)
    assert np.all(cosines > 0.995)
    # kappa's ML estimate has relative standard error about
    # sqrt(2 / (n_k (m - 1))) <= 3 % here; 4 standard errors.
    np.testing.assert_allclose(sampler.concentrations[order], KAPPAS, rtol=0.12)
    assert sampler.sample_radius == pytest.approx(3.0)
    assert sampler.fit_report["iterations"] >= 1


def test_one_component_is_the_single_vmf_fit():
    x, _ = _vmf_mixture_data(n=600)
    mixture = FittedVonMisesFisherMixtureSampler(1).fit(x)
    single = FittedVonMisesFisherSampler().fit(x)
    np.testing.assert_allclose(mixture.weights, [1.0])
    np.testing.assert_allclose(
        mixture.mean_directions[0], single.mean_direction, atol=1e-12
    )
    np.testing.assert_allclose(
        mixture.concentrations[0], single.concentration, rtol=1e-5
    )


def test_vmf_mixture_draws_follow_the_mixture():
    sampler = FittedVonMisesFisherMixtureSampler(3)
    sampler._set_fit(WEIGHTS.tolist(), DIRECTIONS.tolist(), KAPPAS.tolist(), 2.0)
    n = 6000
    z = _np(sampler(n, seed=3))
    assert z.shape == (n, M)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 2.0, rtol=1e-5)
    u = z / 2.0
    labels = np.argmax(u @ DIRECTIONS.T, axis=1)
    counts = np.bincount(labels, minlength=3)
    # Components this far apart (kappa >= 20) overlap with mass < 1e-6.
    assert st.chisquare(counts, WEIGHTS * n).pvalue > 1e-3
    for k in range(3):
        cos = u[labels == k] @ DIRECTIONS[k]
        # The mean cosine is A_m(kappa); 5 standard errors of the sample mean.
        se = cos.std() / np.sqrt(len(cos))
        assert abs(cos.mean() - _a(M, KAPPAS[k])) < 5 * se


def test_gaussian_mixture_matches_scikit_learn():
    mixture = pytest.importorskip("sklearn.mixture")
    rng = np.random.default_rng(2)
    centers = np.array([[6.0, 0, 0, 0], [0, 6.0, 0, 0], [0, 0, 0, 6.0]])
    scales = [np.diag([1.0, 0.5, 0.2, 0.1]), np.diag([0.3, 1.0, 0.6, 0.2]), np.eye(4)]
    x = np.concatenate(
        [
            rng.normal(size=(n, 4)) @ s + c
            for n, s, c in zip((500, 300, 200), scales, centers)
        ]
    )
    ours = FittedGaussianMixtureSampler(
        3, jitter=0.0, max_iterations=500, tolerance=1e-12
    ).fit(x)
    ref = mixture.GaussianMixture(
        3,
        covariance_type="full",
        reg_covar=0.0,
        tol=1e-12,
        max_iter=500,
        random_state=0,
    ).fit(x)
    order = [int(np.argmin(np.sum((ours.means - m) ** 2, axis=1))) for m in ref.means_]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(ours.weights[order], ref.weights_, atol=1e-6)
    np.testing.assert_allclose(ours.means[order], ref.means_, atol=1e-6)
    np.testing.assert_allclose(ours.covariances[order], ref.covariances_, atol=1e-6)
    assert ours.fit_report["mean_log_likelihood"] == pytest.approx(
        ref.score(x), abs=1e-8
    )


def test_gaussian_mixture_draws_have_the_component_moments():
    means = np.array([[10.0, 0.0], [-10.0, 0.0]])
    covs = np.array([[[1.0, 0.5], [0.5, 2.0]], [[0.2, 0.0], [0.0, 0.1]]])
    sampler = FittedGaussianMixtureSampler(2)
    sampler._set_fit([0.7, 0.3], means.tolist(), covs.tolist())
    n = 8000
    z = _np(sampler(n, seed=0))
    labels = (z[:, 0] < 0).astype(int)
    assert st.chisquare(np.bincount(labels), [0.7 * n, 0.3 * n]).pvalue > 1e-3
    for k in range(2):
        part = z[labels == k]
        se = np.sqrt(np.diag(covs[k]) / len(part))
        assert np.all(np.abs(part.mean(0) - means[k]) < 5 * se)
        # Sample covariance: relative error about sqrt(2 / n_k) < 3 %.
        np.testing.assert_allclose(
            np.cov(part, rowvar=False), covs[k], atol=0.1 * covs[k].max()
        )


def test_projected_gaussian_mixture_draws_lie_on_the_sphere():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)) + 4.0 * np.eye(6)[rng.integers(0, 2, 400)]
    sampler = FittedGaussianMixtureSampler(2, project_to_sphere=True).fit(x)
    radius = float(np.mean(np.linalg.norm(x, axis=1)))
    assert sampler.sample_radius == pytest.approx(radius)
    z = _np(sampler(50, seed=1))
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), radius, rtol=1e-5)


@pytest.mark.parametrize("kind", ["vmf", "gaussian"])
def test_config_round_trip_gives_the_same_draws(kind, fitted_vmf_mixture):
    if kind == "vmf":
        sampler = fitted_vmf_mixture
    else:
        sampler = FittedGaussianMixtureSampler(2).fit(_vmf_mixture_data(n=300)[0])
    cls = type(sampler)
    again = cls.from_config(json.loads(json.dumps(sampler.get_config())))
    first = _np(sampler(7, seed=4))
    np.testing.assert_array_equal(first, _np(again(7, seed=4)))
    # Distinct rows: the draws are not one repeated point.
    assert len(np.unique(first.round(6), axis=0)) == 7


@pytest.mark.parametrize(
    "cls", [FittedVonMisesFisherMixtureSampler, FittedGaussianMixtureSampler]
)
def test_bad_arguments_are_refused(cls):
    with pytest.raises(ValueError, match="num_components"):
        cls(0)
    with pytest.raises(ValueError, match="at least num_components=5 rows"):
        cls(5).fit(np.eye(3))
    with pytest.raises(ValueError, match="not fitted"):
        cls(2)(3)
    with pytest.raises(ValueError, match="fit_seed"):
        cls(2, fit_seed=-1)
    with pytest.raises(ValueError, match="finite"):
        cls(1).fit(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_mixture_weights_must_sum_to_one():
    sampler = FittedVonMisesFisherMixtureSampler(2)
    with pytest.raises(ValueError, match="sum to 1"):
        sampler._set_fit([0.5, 0.6], np.eye(3)[:2].tolist(), [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="radius"):
        FittedGaussianMixtureSampler(2, radius=1.0)
