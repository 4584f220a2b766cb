"""Tests for `keras_hsvae.evaluation` against closed forms, scipy and numpy."""

import json
import math
import os
from pathlib import Path

import keras
import numpy as np
import pytest
from scipy import linalg, stats

from keras_hsvae import evaluation
from keras_hsvae.models import (
    HSCVAE,
    SAE,
    SVAE,
    BetaVAE,
    ProductSVAE,
    mlp_decoder,
    mlp_encoder,
)

# ---------------------------------------------------------------------------
# Frechet distance
# ---------------------------------------------------------------------------


def _random_spd(rng, f, rank=None):
    a = rng.normal(size=(f, rank or f))
    return a @ a.T + (0.0 if rank else 0.1 * np.eye(f))


def test_frechet_distance_one_dimensional_closed_form():
    # W_2^2 of N(m1, s1^2), N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2.
    for m1, s1, m2, s2 in [(0.0, 1.0, 3.0, 2.0), (-1.5, 0.3, 2.0, 0.3), (1, 5, 1, 0)]:
        got = evaluation.frechet_distance([m1], [[s1**2]], [m2], [[s2**2]])
        assert got == pytest.approx((m1 - m2) ** 2 + (s1 - s2) ** 2, rel=1e-12)


def test_frechet_distance_commuting_covariances():
    # Same eigenvectors: tr term = sum (sqrt(a_i) - sqrt(b_i))^2, also singular.
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    a = np.array([4.0, 1.0, 0.25, 0.0, 2.0, 9.0])
    b = np.array([1.0, 1.0, 1.0, 3.0, 0.0, 0.5])
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = evaluation.frechet_distance(
        mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T
    )
    # A zero eigenvalue computed as ~1e-16 has a square root ~1e-8: sqrt(eps).
    assert got == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("f", [2, 5, 32])
def test_frechet_distance_matches_scipy_sqrtm(f):
    rng = np.random.default_rng(f)
    c1, c2 = _random_spd(rng, f), _random_spd(rng, f)
    mu1, mu2 = rng.normal(size=f), rng.normal(size=f)
    covmean = linalg.sqrtm(c1 @ c2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2.0 * covmean)
    got = evaluation.frechet_distance(mu1, c1, mu2, c2)
    assert got == pytest.approx(expected, rel=1e-8)
    assert evaluation.frechet_distance(mu1, c1, mu1, c1) == pytest.approx(0, abs=1e-9)


def test_frechet_distance_rank_deficient_features():
    # Fewer samples than features: singular covariances, still finite and >= 0
    # and symmetric in its arguments.
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 20)), rng.normal(size=(7, 20)) + 1.0
    d_ab = evaluation.frechet_distance_from_features(a, b)
    d_ba = evaluation.frechet_distance_from_features(b, a)
    assert np.isfinite(d_ab) and d_ab > 0
    assert d_ab == pytest.approx(d_ba, rel=1e-8)


def test_feature_statistics_and_errors():
    x = np.random.default_rng(0).normal(size=(50, 3))
    mean, cov = evaluation.feature_statistics(x)
    np.testing.assert_allclose(mean, x.mean(0))
    np.testing.assert_allclose(cov, np.cov(x.T))
    with pytest.raises(ValueError, match="cov2"):
        evaluation.frechet_distance([0.0, 0.0], np.eye(2), [0.0, 0.0], np.eye(3))
    with pytest.raises(ValueError, match="same number of features"):
        evaluation.frechet_distance_from_features(x, x[:, :2])


# ---------------------------------------------------------------------------
# Sliced Wasserstein distance
# ---------------------------------------------------------------------------


def test_sliced_wasserstein_identical_and_shift():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 1))
    assert evaluation.sliced_wasserstein_distance(x, x) == 0.0
    for c in (-2.5, 0.7):
        for p in (1, 2, 3):
            got = evaluation.sliced_wasserstein_distance(x, x + c, p=p)
            assert got == pytest.approx(abs(c), rel=1e-12)


def test_sliced_wasserstein_shift_in_high_dimension():
    # A translation by v moves every projection by theta.v: W_p = |theta.v|.
    rng = np.random.default_rng(1)
    x, v = rng.normal(size=(100, 5)), rng.normal(size=5)
    dirs = evaluation.random_directions(5, 64, seed=7)
    expected = np.sqrt(np.mean((v @ dirs) ** 2))
    got = evaluation.sliced_wasserstein_distance(x, x + v, 64, p=2, seed=7)
    assert got == pytest.approx(expected, rel=1e-10)


def test_sliced_wasserstein_matches_scipy_in_one_dimension():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=37), rng.gamma(2.0, size=53)  # unequal sizes
    got = evaluation.sliced_wasserstein_distance(a[:, None], b[:, None], p=1)
    assert got == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-10)
    # p = 2, equal sizes: root mean square of the sorted differences.
    c, d = rng.normal(size=40), rng.normal(size=40) * 2
    expected = np.sqrt(np.mean((np.sort(c) - np.sort(d)) ** 2))
    got = evaluation.sliced_wasserstein_distance(c[:, None], d[:, None], p=2)
    assert got == pytest.approx(expected, rel=1e-10)


def test_sliced_wasserstein_errors():
    with pytest.raises(ValueError, match="same size"):
        evaluation.sliced_wasserstein_distance(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="p=0.5"):
        evaluation.sliced_wasserstein_distance(np.zeros((3, 2)), np.ones((3, 2)), p=0.5)


# ---------------------------------------------------------------------------
# k-NN, replica angle, posterior collapse
# ---------------------------------------------------------------------------


def _knn_reference(train_z, train_y, test_z, k, cosine=False):
    """Brute force: sort all distances, vote, ties to the nearest tied class."""
    if cosine:
        train_z = train_z / np.linalg.norm(train_z, axis=1, keepdims=True)
        test_z = test_z / np.linalg.norm(test_z, axis=1, keepdims=True)
    out = []
    for t in test_z:
        d = [math.dist(t, p) for p in train_z]
        order = sorted(range(len(d)), key=lambda i: (d[i], i))[:k]
        labels = [train_y[i] for i in order]
        counts = {c: labels.count(c) for c in labels}
        best = max(counts.values())
        out.append(next(c for c in labels if counts[c] == best))
    return np.array(out)


@pytest.mark.parametrize("k", [1, 4, 7])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_knn_matches_brute_force(k, metric):
    rng = np.random.default_rng(k)
    train_z, test_z = rng.normal(size=(60, 3)), rng.normal(size=(40, 3))
    train_y = rng.integers(0, 3, size=60)
    got = evaluation.knn_predict(train_z, train_y, test_z, k=k, metric=metric)
    ref = _knn_reference(train_z, train_y, test_z, k, cosine=metric == "cosine")
    np.testing.assert_array_equal(got, ref)
    test_y = rng.integers(0, 3, size=40)
    acc = evaluation.knn_accuracy(train_z, train_y, test_z, test_y, k=k, metric=metric)
    assert acc == pytest.approx(np.mean(ref == test_y))


def test_knn_separable_clusters_and_label_budget():
    rng = np.random.default_rng(0)
    centers = 10.0 * np.eye(4)
    y_train, y_test = np.repeat(np.arange(4), 50), np.repeat(np.arange(4), 25)
    z_train = centers[y_train] + rng.normal(size=(200, 4))
    z_test = centers[y_test] + rng.normal(size=(100, 4))
    assert evaluation.knn_accuracy(z_train, y_train, z_test, y_test, k=5) == 1.0
    assert evaluation.knn_accuracy(z_train, y_train, z_test, (y_test + 1) % 4) == 0.0
    for budget in (4, 10, 13):
        subset = evaluation.sample_labeled_subset(y_train, budget, seed=3)
        counts = np.bincount(y_train[subset], minlength=4)
        assert len(set(subset.tolist())) == budget
        assert counts.max() - counts.min() <= 1
        acc = evaluation.knn_accuracy(
            z_train, y_train, z_test, y_test, k=1, num_labels=budget, seed=3
        )
        assert acc == 1.0
    with pytest.raises(ValueError, match="num_labels=3"):
        evaluation.knn_accuracy(z_train, y_train, z_test, y_test, num_labels=3)
    with pytest.raises(ValueError, match="k=0"):
        evaluation.knn_accuracy(z_train, y_train, z_test, y_test, k=0)


def test_knn_label_budget_uses_only_the_subset():
    rng = np.random.default_rng(5)
    z_train, z_test = rng.normal(size=(300, 2)), rng.normal(size=(50, 2))
    y_train, y_test = rng.integers(0, 3, 300), rng.integers(0, 3, 50)
    subset = evaluation.sample_labeled_subset(y_train, 30, seed=9)
    ref = _knn_reference(z_train[subset], y_train[subset], z_test, 3)
    got = evaluation.knn_accuracy(
        z_train, y_train, z_test, y_test, k=3, num_labels=30, seed=9
    )
    assert got == pytest.approx(np.mean(ref == y_test))


def test_replica_angle_isotropic_high_dimension():
    # cos(angle_i) = z_i.S/|S| ~ (1 + N(0, (N-1)/d)) / sqrt(N) for S = sum z_j:
    # mean angle ~ pi/2 - 1/sqrt(N), standard deviation ~ 1/sqrt(d).
    n, d = 2000, 256
    z = np.random.default_rng(0).normal(size=(n, d))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    report = evaluation.replica_angle(z)
    assert report["mean"] == pytest.approx(math.pi / 2 - 1 / math.sqrt(n), abs=0.005)
    assert report["std"] == pytest.approx(1 / math.sqrt(d), rel=0.1)


def test_replica_angle_clustered_exact():
    # Points at angle theta from e_1, symmetric around it: the mean is
    # cos(theta) e_1 and every replica angle is exactly theta.
    theta, d = 0.3, 8
    others = np.concatenate([np.eye(d)[1:], -np.eye(d)[1:]])
    z = math.cos(theta) * np.eye(d)[0] + math.sin(theta) * others
    angles = evaluation.replica_angles(3.0 * z)
    np.testing.assert_allclose(angles, theta, rtol=1e-10)
    assert evaluation.replica_angles(np.array([[1.0, 0.0], [-1.0, 0.0]])).tolist() == [
        math.pi / 2,
        math.pi / 2,
    ]


def test_posterior_collapse_active_units():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(5000, 3)) * np.array([0.5, 0.05, 0.0]) + 1.0
    report = evaluation.posterior_collapse(means)
    np.testing.assert_allclose(report["per_dim_std"], means.std(0))
    assert report["active_units"] == 1  # variances 0.25 > 0.01 > 0.0025
    assert report["fraction_collapsed"] == pytest.approx(2 / 3)
    assert evaluation.posterior_collapse(means, threshold=1e-3)["active_units"] == 2
    with pytest.raises(ValueError, match="threshold=-1"):
        evaluation.posterior_collapse(means, threshold=-1)


# ---------------------------------------------------------------------------
# ELBO and importance-sampled log-likelihood on a linear-Gaussian model
# ---------------------------------------------------------------------------

D, LATENT = 6, 2
SIGMA2 = 0.5  # the models' Gaussian likelihood is N(x; decoded, 1/2 I)


def _linear_gaussian(mean_shift=0.0, scale_factor=1.0):
    """BetaVAE with x = W z + b + N(0, 1/2 I) and q = exact posterior (or not).

    W has orthogonal columns, so the exact posterior is diagonal:
    Cov = diag(1 / (1 + s_i^2 / sigma^2)), mean = Cov W^T (x - b) / sigma^2.
    """
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.normal(size=(D, LATENT)))
    w = u * np.array([2.0, 0.7])  # (D, d), W^T W = diag(4, 0.49)
    b = rng.normal(size=D)
    post_var = 1.0 / (1.0 + np.sum(w**2, axis=0) / SIGMA2)
    gain = w * post_var / SIGMA2  # x @ gain = Cov W^T x / sigma^2
    inputs = keras.Input((D,))
    encoder = keras.Model(inputs, keras.layers.Identity()(inputs))
    decoder = mlp_decoder(LATENT, (D,), hidden=())
    model = BetaVAE(encoder, decoder, LATENT, likelihood="gaussian", seed=0)
    model(np.zeros((1, D), "float32"))
    decoder.layers[1].set_weights([w.T, b])
    stddev = scale_factor * np.sqrt(post_var)
    model.posterior.mean_dense.set_weights([gain, -b @ gain + mean_shift])
    pre_scale = np.log(np.expm1(stddev))  # softplus^-1
    model.posterior.scale_dense.set_weights([np.zeros((D, LATENT)), pre_scale])
    x = (b + rng.normal(size=(8, LATENT)) @ w.T + rng.normal(size=(8, D)) * 0.7).astype(
        "float32"
    )
    log_px = stats.multivariate_normal(b, w @ w.T + SIGMA2 * np.eye(D)).logpdf(x)
    q_mean = (x - b) @ gain + mean_shift
    return model, x, log_px, q_mean, stddev**2, post_var


def _kl_gauss(m1, v1, m2, v2):
    return 0.5 * np.sum(np.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1.0, axis=-1)


def test_importance_sampling_exact_posterior_is_exact():
    model, x, log_px, *_ = _linear_gaussian()
    for k, max_points in ((1, 20000), (6, 12)):  # 12 points: 2 chunks of 3 draws
        got = evaluation.importance_sampled_log_likelihood(
            model, x, num_samples=k, batch_size=4, max_points=max_points,
            seed=1, return_per_example=True,
        )  # fmt: skip
        np.testing.assert_allclose(got, log_px, rtol=1e-5, atol=1e-4)


def test_elbo_and_importance_sampling_with_inexact_posterior():
    model, x, log_px, q_mean, q_var, post_var = _linear_gaussian(0.2, 1.5)
    true_mean = q_mean - 0.2
    # ELBO = log p(x) - KL(q || exact posterior), all in closed form.
    expected_elbo = log_px - _kl_gauss(q_mean, q_var, true_mean, post_var)
    kl_prior = _kl_gauss(q_mean, q_var, 0.0, 1.0)
    out = evaluation.elbo(model, x, num_samples=400, seed=2)
    assert out["kl_estimator"] == "closed_form"
    assert out["kl"] == pytest.approx(np.mean(kl_prior), rel=1e-5)
    # Monte-Carlo reconstruction term: 400 draws x 8 examples, sd ~ 1.3 per draw.
    assert out["elbo"] == pytest.approx(np.mean(expected_elbo), abs=0.05)
    assert out["elbo"] == pytest.approx(out["reconstruction"] - out["kl"])
    iwae = evaluation.importance_sampled_log_likelihood(
        model, x, num_samples=2000, seed=3, return_per_example=True
    )
    gap = np.mean(log_px - expected_elbo)
    assert gap > 0.2  # the posterior really is inexact
    assert np.mean(iwae) > out["elbo"] + 0.5 * gap
    # sd of the K = 2000 estimate: <= 0.025 per example over 8 seeds (TF).
    np.testing.assert_allclose(iwae, log_px, atol=0.1)
    assert np.mean(iwae - log_px) == pytest.approx(0.0, abs=0.03)
    assert np.mean(iwae) <= np.mean(log_px) + 0.01  # a lower bound on average

    # The same K in 8 chunks of 250 draws (max_points = 8 examples x 250):
    # new draws in every chunk, so it converges like the single chunk. A
    # chunk loop that reused its first draws would return the K = 250
    # estimate of the same seed exactly.
    chunked = evaluation.importance_sampled_log_likelihood(
        model, x, num_samples=2000, max_points=2000, seed=3, return_per_example=True
    )
    first_chunk = evaluation.importance_sampled_log_likelihood(
        model, x, num_samples=250, seed=3, return_per_example=True
    )
    np.testing.assert_allclose(chunked, log_px, atol=0.1)
    assert np.mean(chunked - log_px) == pytest.approx(0.0, abs=0.03)
    assert np.max(np.abs(chunked - first_chunk)) > 1e-4


# Eager JAX compiles the vMF sampler and Bessel KL afresh for every new shape
# (~10 s each on a 2-core CPU): tests that draw from vMF posteriors are in the
# slow tier on JAX only (`-m slow`); the Gaussian paths stay fast everywhere.
slow_on_jax = pytest.mark.slow if keras.backend.backend() == "jax" else (lambda f: f)


@slow_on_jax
def test_importance_sampling_spherical_models_constant_decoder():
    # With a decoder that ignores z, log p(x) = log p(x|z) and E_q[p(z)/q(z)] = 1:
    # the estimate converges to log p(x|.) and ELBO = log p(x|.) - KL. kappa ~ 1
    # keeps p/q bounded (a concentrated q would make the weights heavy-tailed).
    x = (np.random.default_rng(0).random((16, 5)) > 0.5).astype("float32")
    for model in (
        SVAE(mlp_encoder((5,), (8,)), mlp_decoder(3, (5,), ()), 3, seed=0),
        ProductSVAE(mlp_encoder((5,), (8,)), mlp_decoder(5, (5,), ()), [3, 2], seed=0),
    ):
        model(x)
        shells = getattr(model.posterior, "shells", [model.posterior])
        for shell in shells:  # kappa = softplus(-10) + 1
            kernel, bias = shell.concentration_dense.get_weights()
            shell.concentration_dense.set_weights([0 * kernel, bias - 10.0])
        dense = model.decoder.layers[1]
        kernel, bias = dense.get_weights()
        dense.set_weights([np.zeros_like(kernel), np.linspace(-1, 1, 5)])
        p = 1.0 / (1.0 + np.exp(-np.linspace(-1, 1, 5)))
        log_lik = np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=1)
        iwae = evaluation.importance_sampled_log_likelihood(
            model, x, num_samples=500, seed=4, return_per_example=True
        )
        # sd(log w) < 0.8 here: per-example sd of the estimate < 0.045.
        np.testing.assert_allclose(iwae, log_lik, atol=0.16)
        assert np.mean(iwae - log_lik) == pytest.approx(0.0, abs=0.03)
        out = evaluation.elbo(model, x, seed=4)
        kl = keras.ops.convert_to_numpy(model.posterior.kl(model.encoder(x)))
        assert out["reconstruction"] == pytest.approx(np.mean(log_lik), rel=1e-5)
        assert out["elbo"] == pytest.approx(np.mean(log_lik - kl), rel=1e-5)


def test_reconstruction_mse_convention():
    model = BetaVAE(mlp_encoder((2, 3), (4,)), mlp_decoder(2, (2, 3), (4,)), 2)
    x = np.random.default_rng(0).random((6, 2, 3)).astype("float32")
    x_hat = keras.ops.convert_to_numpy(model.reconstruct(x))
    expected = np.mean(np.sum((x - x_hat) ** 2, axis=(1, 2)))
    got = evaluation.reconstruction_mse(model, x, batch_size=3)
    assert got == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------------------
# Feature extractors
# ---------------------------------------------------------------------------


def test_classifier_features_is_the_named_layer():
    inputs = keras.Input((2, 2, 1))
    h = keras.layers.Flatten()(inputs)
    h = keras.layers.Dense(3, name="features")(h)
    clf = keras.Model(inputs, keras.layers.Dense(2)(h))
    kernel, bias = clf.get_layer("features").get_weights()
    x = np.random.default_rng(0).random((5, 4)).astype("float32")  # flat input
    features = evaluation.ClassifierFeatures(clf, batch_size=2)(x)
    np.testing.assert_allclose(features, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert evaluation.describe_feature_extractor(
        evaluation.ClassifierFeatures(clf, name="toy")
    ) == {"name": "toy", "kind": "in_domain_classifier", "layer": "features"}
    with pytest.raises(ValueError, match="layer_name='nope'"):
        evaluation.ClassifierFeatures(clf, layer_name="nope")


def test_feature_extractor_resolution_never_downloads(tmp_path, monkeypatch):
    with pytest.raises(evaluation.FeatureExtractorUnavailableError):
        evaluation.InceptionFeatures(weights=tmp_path / "missing.h5")
    with pytest.raises(evaluation.FeatureExtractorUnavailableError, match="mnist"):
        evaluation.ClassifierFeatures.from_zoo("mnist", zoo_dir=tmp_path)
    with pytest.raises(ValueError, match="'resnet'"):
        evaluation.get_feature_extractor("resnet")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(
        evaluation.InceptionFeatures, "cached_weights_path", lambda: None
    )
    with pytest.raises(evaluation.FeatureExtractorUnavailableError):
        evaluation.get_feature_extractor(None, dataset=None)


ZOO = Path(__file__).resolve().parents[2] / "zoo" / "fid_classifiers"
DATA = Path(
    os.environ.get(
        "KERAS_HSVAE_TEST_DATA",
        Path(__file__).resolve().parents[3] / "shared" / "datasets",
    )
)


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist"])
def test_zoo_classifier_features(dataset):
    if not (ZOO / dataset / "classifier.keras").is_file():
        pytest.skip(f"no committed FID classifier for {dataset}")
    if not DATA.is_dir():
        pytest.skip(f"datasets folder {DATA} absent")
    from keras_hsvae import data

    x, y = data.load(
        dataset, "test", data_dir=DATA, with_labels=True, as_numpy=True, download=False
    )
    x, y = x[:500], y[:500]
    extractor = evaluation.get_feature_extractor(f"classifier:{dataset}")
    info = evaluation.describe_feature_extractor(extractor)
    assert info["name"] == f"classifier:{dataset}" and info["test_accuracy"] > 0.85
    clf = keras.saving.load_model(ZOO / dataset / "classifier.keras", compile=False)
    pred = np.argmax(keras.ops.convert_to_numpy(clf(x)), axis=-1)
    assert np.mean(pred == y) > info["test_accuracy"] - 0.03  # recorded accuracy
    features = extractor(x)
    assert features.shape == (500, info.get("feature_dim", features.shape[1]))
    # Features separate the classes: FID between two halves of one class is far
    # below the FID between two classes.
    f0, f1 = features[y == 0], features[y == 1]
    h = len(f0) // 2
    same = evaluation.frechet_distance_from_features(f0[:h], f0[h:])
    assert evaluation.frechet_distance_from_features(f0, f1) > 5 * same


# ---------------------------------------------------------------------------
# evaluate_model
# ---------------------------------------------------------------------------


def _flat(images):
    return np.asarray(images, "float64").reshape(len(images), -1)


_flat.name = "flat_pixels"


@slow_on_jax
def test_evaluate_model_product_json_report():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    # Grey levels, not binary: no duplicate inputs, so no exact distance ties.
    x_train = rng.random((40, 3, 2)).astype("float32")
    x_test = rng.random((30, 3, 2)).astype("float32")
    y_train, y_test = rng.integers(0, 2, 40), rng.integers(0, 2, 30)
    model = ProductSVAE(
        mlp_encoder((3, 2), (8,)), mlp_decoder(5, (3, 2), (8,)), [3, 2], seed=0
    )
    report = evaluation.evaluate_model(
        model, x_test, y_test, x_train, y_train,
        feature_extractor=_flat, num_importance_samples=5, seed=1,
        knn_label_budgets=(4, 1000), knn_num_draws=3,
    )  # fmt: skip
    report = json.loads(json.dumps(report))  # plain JSON data
    assert report["skipped"] == {}
    assert report["fid"]["feature_extractor"] == {
        "name": "flat_pixels",
        "kind": "custom",
    }
    assert report["mse"] == pytest.approx(evaluation.reconstruction_mse(model, x_test))
    assert report["shells"]["shell_dims"] == [3, 2]
    assert sum(report["shells"]["kl"]) == pytest.approx(report["elbo"]["kl"], rel=1e-5)
    assert report["log_likelihood"]["num_importance_samples"] == 5
    assert set(report["knn"]) == {"k", "metric", "latent", "all_labels", "labels_4"}
    z_train = keras.ops.convert_to_numpy(model.embed(x_train))
    z_test = keras.ops.convert_to_numpy(model.embed(x_test))
    expected = np.mean(_knn_reference(z_train, y_train, z_test, 5) == y_test)
    # The tiny model puts some latents almost on top of each other: where a
    # test point's 5th and 6th neighbours are within rounding of each other,
    # the expanded distance of `knn_predict` and the reference's exact one
    # may pick different neighbours (seen in CI: 1 point of 30). Those points
    # may disagree; every other point must agree.
    dist = np.sort(np.linalg.norm(z_test[:, None] - z_train[None], axis=-1), axis=1)
    near_ties = np.sum((dist[:, 5] - dist[:, 4]) < 1e-4 * (1.0 + dist[:, 4]))
    gap = abs(report["knn"]["all_labels"] - expected)
    assert gap <= near_ties / len(z_test) + 1e-12, (gap, near_ties)
    assert report["replica_angle"] == pytest.approx(evaluation.replica_angle(z_test))
    assert report["posterior_collapse"]["statistic"] == "posterior_mean"
    assert report["fid"]["self_fid"] == pytest.approx(
        evaluation.self_fid(model, x_test, _flat, seed=1), rel=1e-6
    )


def test_evaluate_model_skips_and_errors():
    model = BetaVAE(
        mlp_encoder((4,), (8,)), mlp_decoder(2, (4,), (8,)), 2, likelihood="gaussian"
    )
    x = np.random.default_rng(0).random((12, 4)).astype("float32")
    report = evaluation.evaluate_model(
        model, x, metrics=("mse", "knn", "shells", "posterior_collapse")
    )
    assert set(report["skipped"]) == {"knn", "shells"}
    assert "concentration" not in report["posterior_collapse"]
    means = keras.ops.convert_to_numpy(model.encode(x)["mean"])
    np.testing.assert_allclose(
        report["posterior_collapse"]["per_dim_std"], means.std(0), rtol=1e-5
    )
    with pytest.raises(ValueError, match="'bleu'"):
        evaluation.evaluate_model(model, x, metrics=("mse", "bleu"))
    with pytest.raises(ValueError, match="y_test"):
        evaluation.evaluate_model(model, x, y_test=np.zeros(3), metrics=("knn",))


def test_evaluate_model_without_likelihood_hooks():
    # HSC-VAE (KL-like regularizer) and SAE (no KL) have no normalized
    # densities: likelihood metrics are skipped, the others still computed.
    x = np.random.default_rng(1).random((10, 4)).astype("float32")
    for model in (
        HSCVAE(mlp_encoder((4,), (8,)), mlp_decoder(3, (4,), (8,)), 3, seed=0),
        SAE(mlp_encoder((4,), (8,)), mlp_decoder(3, (4,), (8,)), 3, seed=0),
    ):
        report = evaluation.evaluate_model(
            model,
            x,
            metrics=("elbo", "log_likelihood", "mse", "posterior_collapse"),
        )
        assert set(report["skipped"]) == {"elbo", "log_likelihood"}
        assert report["posterior_collapse"]["statistic"] == "embedding"
        assert report["mse"] == pytest.approx(evaluation.reconstruction_mse(model, x))


def test_shell_report_flags_shells_at_the_concentration_floor():
    # Shell 0 pinned at the head's floor kappa = softplus(-30) + 1 ~ 1 (its
    # KL is KL(kappa=1) > 0.01 nats, so an absolute threshold would miss it);
    # shell 1 pinned at kappa ~ 40 + 1.
    from mp_reference import vmf_kl

    model = ProductSVAE(
        mlp_encoder((3, 2), (8,)), mlp_decoder(7, (3, 2), (8,)), [4, 3], seed=0
    )
    x = np.random.default_rng(0).random((20, 3, 2)).astype("float32")
    model(x[:2])
    for shell, bias in zip(model.posterior.shells, (-30.0, 40.0)):
        kernel, b = shell.concentration_dense.get_weights()
        shell.concentration_dense.set_weights([0 * kernel, b * 0 + bias])
    report = evaluation.shell_report(model, x)
    assert report["inactive_shells"] == [0]
    np.testing.assert_allclose(
        report["kl_floor"], [float(vmf_kl(4, 1.0)), float(vmf_kl(3, 1.0))], rtol=1e-5
    )
    assert report["kl_floor"][0] > report["kl_threshold"]
    np.testing.assert_allclose(report["concentration_mean"], [1.0, 41.0], rtol=1e-5)
