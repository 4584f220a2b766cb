"""Every field of `evaluate_model`'s report, against closed forms.

A duck-typed model with known outputs (reconstructions `x + 1/2`, samples
`2 x`, latents `x`) on one-dimensional data gives the Frechet and sliced
Wasserstein distances in closed form; the log-likelihood entry is checked on
a tiny `BetaVAE` against `importance_sampled_log_likelihood` called alone.
"""

import numpy as np
import pytest
from conftest import make_tiny_model, tiny_data

from keras_hsvae import evaluation


class _Shifted:
    """No likelihood hooks; `generate` returns twice the test set."""

    latent_dim = 1

    def __init__(self, x_test):
        self.x_test = x_test

    def reconstruct(self, x):
        return x + 0.5

    def generate(self, n, seed=0):
        return 2.0 * self.x_test[:n]

    def embed(self, x):
        return x

    def encode(self, x):
        return {"concentration": 1.0 + x[:, 0]}


# Two well separated classes in one dimension: 1-NN is always right.
X_TEST = np.array([[0.10], [0.15], [0.20], [0.80], [0.85], [0.90]], "float32")
Y_TEST = np.array([0, 0, 0, 1, 1, 1])
X_TRAIN = np.array([[0.05], [0.12], [0.25], [0.75], [0.88], [0.95]], "float32")
Y_TRAIN = Y_TEST


def test_report_header_distances_and_knn():
    model = _Shifted(X_TEST)
    metrics = ("fid", "knn", "posterior_collapse")
    report = evaluation.evaluate_model(
        model, X_TEST, Y_TEST, X_TRAIN, Y_TRAIN, metrics=metrics, seed=7,
        feature_extractor=lambda images: np.asarray(images, "float64"),
        knn_k=1, knn_label_budgets=(2, 1000), knn_num_draws=3,
    )  # fmt: skip
    assert {k: report[k] for k in ("model", "latent_dim", "seed", "metrics")} == {
        "model": "_Shifted",
        "latent_dim": 1,
        "seed": 7,
        "metrics": list(metrics),
    }
    assert report["num_test_examples"] == 6 and report["skipped"] == {}
    # 1-D Frechet distance: (m1 - m2)^2 + (s1 - s2)^2 (ddof = 1); doubling
    # doubles the mean and the standard deviation, the shift by 1/2 (rounded
    # in float32, as the model computes it) moves the mean only.
    t = X_TEST[:, 0].astype("float64")
    r = (X_TEST[:, 0] + np.float32(0.5)).astype("float64")
    m, s = t.mean(), t.std(ddof=1)
    fid = report["fid"]
    assert fid["samples"] == pytest.approx(m**2 + s**2, rel=1e-9)
    assert fid["reconstructions"] == pytest.approx((r.mean() - m) ** 2, rel=1e-6)
    assert fid["reconstructions"] == pytest.approx(0.25, rel=1e-6)
    assert fid["self_fid"] == pytest.approx(
        (2 * m - r.mean()) ** 2 + (2 * s - r.std(ddof=1)) ** 2, rel=1e-6
    )
    assert fid["num_generated"] == 6
    assert report["knn"] == {
        "k": 1,
        "metric": "euclidean",
        "latent": "embed",
        "all_labels": 1.0,
        "labels_2": {"mean": 1.0, "std": 0.0, "num_draws": 3},
    }
    collapse = report["posterior_collapse"]
    assert collapse["statistic"] == "embedding"
    assert collapse["concentration"] == {
        "mean": pytest.approx(1.0 + t.mean(), rel=1e-6),
        "std": pytest.approx(t.std(), rel=1e-6),
    }
    assert sorted(collapse["concentration"]) == ["mean", "std"]


def test_sliced_wasserstein_alone():
    # In one dimension SW_2 is W_2: sorted samples 2t vs t differ by t, so
    # W_2 = sqrt(mean t^2); reconstructions are shifted by 1/2.
    report = evaluation.evaluate_model(
        _Shifted(X_TEST), X_TEST, metrics=("sliced_wasserstein",),
        num_projections=16,
    )  # fmt: skip
    t = X_TEST[:, 0].astype("float64")
    assert report["sliced_wasserstein"] == {
        "samples": pytest.approx(np.sqrt(np.mean(t**2)), rel=1e-6),
        "reconstructions": pytest.approx(0.5, rel=1e-6),
        "num_projections": 16,
        "p": 2,
        "space": "pixels",
    }
    assert sorted(report["sliced_wasserstein"]) == [
        "num_projections", "p", "reconstructions", "samples", "space",
    ]  # fmt: skip


def test_log_likelihood_entry_passes_its_arguments():
    # 12 examples in batches of 5 draw other z than one batch of 12, and 3
    # importance samples give another estimate than the default 500.
    model = make_tiny_model("beta")
    x = tiny_data(12)
    report = evaluation.evaluate_model(
        model, x, metrics=("log_likelihood",), num_importance_samples=3,
        batch_size=5, seed=2,
    )  # fmt: skip
    expected = evaluation.importance_sampled_log_likelihood(
        model, x, num_samples=3, batch_size=5, seed=2
    )
    assert report["log_likelihood"] == {
        "value": pytest.approx(expected, rel=1e-6),
        "num_importance_samples": 3,
    }
    assert sorted(report["log_likelihood"]) == ["num_importance_samples", "value"]
