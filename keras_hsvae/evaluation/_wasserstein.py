"""Sliced Wasserstein distance between two point sets (SAE paper, 003)."""

import numpy as np

from keras_hsvae._validation import check_int
from keras_hsvae.evaluation._arrays import as_points


def _wasserstein_1d_pow(a, b, p):
    """`W_p^p` per column between the empirical laws of columns of `a`, `b`.

    Exact for uniform weights and any sizes: the quantile functions are step
    functions jumping at `i/n` and `j/m`, so the integral
    `int_0^1 |F_a^-1(t) - F_b^-1(t)|^p dt` is a finite sum over the merged
    breakpoints.
    """
    n, m = a.shape[0], b.shape[0]
    a = np.sort(a, axis=0)
    b = np.sort(b, axis=0)
    breaks = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    widths = np.diff(breaks, prepend=0.0)
    mids = breaks - 0.5 * widths
    # Quantile index of each interval; the clip guards t*n rounding to n.
    ia = np.minimum(np.floor(mids * n).astype(np.int64), n - 1)
    ib = np.minimum(np.floor(mids * m).astype(np.int64), m - 1)
    return widths @ np.abs(a[ia] - b[ib]) ** p


def random_directions(dim, num_projections, seed=0):
    """`num_projections` directions uniform on S^{dim-1}, shape `(dim, P)`.

    Args:
        dim: ambient dimension >= 1.
        num_projections: number of directions >= 1.
        seed: int seed of `numpy.random.default_rng`.

    Returns:
        float64 array `(dim, num_projections)` with unit columns.

    Example:

    >>> import numpy as np
    >>> d = random_directions(3, 4, seed=0)
    >>> d.shape, bool(np.allclose(np.linalg.norm(d, axis=0), 1.0))
    ((3, 4), True)
    """
    dim = check_int("dim", dim, 1)
    num_projections = check_int("num_projections", num_projections, 1)
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((dim, num_projections))
    # A Gaussian vector is 0 with probability 0; the floor only avoids 0/0.
    norms = np.maximum(np.linalg.norm(directions, axis=0, keepdims=True), 1e-300)
    return directions / norms


def sliced_wasserstein_distance(x, y, num_projections=128, p=2, seed=0):
    """Sliced p-Wasserstein distance between two empirical distributions.

        SW_p(x, y) = ( mean_theta W_p^p(theta^T x, theta^T y) )^(1/p)

    over `num_projections` directions `theta` uniform on the sphere, drawn
    from `numpy.random.default_rng(seed)` (the same directions for the same
    seed and dimension, so distances from one seed are comparable). Each
    one-dimensional `W_p` is exact (quantile functions, any set sizes). In
    one dimension the only directions are +-1 and the result is exactly
    `W_p` (`scipy.stats.wasserstein_distance` for `p=1`). Images are
    flattened: this is the plain pixel-space SWD, not the Laplacian-pyramid
    patch SWD of Karras et al. (2018).

    Args:
        x: array `(n, ...)`: n points (flattened to vectors).
        y: array `(m, ...)` with the same point size.
        num_projections: number of random directions.
        p: order >= 1.
        seed: int seed of the directions.

    Returns:
        Python float >= 0.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(100, 1))
    >>> round(sliced_wasserstein_distance(x, x + 3.0), 12)
    3.0
    """
    x = as_points(
        np.reshape(x, (len(x), -1)) if np.ndim(x) > 2 else x, "x", allow_1d=True
    )
    y = as_points(
        np.reshape(y, (len(y), -1)) if np.ndim(y) > 2 else y, "y", allow_1d=True
    )
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            "`x` and `y` must have points of the same size. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}"
        )
    try:
        p_ok = float(p) >= 1
    except (TypeError, ValueError):
        p_ok = False
    if not p_ok:
        raise ValueError(f"`p` must be a number >= 1. Received: p={p!r}")
    directions = random_directions(x.shape[1], num_projections, seed)
    per_direction = _wasserstein_1d_pow(x @ directions, y @ directions, float(p))
    return float(np.mean(per_direction) ** (1.0 / float(p)))
