"""Link-prediction metrics: AUC and AP against closed forms."""

import numpy as np
import pytest

from keras_hsvae.evaluation import evaluate_link_prediction, link_prediction_scores


def test_closed_form_case():
    # Ranking: 0.9 (+), 0.8 (+), 0.7 (-), 0.4 (+), 0.3 (-), 0.1 (-).
    # AUC = P(positive > negative) = (3 + 3 + 2) / 9;
    # AP = mean precision at each positive = (1/1 + 2/2 + 3/4) / 3.
    scores = link_prediction_scores([0.9, 0.8, 0.4], [0.7, 0.3, 0.1])
    assert scores["auc"] == pytest.approx(8 / 9, abs=1e-12)
    assert scores["ap"] == pytest.approx((1 + 1 + 0.75) / 3, abs=1e-12)
    perfect = link_prediction_scores([3.0, 2.0], [1.0, 0.0])
    assert perfect == {"auc": 1.0, "ap": 1.0}


def test_auc_is_the_mann_whitney_statistic():
    rng = np.random.default_rng(0)
    positive = np.round(rng.normal(0.5, 1, 40), 1)  # rounded: ties count 1/2
    negative = np.round(rng.normal(0.0, 1, 50), 1)
    diff = positive[:, None] - negative[None, :]
    expected = np.mean((diff > 0) + 0.5 * (diff == 0))
    assert link_prediction_scores(positive, negative)["auc"] == pytest.approx(
        expected, abs=1e-12
    )


def test_evaluate_link_prediction_uses_score_edges():
    class Scores:
        def score_edges(self, inputs, edges):
            return np.asarray(edges, np.float64).sum(axis=1) * inputs

    edges, non_edges = np.array([[4, 5], [6, 7]]), np.array([[0, 1], [0, 2]])
    assert evaluate_link_prediction(Scores(), 1.0, edges, non_edges) == {
        "auc": 1.0,
        "ap": 1.0,
    }
    with pytest.raises(ValueError, match="at least one"):
        link_prediction_scores([], [0.5])
    with pytest.raises(ValueError, match="finite"):
        link_prediction_scores([np.nan], [0.5])
