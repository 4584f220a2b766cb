"""Frechet distance between Gaussian fits of feature sets (FID, self-FID)."""

import numpy as np

from keras_hsvae.evaluation._arrays import as_points


def feature_statistics(features):
    """Mean and covariance (unbiased, `ddof=1`) of a feature set, in float64.

    Args:
        features: array `(num_samples, num_features)`, `num_samples >= 2`.

    Returns:
        `(mean, covariance)`: float64 arrays `(f,)` and `(f, f)`.

    Example:

    >>> import numpy as np
    >>> mean, cov = feature_statistics(np.array([[0.0, 1.0], [2.0, 3.0]]))
    >>> mean.tolist(), cov.tolist()
    ([1.0, 2.0], [[2.0, 2.0], [2.0, 2.0]])
    """
    features = as_points(features, "features", min_points=2)
    return features.mean(axis=0), np.cov(features, rowvar=False, ddof=1).reshape(
        features.shape[1], features.shape[1]
    )


def _psd_sqrt(matrix):
    """Symmetric square root of a symmetric PSD matrix by eigendecomposition."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    # Round-off makes tiny eigenvalues of a PSD matrix slightly negative: clip to 0.
    root = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * root) @ eigenvectors.T


def frechet_distance(mu1, cov1, mu2, cov2):
    """Frechet (2-Wasserstein squared) distance of two Gaussians.

        d^2 = ||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2)

    The trace term equals `tr((C1 C2)^1/2)` of the usual FID formula, but the
    matrix `C1^1/2 C2 C1^1/2` is symmetric PSD, so both square roots come from
    `numpy.linalg.eigh` (stable, real) instead of `scipy.linalg.sqrtm` of the
    non-symmetric product, which can return complex parts and fail on
    singular covariances (fewer samples than features). Computed in float64.

    Args:
        mu1, mu2: mean vectors `(f,)`.
        cov1, cov2: symmetric PSD covariance matrices `(f, f)`.

    Returns:
        Python float >= 0.

    Example:

    >>> frechet_distance([0.0], [[1.0]], [3.0], [[4.0]])  # (0-3)^2 + (1-2)^2
    10.0
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    cov1 = np.atleast_2d(np.asarray(cov1, dtype=np.float64))
    cov2 = np.atleast_2d(np.asarray(cov2, dtype=np.float64))
    f = mu1.shape[0]
    for name, value, shape in (
        ("mu1", mu1, (f,)),
        ("mu2", mu2, (f,)),
        ("cov1", cov1, (f, f)),
        ("cov2", cov2, (f, f)),
    ):
        if value.shape != shape:
            raise ValueError(
                f"`{name}` must have shape {shape} (from mu1). "
                f"Received: {name}.shape={value.shape}"
            )
        if not np.all(np.isfinite(value)):
            raise ValueError(f"`{name}` must be finite. Received: {name}={value}")
    # Symmetrize: sample covariances are symmetric only up to round-off.
    cov1 = 0.5 * (cov1 + cov1.T)
    cov2 = 0.5 * (cov2 + cov2.T)
    root1 = _psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    eigenvalues = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    # Same round-off clip as in `_psd_sqrt`: the product is PSD in exact math.
    trace_sqrt = np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
    diff = mu1 - mu2
    distance = diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt
    # Cancellation can leave -1e-12 for identical Gaussians: the distance is >= 0.
    return float(max(distance, 0.0))


def frechet_distance_from_features(features1, features2):
    """`frechet_distance` of the Gaussian fits of two feature sets.

    Args:
        features1, features2: arrays `(n1, f)` and `(n2, f)`, `n >= 2`.

    Returns:
        Python float >= 0 (the FID when the features are Inception pool3
        features).

    Example:

    >>> import numpy as np
    >>> a = np.random.default_rng(0).normal(size=(500, 3))
    >>> round(frechet_distance_from_features(a, a), 10)
    0.0
    """
    features1 = as_points(features1, "features1", min_points=2)
    features2 = as_points(features2, "features2", min_points=2)
    if features1.shape[1] != features2.shape[1]:
        raise ValueError(
            "Both feature sets must have the same number of features. Received: "
            f"features1.shape={features1.shape}, features2.shape={features2.shape}"
        )
    return frechet_distance(
        *feature_statistics(features1), *feature_statistics(features2)
    )
