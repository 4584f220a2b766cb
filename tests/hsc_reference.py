"""An independent float64 numpy transcription of the HSC-VAE penalty (001,
eqs. 4-5, appendix A.2): the O(n^2) masked tail sums, angles by `arccos`,
population moments over the batch. Shared by the ops and model tests."""

import numpy as np


def _ref_cosines(x):
    """cos(phi_k), k = 1..n-1, by the paper's masked form and arccos (float64)."""
    x = np.asarray(x, np.float64)
    n = x.shape[-1]
    mask = np.triu(np.ones((n, n)))  # row k keeps x_k .. x_n
    tails = np.sqrt(np.einsum("kj,bj->bk", mask, x**2))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(tails > 0, x / np.where(tails > 0, tails, 1.0), 1.0)
    return np.cos(np.arccos(np.clip(ratio, -1.0, 1.0)))[:, : n - 1]


def _ref_penalty(mu, sigma, targets, gains):
    """Eqs. (4)-(5) of 001, float64, in the paper's notation."""
    total = 0.0
    for x, i in ((sigma, "s"), (mu, "m")):
        cos = _ref_cosines(x)
        r = np.linalg.norm(np.asarray(x, np.float64), axis=-1)
        total += np.sum(gains[f"alpha_{i}k"] * (cos.mean(0) - targets[f"a_{i}k"]) ** 2)
        total += np.sum(gains[f"beta_{i}k"] * (cos.std(0) - targets[f"b_{i}k"]) ** 2)
        total += gains[f"alpha_{i}r"] * (r.mean() - targets[f"a_{i}r"]) ** 2
        total += gains[f"beta_{i}r"] * (r.std() - targets[f"b_{i}r"]) ** 2
    return float(total)
