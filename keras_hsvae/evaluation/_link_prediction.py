"""Link prediction: ROC AUC and average precision on held-out links."""

import numpy as np

from keras_hsvae._optional import import_optional


def link_prediction_scores(positive_scores, negative_scores):
    """ROC AUC and average precision of link scores (scikit-learn's metrics).

    Args:
        positive_scores: scores of the held-out links, shape `(P,)`.
        negative_scores: scores of as many (or any number of) non-links.

    Returns:
        `{"auc": float, "ap": float}`, in [0, 1].

    Example:

    >>> scores = link_prediction_scores([0.9, 0.8, 0.4], [0.7, 0.3, 0.1])
    >>> round(scores["auc"], 4), round(scores["ap"], 4)
    (0.8889, 0.9167)
    """
    metrics = import_optional("sklearn.metrics", "keras_hsvae.evaluation link scores")
    positive = np.asarray(positive_scores, np.float64).reshape(-1)
    negative = np.asarray(negative_scores, np.float64).reshape(-1)
    if positive.size == 0 or negative.size == 0:
        raise ValueError(
            "Link scores need at least one link and one non-link. Received: "
            f"{positive.size} positive and {negative.size} negative scores"
        )
    if not (np.all(np.isfinite(positive)) and np.all(np.isfinite(negative))):
        raise ValueError("Link scores must be finite; received NaN or inf.")
    labels = np.concatenate([np.ones_like(positive), np.zeros_like(negative)])
    scores = np.concatenate([positive, negative])
    return {
        "auc": float(metrics.roc_auc_score(labels, scores)),
        "ap": float(metrics.average_precision_score(labels, scores)),
    }


def evaluate_link_prediction(model, inputs, edges, non_edges):
    """AUC and AP of a graph auto-encoder's link probabilities.

    Scores are `sigmoid(z_i . z_j)` of the posterior modes (Kipf & Welling
    score the posterior means the same way).

    Args:
        model: a `keras_hsvae.models.GraphVAE` (anything with
            `score_edges(inputs, edges)`).
        inputs: the model inputs of the (training) graph, `graph_inputs`.
        edges: held-out links `(P, 2)`.
        non_edges: non-links `(Q, 2)`.

    Returns:
        `{"auc": float, "ap": float}`.
    """
    from keras import ops

    positive = ops.convert_to_numpy(model.score_edges(inputs, edges))
    negative = ops.convert_to_numpy(model.score_edges(inputs, non_edges))
    return link_prediction_scores(positive, negative)
