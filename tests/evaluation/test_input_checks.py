"""The evaluation metrics' argument checks: what they accept, and their messages."""

import re
import sys

import numpy as np
import pytest

from keras_hsvae import evaluation


def _raises(message):
    """`pytest.raises(ValueError)` matching `message` word for word."""
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


def test_point_sets_need_two_dimensions_and_enough_rows():
    # A 1-D array is not a set of points where 2-D is required.
    with _raises(
        "`train_z` must be a 2-D array (num_points >= 1, dim). "
        "Received: train_z.shape=(3,)"
    ):
        evaluation.knn_accuracy(np.zeros(3), [0, 1, 2], [[0.0]], [0])
    # Two dimensions but too few rows: a covariance needs two points.
    with _raises(
        "`features` must be a 2-D array (num_points >= 2, dim). "
        "Received: features.shape=(1, 3)"
    ):
        evaluation.feature_statistics(np.zeros((1, 3)))
    # Where 1-D is accepted (points of dimension 1), the message says so.
    with _raises(
        "`x` must be an array (num_points >= 1, dim) or (num_points,). "
        "Received: x.shape=(0, 1)"
    ):
        evaluation.sliced_wasserstein_distance(np.zeros(0), np.zeros(3))


def test_feature_statistics_of_the_fewest_points():
    # Two points are enough: mean (1, 2), covariance (ddof=1) all 2's by hand.
    mean, cov = evaluation.feature_statistics([[0.0, 1.0], [2.0, 3.0]])
    assert mean.tolist() == [1.0, 2.0]
    assert cov.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_likelihood_counts_are_named_in_their_errors():
    model, x = object(), np.zeros((2, 3))  # the checks come before any model call
    for name in ("num_samples", "batch_size", "max_points"):
        with _raises(f"`{name}` must be an integer >= 1. Received: {name}=0"):
            evaluation.importance_sampled_log_likelihood(model, x, **{name: 0})
    with _raises("`batch_size` must be an integer >= 1. Received: batch_size=0"):
        evaluation.reconstruction_mse(model, x, batch_size=0)


def test_random_directions_counts():
    assert evaluation.random_directions(3, 4, seed=0).shape == (3, 4)
    with _raises("`dim` must be an integer >= 1. Received: dim=0"):
        evaluation.random_directions(0, 4)
    with _raises(
        "`num_projections` must be an integer >= 1. Received: num_projections=0"
    ):
        evaluation.random_directions(3, 0)


def test_labeled_subset_names_the_short_classes():
    # Four labels over two classes: two of each, but class 1 has one example.
    labels = np.array([0, 0, 0, 0, 0, 1])
    with _raises(
        "Not enough examples of classes [1] for num_labels=4 (class counts [1])."
    ):
        evaluation.sample_labeled_subset(labels, 4, seed=0)


def test_link_scores_without_scikit_learn(monkeypatch):
    # An absent scikit-learn fails with the one line naming the extra.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.metrics", None)
    message = (
        "keras_hsvae.evaluation link scores needs scikit-learn: "
        'pip install "keras-hsvae[plots]"'
    )
    with pytest.raises(ImportError, match=f"^{re.escape(message)}$"):
        evaluation.link_prediction_scores([1.0], [0.0])
