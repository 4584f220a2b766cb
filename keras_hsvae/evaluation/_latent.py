"""Metrics of latent codes: k-NN accuracy, replica angle, posterior collapse.

Pure numpy (float64) on arrays the caller has already computed, e.g.
`model.embed(x)` or the posterior means.
"""

import numpy as np

from keras_hsvae._validation import is_integer
from keras_hsvae.evaluation._arrays import as_points

_METRICS = ("euclidean", "cosine")


def _as_labels(y, n, name):
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(
            f"`{name}` must have shape ({n},), one label per point. "
            f"Received: {name}.shape={y.shape}"
        )
    return y


def _normalize(z):
    norms = np.linalg.norm(z, axis=-1, keepdims=True)
    # A zero vector has no direction: leave it at 0 instead of dividing by 0.
    return z / np.where(norms > 0, norms, 1.0)


def sample_labeled_subset(labels, num_labels, seed=0):
    """Indices of a class-balanced labeled subset (semi-supervised protocol).

    `num_labels // C` examples of each of the C classes, the remainder going
    to randomly chosen classes, drawn without replacement by
    `numpy.random.default_rng(seed)` (the M1 protocol of Kingma et al. 2014
    used by the S-VAE paper, Table 2: 100 labels = 10 per MNIST digit).

    Args:
        labels: array `(N,)` of class labels.
        num_labels: total size of the subset, >= the number of classes.
        seed: int seed.

    Returns:
        Sorted int64 array of `num_labels` indices into `labels`.

    Example:

    >>> import numpy as np
    >>> idx = sample_labeled_subset(np.repeat([0, 1], 50), 10, seed=0)
    >>> np.bincount(np.repeat([0, 1], 50)[idx]).tolist()
    [5, 5]
    """
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    if (
        isinstance(num_labels, bool)
        or not isinstance(num_labels, int | np.integer)
        or num_labels < len(classes)
    ):
        raise ValueError(
            f"`num_labels` must be an integer >= the number of classes "
            f"({len(classes)}). Received: num_labels={num_labels!r}"
        )
    rng = np.random.default_rng(seed)
    per_class = np.full(len(classes), num_labels // len(classes))
    extra = rng.choice(len(classes), num_labels % len(classes), replace=False)
    per_class[extra] += 1
    short = per_class > counts
    if np.any(short):
        raise ValueError(
            f"Not enough examples of classes {classes[short].tolist()} for "
            f"num_labels={num_labels} (class counts {counts[short].tolist()})."
        )
    chosen = [
        rng.choice(np.flatnonzero(labels == c), size, replace=False)
        for c, size in zip(classes, per_class)
    ]
    return np.sort(np.concatenate(chosen))


def knn_predict(train_z, train_y, test_z, k=5, metric="euclidean", batch_size=1024):
    """Labels predicted by a k-nearest-neighbour vote.

    Distances are Euclidean, or for `metric="cosine"` Euclidean between the
    normalized vectors (the same ranking as cosine similarity; for latents on
    a sphere both metrics agree). The majority class among the k nearest
    training points wins; a tied vote goes to the tied class with the
    nearest neighbour. Exact equal distances are ordered by training index.

    Args:
        train_z: array `(N, d)` of labeled latents.
        train_y: array `(N,)` of their labels.
        test_z: array `(M, d)` of latents to classify.
        k: number of neighbours, `1 <= k <= N`.
        metric: `"euclidean"` or `"cosine"`.
        batch_size: test points per distance block (memory `batch_size * N`).

    Returns:
        Array `(M,)` of predicted labels (the dtype of `train_y`).

    Example:

    >>> import numpy as np
    >>> knn_predict([[0.0], [1.0], [10.0]], [0, 0, 1], [[0.4], [9.0]], k=1)
    array([0, 1])
    """
    train_z = as_points(train_z, "train_z")
    test_z = as_points(test_z, "test_z")
    train_y = _as_labels(train_y, train_z.shape[0], "train_y")
    if test_z.shape[1] != train_z.shape[1]:
        raise ValueError(
            "`train_z` and `test_z` must have the same dimension. Received: "
            f"train_z.shape={train_z.shape}, test_z.shape={test_z.shape}"
        )
    if not is_integer(k) or not 1 <= k <= len(train_z):
        raise ValueError(
            f"`k` must be an integer in [1, {len(train_z)}] (the number of "
            f"labeled points). Received: k={k!r}"
        )
    if metric not in _METRICS:
        raise ValueError(f"`metric` must be one of {_METRICS}. Received: {metric!r}")
    if metric == "cosine":
        train_z, test_z = _normalize(train_z), _normalize(test_z)
    classes, train_idx = np.unique(train_y, return_inverse=True)
    train_sq = np.sum(train_z**2, axis=-1)
    predictions = []
    for start in range(0, len(test_z), batch_size):
        block = test_z[start : start + batch_size]
        # ||a - b||^2 expanded: loses precision only for near-duplicate points,
        # where the order between ties does not change the vote materially.
        dist = np.sum(block**2, axis=-1)[:, None] - 2.0 * block @ train_z.T + train_sq
        if k < len(train_z):
            nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
        else:
            nearest = np.broadcast_to(np.arange(len(train_z)), dist.shape)
        rows = np.arange(len(block))[:, None]
        # Sort the k neighbours by distance, then by index (lexsort: last key first).
        order = np.lexsort((nearest, dist[rows, nearest]), axis=1)
        nearest = nearest[rows, order]
        votes = train_idx[nearest]  # (b, k) class indices, nearest first
        counts = np.zeros((len(block), len(classes)), np.int64)
        np.add.at(counts, (np.repeat(rows, k, axis=1), votes), 1)
        tied = counts == counts.max(axis=1, keepdims=True)
        first_tied = np.argmax(tied[rows, votes], axis=1)
        predictions.append(classes[votes[np.arange(len(block)), first_tied]])
    return np.concatenate(predictions)


def knn_accuracy(
    train_z,
    train_y,
    test_z,
    test_y,
    k=5,
    num_labels=None,
    metric="euclidean",
    seed=0,
):
    """Accuracy of a k-NN classifier on latent codes.

    With `num_labels=None` every training point is labeled (the HSC-VAE
    protocol: 0.95 for a beta-VAE vs 0.88 compressed on MNIST, n = 128).
    With `num_labels=100 | 600 | 1000` only a class-balanced random subset
    (`sample_labeled_subset(train_y, num_labels, seed)`) is labeled, as in
    the semi-supervised k-NN of the S-VAE paper (Table 2, which reports mean
    and std over 20 draws: call with seeds 0..19).

    Args:
        train_z, train_y: training latents `(N, d)` and labels `(N,)`.
        test_z, test_y: test latents `(M, d)` and labels `(M,)`.
        k: number of neighbours, at most the number of labeled points.
        num_labels: None (all) or the size of the labeled subset.
        metric: `"euclidean"` or `"cosine"` (see `knn_predict`).
        seed: seed of the labeled subset.

    Returns:
        Python float in [0, 1].

    Example:

    >>> import numpy as np
    >>> z = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> knn_accuracy(z, [0, 0, 1, 1], [[0.2], [4.0]], [0, 1], k=1)
    1.0
    """
    train_z = as_points(train_z, "train_z")
    train_y = _as_labels(train_y, train_z.shape[0], "train_y")
    test_z = as_points(test_z, "test_z")
    test_y = _as_labels(test_y, test_z.shape[0], "test_y")
    if num_labels is not None:
        subset = sample_labeled_subset(train_y, num_labels, seed)
        train_z, train_y = train_z[subset], train_y[subset]
    predicted = knn_predict(train_z, train_y, test_z, k=k, metric=metric)
    return float(np.mean(predicted == test_y))


def replica_angles(z):
    """Angle (radians) between each latent and the mean latent of the set.

    The "replica angle" of the HSC-VAE paper (001, Figs. 8-9): near pi/2 the
    codes spread over the equator of the sphere around their mean direction
    (no island); well below pi/2 they form a compressed island. A zero mean
    (or a zero latent) has no direction: its angle is reported as pi/2.

    Args:
        z: array `(N, d)` of latents.

    Returns:
        float64 array `(N,)` in [0, pi].

    Example:

    >>> import numpy as np
    >>> replica_angles([[1.0, 1.0], [1.0, -1.0]]).round(4).tolist()  # +-pi/4
    [0.7854, 0.7854]
    """
    z = as_points(z, "z")
    mean = _normalize(z.mean(axis=0))
    cos = _normalize(z) @ mean
    # Round-off can push |cos| just above 1, outside arccos' domain.
    return np.arccos(np.clip(cos, -1.0, 1.0))


def replica_angle(z):
    """Mean and standard deviation of `replica_angles(z)` (radians).

    Args:
        z: array `(N, d)` of latents.

    Returns:
        dict of Python floats `{"mean": ..., "std": ...}`.

    Example:

    >>> replica_angle([[1.0, 1.0], [1.0, -1.0]])["std"]
    0.0
    """
    angles = replica_angles(z)
    return {"mean": float(np.mean(angles)), "std": float(np.std(angles))}


def posterior_collapse(means, threshold=0.01):
    """Per-dimension spread of posterior means and the active units.

    A latent dimension u is *active* when `Cov_x(E_q[z_u | x]) > threshold`
    (Burda et al. 2016, threshold 0.01): the encoder's mean moves with the
    input. Inactive dimensions have collapsed onto the prior.

    Args:
        means: array `(N, d)` of posterior means `E_q[z | x]` over a dataset.
        threshold: variance threshold.

    Returns:
        dict: `"per_dim_std"` (list of d floats), `"active_units"` (int),
        `"num_dims"`, `"fraction_collapsed"` (inactive / d), `"threshold"`.

    Example:

    >>> import numpy as np
    >>> means = np.stack([np.linspace(-1, 1, 50), np.full(50, 0.3)], axis=1)
    >>> report = posterior_collapse(means)
    >>> report["active_units"], report["fraction_collapsed"]
    (1, 0.5)
    """
    means = as_points(means, "means")
    try:
        ok = float(threshold) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"`threshold` must be a float >= 0. Received: threshold={threshold!r}"
        )
    variance = np.var(means, axis=0)
    active = int(np.sum(variance > threshold))
    return {
        "per_dim_std": np.sqrt(variance).tolist(),
        "active_units": active,
        "num_dims": int(means.shape[1]),
        "fraction_collapsed": 1.0 - active / means.shape[1],
        "threshold": float(threshold),
    }
