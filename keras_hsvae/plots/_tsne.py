"""A small exact t-SNE in numpy (van der Maaten and Hinton, 2008).

scikit-learn is not a dependency of the library, and its result would
change with its version and with whether it is installed; this O(N^2)
implementation is always used instead, seeded and deterministic. It is meant
for the latent plots (up to a few thousand points: the N x N matrices of
float64 take 8 N^2 bytes each, 32 MB at N = 2000).
"""

import math

import numpy as np

from keras_hsvae.plots._geometry import to_numpy

MAX_POINTS = 5000


def _squared_distances(x):
    """Pairwise squared Euclidean distances `(N, N)`, exactly 0 on the diagonal."""
    sq = np.sum(x * x, axis=1)
    d = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)
    # The expansion can round below 0 for (near-)duplicate points.
    d = np.maximum(d, 0.0)
    np.fill_diagonal(d, 0.0)
    return d


def _tsne_affinities(distances, perplexity, tol=1e-5, max_iter=100):
    """Conditional affinities `p_{j|i}` with perplexity `perplexity` per row.

    `p_{j|i} = exp(-beta_i d_ij) / sum_{k != i} exp(-beta_i d_ik)`, with the
    precision `beta_i` found by bisection (vectorized over the rows, in log
    space) so that the entropy `H_i = -sum_j p_{j|i} log p_{j|i}` equals
    `log(perplexity)` within `tol`.

    Returns:
        `(P, entropies)`: the row-stochastic `(N, N)` matrix (zero diagonal)
        and the attained entropies `(N,)`.
    """
    n = distances.shape[0]
    target = math.log(perplexity)
    # Distances relative to each row's nearest neighbour: exp(-beta (d - d_min))
    # neither underflows to all-zeros nor overflows (the shift cancels in p).
    off = distances + np.diag(np.full(n, np.inf))
    shifted = off - off.min(axis=1, keepdims=True)
    log_lo = np.full(n, -50.0)
    log_hi = np.full(n, 50.0)
    log_beta = np.zeros(n)
    for _ in range(max_iter):
        p, entropy = _row_probabilities(shifted, np.exp(log_beta))
        too_flat = entropy > target  # precision too small
        log_lo = np.where(too_flat, log_beta, log_lo)
        log_hi = np.where(too_flat, log_hi, log_beta)
        if np.all(np.abs(entropy - target) < tol):
            break
        log_beta = 0.5 * (log_lo + log_hi)
    return p, entropy


def _row_probabilities(shifted, beta):
    """Softmax rows of `-beta_i * shifted_ij` (diagonal excluded) and entropies."""
    logits = -beta[:, None] * shifted  # -inf on the diagonal
    w = np.exp(logits)
    total = w.sum(axis=1, keepdims=True)
    p = w / total
    # H = log(total) - sum p * logits; diagonal terms 0 * -inf excluded.
    finite = np.where(np.isfinite(logits), logits, 0.0)
    entropy = np.log(total[:, 0]) - np.sum(p * finite, axis=1)
    return p, entropy


def tsne(
    x,
    perplexity=30.0,
    n_iter=1000,
    learning_rate="auto",
    early_exaggeration=12.0,
    exaggeration_iter=250,
    init="pca",
    seed=0,
):
    """Embed `x` in 2D with exact t-SNE (numpy, seeded).

    The method of van der Maaten and Hinton (2008): symmetrized Gaussian
    affinities with a per-point bandwidth found by bisection on the
    perplexity; Student-t affinities in 2D; gradient descent on
    `KL(P || Q)` with momentum (0.5, then 0.8), per-parameter adaptive gains
    (+0.2 / *0.8, floored at 0.01) and early exaggeration of `P` for the
    first `exaggeration_iter` iterations. Initialization (as scikit-learn
    >= 1.2): the first two principal components scaled to a standard
    deviation of 1e-4 (`"pca"`: deterministic, keeps the global layout and
    separates far clusters from the start), or N(0, 1e-8 I) from
    `numpy.random.default_rng(seed)` (`"random"`).

    Args:
        x: array `(N, d)` with `N >= 3` (at most 5000: the cost is
            O(N^2) time and memory per iteration; subsample larger sets).
        perplexity: float in `[1, N - 1)`, the effective number of neighbours.
        n_iter: integer >= 1, gradient steps.
        learning_rate: positive float, or `"auto"` for
            `N / early_exaggeration / 4` (Belkina et al. 2019; it keeps
            `exaggeration * learning_rate / N` below 1, the stability bound
            of Linderman and Steinerberger 2019. scikit-learn floors it at
            50, which oscillates for the few hundred points plotted here).
        early_exaggeration: float >= 1, the factor on `P` early on.
        exaggeration_iter: integer >= 0, how many steps use it.
        init: `"pca"` or `"random"`.
        seed: integer seed of the random initialization.

    Returns:
        float64 array `(N, 2)`, centred at the origin.

    Reference:
        L. van der Maaten, G. Hinton. "Visualizing Data using t-SNE".
        JMLR 9 (2008).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import tsne
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, (10, 5)), rng.normal(20, 1, (10, 5))])
    >>> y = tsne(x, perplexity=5, n_iter=300, exaggeration_iter=100, seed=0)
    >>> y.shape
    (20, 2)
    >>> near = np.argsort(((y[:, None] - y[None]) ** 2).sum(-1), axis=1)[:, 1]
    >>> bool(np.all((near < 10) == (np.arange(20) < 10)))  # neighbours kept
    True
    """
    x = to_numpy(x, "x").astype("float64")
    if x.ndim != 2 or not 3 <= x.shape[0] <= MAX_POINTS:
        raise ValueError(
            f"`x` must have shape (N, d) with 3 <= N <= {MAX_POINTS}. "
            f"Received: x.shape={x.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("`x` must be finite. Received: x with nan or inf entries")
    n = x.shape[0]
    if not 1.0 <= perplexity < n - 1:
        raise ValueError(
            f"`perplexity` must be in [1, N - 1) = [1, {n - 1}). "
            f"Received: perplexity={perplexity!r}"
        )
    for name, value, minimum in (
        ("n_iter", n_iter, 1),
        ("exaggeration_iter", exaggeration_iter, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(
                f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}"
            )
    if not early_exaggeration >= 1.0:
        raise ValueError(
            "`early_exaggeration` must be >= 1. "
            f"Received: early_exaggeration={early_exaggeration!r}"
        )
    if init not in ("pca", "random"):
        raise ValueError(f"`init` must be 'pca' or 'random'. Received: init={init!r}")
    if learning_rate == "auto":
        learning_rate = n / early_exaggeration / 4.0
    elif isinstance(learning_rate, str) or not learning_rate > 0:
        raise ValueError(
            "`learning_rate` must be a positive float or 'auto'. "
            f"Received: learning_rate={learning_rate!r}"
        )

    conditional, _ = _tsne_affinities(_squared_distances(x), perplexity)
    p = (conditional + conditional.T) / (2.0 * n)
    # Floor as in the reference code: keeps log(p / q) finite.
    p = np.maximum(p, 1e-12)
    np.fill_diagonal(p, 0.0)

    if init == "pca":
        centred = x - x.mean(axis=0)
        u, s, _ = np.linalg.svd(centred, full_matrices=False)
        y = u[:, :2] * s[:2] if u.shape[1] >= 2 else np.pad(u * s, ((0, 0), (0, 1)))
        # The SVD's sign per component is arbitrary: fix it (largest |entry| > 0).
        y = y * np.where(y[np.abs(y).argmax(axis=0), [0, 1]] < 0, -1.0, 1.0)
        std = y[:, 0].std()
        y = 1e-4 * y / (std if std > 0 else 1.0)
    else:
        y = 1e-4 * np.random.default_rng(seed).standard_normal((n, 2))
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    for it in range(n_iter):
        exaggerate = it < exaggeration_iter
        momentum = 0.5 if exaggerate else 0.8
        p_eff = p * early_exaggeration if exaggerate else p
        num = 1.0 / (1.0 + _squared_distances(y))
        np.fill_diagonal(num, 0.0)
        q = np.maximum(num / num.sum(), 1e-12)
        # dC/dy_i = 4 sum_j (p_ij - q_ij) (1 + ||y_i - y_j||^2)^-1 (y_i - y_j)
        w = (p_eff - q) * num
        grad = 4.0 * (np.sum(w, axis=1, keepdims=True) * y - w @ y)
        same_sign = np.sign(grad) == np.sign(update)
        gains = np.maximum(np.where(same_sign, gains * 0.8, gains + 0.2), 0.01)
        update = momentum * update - learning_rate * gains * grad
        y = y + update
        y = y - y.mean(axis=0)
    return y
