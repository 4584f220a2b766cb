"""t-SNE for the latent plots: scikit-learn's Barnes-Hut `TSNE`, seeded.

The method is `sklearn.manifold.TSNE` (the `plots` extra): Barnes-Hut,
O(N log N), so any number of points. This module only keeps the signature
the plots were written against (with deprecated aliases of the exact numpy
implementation it replaced) and returns a centred float64 array.
"""

import warnings

from keras_hsvae._optional import import_optional
from keras_hsvae.plots._geometry import as_latents


def _max_iter_from(n_iter, max_iter, caller):
    """`max_iter`, or the deprecated `n_iter` with a warning naming it."""
    if n_iter is None:
        return max_iter
    warnings.warn(
        f"`{caller}(n_iter=...)` is deprecated: use `max_iter` (scikit-learn's "
        "name; it is a maximum, the descent stops earlier when it stalls). "
        f"Received: n_iter={n_iter!r}",
        DeprecationWarning,
        stacklevel=3,
    )
    return n_iter


def tsne(
    x,
    perplexity=30.0,
    max_iter=1000,
    learning_rate="auto",
    early_exaggeration=12.0,
    exaggeration_iter=None,
    init="pca",
    seed=0,
    *,
    n_iter=None,
):
    """Embed `x` in 2D with t-SNE (`sklearn.manifold.TSNE`, Barnes-Hut).

    Args:
        x: array or tensor `(N, d)`.
        perplexity: float in `(0, N)`, the effective number of neighbours.
        max_iter: integer >= 250, the most gradient steps (the first 250
            use early exaggeration).
        learning_rate: positive float, or `"auto"` for
            `max(N / early_exaggeration / 4, 50)`.
        early_exaggeration: float >= 1, the factor on the affinities during
            the first 250 steps.
        exaggeration_iter: deprecated, has no effect (scikit-learn always
            exaggerates the first 250 steps).
        init: `"pca"` (deterministic, keeps the global layout) or
            `"random"`.
        seed: integer seed (`random_state`) of the initialization and the
            neighbour search.
        n_iter: deprecated alias of `max_iter`.

    Returns:
        float64 array `(N, 2)`, centred at the origin.

    Raises:
        ImportError: scikit-learn is not installed (the `plots` extra).
        ValueError: a bad argument (scikit-learn's parameter checks).

    Reference:
        L. van der Maaten, G. Hinton. "Visualizing Data using t-SNE".
        JMLR 9 (2008). L. van der Maaten. "Accelerating t-SNE using
        Tree-Based Algorithms". JMLR 15 (2014).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import tsne
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, (10, 5)), rng.normal(20, 1, (10, 5))])
    >>> y = tsne(x, perplexity=5, max_iter=300, seed=0)
    >>> y.shape
    (20, 2)
    >>> near = np.argsort(((y[:, None] - y[None]) ** 2).sum(-1), axis=1)[:, 1]
    >>> bool(np.all((near < 10) == (np.arange(20) < 10)))  # neighbours kept
    True
    """
    max_iter = _max_iter_from(n_iter, max_iter, "tsne")
    if exaggeration_iter is not None:
        warnings.warn(
            "`tsne(exaggeration_iter=...)` is deprecated and has no effect: "
            "scikit-learn's TSNE exaggerates the first 250 iterations. "
            f"Received: exaggeration_iter={exaggeration_iter!r}",
            DeprecationWarning,
            stacklevel=2,
        )
    manifold = import_optional("sklearn.manifold", "keras_hsvae.plots.tsne")
    x = as_latents(x, "x")
    y = manifold.TSNE(
        n_components=2,
        perplexity=perplexity,
        max_iter=max_iter,
        learning_rate=learning_rate,
        early_exaggeration=early_exaggeration,
        init=init,
        random_state=seed,
    ).fit_transform(x)
    y = y.astype("float64")
    return y - y.mean(axis=0)
