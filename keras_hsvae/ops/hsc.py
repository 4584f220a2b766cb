"""HSC-VAE math: the KL-like regularizer in hyperspherical coordinates.

The encoder gives `mu` and `sigma` (B x n). Each row is converted to its
radius `r` and the cosines of its n-1 spherical angles (tail-sum convention,
`cos phi_k = x_k / sqrt(x_k^2 + ... + x_n^2)`, see `spherical.py`). With
`E_b` and `S_b` the mean and the standard deviation over the batch
(001, eqs. 4-5):

    L_ang = sum_k [ alpha_sk (E_b[cos phi_k^sigma] - a_sk)^2
                  + beta_sk  (S_b[cos phi_k^sigma] - b_sk)^2
                  + alpha_mk (E_b[cos phi_k^mu]    - a_mk)^2
                  + beta_mk  (S_b[cos phi_k^mu]    - b_mk)^2 ]
    L_rad = alpha_sr (E_b[r^sigma] - a_sr)^2 + beta_sr (S_b[r^sigma] - b_sr)^2
          + alpha_mr (E_b[r^mu]    - a_mr)^2 + beta_mr (S_b[r^mu]    - b_mr)^2

Targets and gains are dicts of float64 numpy arrays keyed with the paper's
names (`"a_sk"`, `"b_mr"`, `"alpha_mk"`, ...): shape `(n-1,)` for the angle
entries (`*_sk`, `*_mk`) and `()` for the radius entries (`*_sr`, `*_mr`).

Batch statistics and data parallelism: `E_b` and `S_b` must be statistics of
the global batch (SPEC section 2). Every statistic here is built from the
additive triple `(count, sum, sum_of_squares)` of `batch_moments`, so a
data-parallel caller passes `all_reduce` (a cross-replica *sum*, e.g.
`lambda t: jax.lax.psum(t, "batch")`) to `hsc_batch_statistics` /
`hsc_penalty`, and both passes below become global. `S_b` is the population
standard deviation (divide by B, not B - 1), as in the paper's rewriting
`E_b[X^2] = E_b[X]^2 + S_b[X]^2` (001, A.13).
"""

import math

import numpy as np
from keras import ops

from keras_hsvae.ops._dtypes import compute_dtype
from keras_hsvae.ops.gaussian import (  # noqa: F401 (moved)
    gaussian_kl_to_standard_normal,
    log_softplus,
)
from keras_hsvae.ops.spherical import spherical_cosines

PRIORS = ("compressed", "moderate", "uncompressed")
GAINS = ("all_ones", "constant")

# (statistic, target, gain): the eight terms of eqs. (4)-(5).
TERMS = (
    ("mean_cos_sigma", "a_sk", "alpha_sk"),
    ("std_cos_sigma", "b_sk", "beta_sk"),
    ("mean_cos_mu", "a_mk", "alpha_mk"),
    ("std_cos_mu", "b_mk", "beta_mk"),
    ("mean_r_sigma", "a_sr", "alpha_sr"),
    ("std_r_sigma", "b_sr", "beta_sr"),
    ("mean_r_mu", "a_mr", "alpha_mr"),
    ("std_r_mu", "b_mr", "beta_mr"),
)


def _check_n(n):
    if isinstance(n, bool) or int(n) != n or n < 2:
        raise ValueError(
            f"`n` (the latent size) must be an integer >= 2. Received: n={n}"
        )
    return int(n)


def all_ones_profile(n):
    """Cosines of the spherical angles of the all-ones vector of R^n.

    `cos phi_k = 1 / sqrt(n - k + 1)` for k = 1..n-1 (tail-sum convention):
    `1/sqrt(n)` for the first angle up to `1/sqrt(2)` for the last one. The
    paper writes this profile as `1/sqrt(k+1)`, counting k from the last
    angle (001, section 4.2; SPEC section 2).

    Args:
        n: int >= 2, the ambient latent size.

    Returns:
        float64 numpy array of shape `(n-1,)`.

    Example:

    >>> from keras_hsvae.ops.hsc import all_ones_profile
    >>> all_ones_profile(4).round(4).tolist()  # 1/sqrt(4), 1/sqrt(3), 1/sqrt(2)
    [0.5, 0.5774, 0.7071]
    """
    n = _check_n(n)
    return 1.0 / np.sqrt(np.arange(n, 1, -1, dtype=np.float64))


def prior_targets(prior, n):
    """The eight prior targets `a_*`, `b_*` of a named HSC-VAE prior.

    Targets of `mu` (from the paper, 001 sections 3.1 and A.7-A.8):

    - `a_mr = sqrt(n)`, `b_mr = 0`: every mean on the sphere of radius
      sqrt(n) (eq. 8), the typical radius of a draw from N(0, I_n).
    - `a_mk`: `"compressed"`: 1 for every k (all angles to 0, the "north
      pole" island; A.8, Fig. 15); `"moderate"`: the all-ones profile (means
      pushed toward the direction of (1, ..., 1); A.8, Fig. 14);
      `"uncompressed"` (the paper's "uncollapsed, uncompressed"): 0 (means on
      the equators, like a uniform law on the sphere; A.7, Fig. 13).
    - `b_mk` = the all-ones profile for all three priors. A.7 sets it to keep
      the spread of every angle away from zero (no posterior collapse); A.8
      "continues" from that setup and changes only `a_mk`, so the library
      keeps `b_mk` for the compressed and moderate priors too. With
      `a_mk = 1` the two targets cannot both be met (a cosine <= 1 with mean
      1 has no spread): the compromise keeps the island from shrinking to a
      point, the role the paper gives the reconstruction term.

    Targets of `sigma` (the paper does not give them; this library's choice):
    the posterior scale of the standard prior, `sigma = (1, ..., 1)`, for
    which the Cartesian KL(N(mu, sigma^2) || N(0, I)) is minimal in sigma and
    around which the paper expands it (A.13, eq. 14 with sigma^p = 1). In
    hyperspherical coordinates that vector has radius sqrt(n) and the
    all-ones cosine profile, the same for every example, hence:
    `a_sr = sqrt(n)`, `b_sr = 0`, `a_sk` = all-ones profile, `b_sk = 0`.

    Args:
        prior: one of `"compressed"`, `"moderate"`, `"uncompressed"`.
        n: int >= 2, the ambient latent size.

    Returns:
        dict of float64 numpy arrays: `"a_sk"`, `"b_sk"`, `"a_mk"`, `"b_mk"`
        of shape `(n-1,)`; `"a_sr"`, `"b_sr"`, `"a_mr"`, `"b_mr"` of shape `()`.

    Example:

    >>> from keras_hsvae.ops.hsc import prior_targets
    >>> t = prior_targets("compressed", 4)
    >>> t["a_mk"].tolist(), float(t["a_mr"])
    ([1.0, 1.0, 1.0], 2.0)
    """
    prior = check_prior(prior)
    n = _check_n(n)
    profile = all_ones_profile(n)
    zeros = np.zeros(n - 1)
    a_mk = {
        "compressed": np.ones(n - 1),
        "moderate": profile,
        "uncompressed": zeros,
    }[prior]
    radius = np.asarray(math.sqrt(n), dtype=np.float64)
    return {
        "a_sk": profile.copy(),
        "b_sk": zeros.copy(),
        "a_mk": a_mk.copy(),
        "b_mk": profile.copy(),
        "a_sr": radius.copy(),
        "b_sr": np.asarray(0.0),
        "a_mr": radius.copy(),
        "b_mr": np.asarray(0.0),
    }


def check_prior(prior):
    """Return `prior` if it names an HSC-VAE prior, else raise `ValueError`."""
    if not isinstance(prior, str) or prior not in PRIORS:
        raise ValueError(f"`prior` must be one of {PRIORS}. Received: prior={prior!r}")
    return prior


def check_gains(gains):
    """Validate a gains argument: a name of `GAINS` or a 1-D array-like.

    Returns the name, or the gains as a list of Python floats (the form kept
    in layer configs). The length is checked later, against `n`, by
    `hsc_gains`.
    """
    if isinstance(gains, str):
        if gains not in GAINS:
            raise ValueError(
                f"`gains` must be one of {GAINS} or an array-like of n-1 "
                f"non-negative floats. Received: gains={gains!r}"
            )
        return gains
    try:
        values = np.asarray(gains, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"`gains` must be one of {GAINS} or an array-like of n-1 "
            f"non-negative floats. Received: gains={gains!r}"
        ) from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            "Array-like `gains` must be 1-D and non-empty (one gain per angle, "
            f"n-1 entries). Received: gains with shape {values.shape}"
        )
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(
            f"`gains` must be finite and >= 0. Received: gains={values.tolist()}"
        )
    return values.tolist()


def hsc_gains(gains, n):
    """The eight gains `alpha_*`, `beta_*` of the HSC-VAE penalty.

    - `"all_ones"` (default of the layer): every angle term (`alpha_sk`,
      `beta_sk`, `alpha_mk`, `beta_mk`) weighted by the all-ones profile
      `1/sqrt(n-k+1)` (the paper's `1/sqrt(k+1)`, 001 section 4.2).
    - `"constant"`: every gain 1.
    - array-like of length n-1: the angle gains, shared by the four angle
      terms.

    The four radius gains (`alpha_sr`, `beta_sr`, `alpha_mr`, `beta_mr`) are 1
    in every case: the paper gives no profile for the radius.

    Args:
        gains: `"all_ones"`, `"constant"` or an array-like of n-1 floats >= 0.
        n: int >= 2, the ambient latent size.

    Returns:
        dict of float64 numpy arrays, shapes as in `prior_targets`.

    Example:

    >>> from keras_hsvae.ops.hsc import hsc_gains
    >>> hsc_gains("all_ones", 3)["alpha_mk"].round(4).tolist()
    [0.5774, 0.7071]
    """
    gains = check_gains(gains)
    n = _check_n(n)
    if gains == "all_ones":
        angle = all_ones_profile(n)
    elif gains == "constant":
        angle = np.ones(n - 1)
    else:
        angle = np.asarray(gains, dtype=np.float64)
        if angle.shape != (n - 1,):
            raise ValueError(
                f"Array-like `gains` must have n-1 = {n - 1} entries (one per "
                f"angle) for a latent of size n = {n}. Received: gains with "
                f"{angle.size} entries"
            )
    one = np.asarray(1.0)
    return {
        "alpha_sk": angle.copy(),
        "beta_sk": angle.copy(),
        "alpha_mk": angle.copy(),
        "beta_mk": angle.copy(),
        "alpha_sr": one.copy(),
        "beta_sr": one.copy(),
        "alpha_mr": one.copy(),
        "beta_mr": one.copy(),
    }


def batch_moments(x, axis=0, shift=None):
    """Additive batch moments `(count, sum(x - c), sum((x - c)^2))`.

    The three values are sums over `axis`, so moments of several shards of a
    batch (replicas under data parallelism) combine by adding them, provided
    every shard uses the same shift `c`. The shift is a constant (no
    gradient flows through it) that only conditions the arithmetic:
    `moments_to_mean_std` is exact for any `c` in exact arithmetic, and its
    rounding error shrinks as `c` approaches the batch mean.

    Args:
        x: float tensor.
        axis: int, the batch axis to reduce.
        shift: `None` (zero) or a tensor broadcastable against `x`, e.g. of
            the shape of `x` without `axis` when `axis=0`.

    Returns:
        `(count, s1, s2)`: `count` a scalar tensor of `x.dtype`, `s1` and `s2`
        of the shape of `x` without `axis`.

    Example:

    >>> from keras import ops
    >>> from keras_hsvae.ops.hsc import batch_moments
    >>> c, s1, s2 = batch_moments(ops.convert_to_tensor([[1.0], [3.0]]))
    >>> float(c), ops.convert_to_numpy(s1).tolist(), ops.convert_to_numpy(s2).tolist()
    (2.0, [4.0], [10.0])
    """
    x = ops.convert_to_tensor(x)
    count = ops.cast(ops.shape(x)[axis], x.dtype)
    if shift is not None:
        x = x - ops.stop_gradient(ops.cast(shift, x.dtype))
    return count, ops.sum(x, axis=axis), ops.sum(x * x, axis=axis)


def moments_to_mean_std(count, s1, s2, shift=None):
    """Mean and population standard deviation from `batch_moments` output.

    With `d = s1 / count` the mean offset from the shift `c`:

        mean = c + d
        var  = s2 / count - d^2          (population variance, divides by B)

    This is the corrected two-pass formula when `c` is the batch mean (then
    `d` is only rounding error and nothing cancels); with another shared
    shift it is the shifted-sums formula. Rounding can make `var` slightly
    negative: it is clipped to 0. At `var = 0` (all rows equal, e.g. a batch
    of one) the std is 0 and its gradient is set to 0, where the exact
    derivative of `sqrt` is infinite.

    Args:
        count, s1, s2: the output of `batch_moments` (after any all-reduce).
        shift: the shift passed to `batch_moments` (`None` for zero).

    Returns:
        `(mean, std)`, tensors of the shape of `s1`.
    """
    d = s1 / count
    mean = d if shift is None else ops.stop_gradient(ops.cast(shift, d.dtype)) + d
    var = s2 / count - d * d
    zeros = ops.zeros_like(var)
    # var <= 0 (rounding, or all rows equal): std 0. Near var = 0, sqrt'(var)
    # is infinite: the inner where keeps 0 * inf = NaN out of the gradient.
    # (No ops.maximum: it returns float32 for float64 inputs on torch.)
    positive = var > 0
    std = ops.where(positive, ops.sqrt(ops.where(positive, var, 1.0 + zeros)), zeros)
    # A NaN variance (NaN inputs) stays NaN: a std of 0 would look valid.
    std = ops.where(ops.isnan(var), var, std)
    return mean, std


def batch_mean_std(x, axis=0, all_reduce=None):
    """Batch mean and population std of `x` over `axis`, in two passes.

    Pass 1 computes the mean; pass 2 the moments shifted by that mean (the
    numerically sound two-pass variance). With `all_reduce` (a cross-replica
    sum) both passes reduce over the global batch.

    Args:
        x: float tensor.
        axis: int, the batch axis.
        all_reduce: `None` or a callable summing a tensor across replicas.

    Returns:
        `(mean, std)` with `axis` removed.

    Example:

    >>> from keras import ops
    >>> from keras_hsvae.ops.hsc import batch_mean_std
    >>> m, s = batch_mean_std(ops.convert_to_tensor([1.0, 2.0, 3.0, 4.0]))
    >>> round(float(m), 6), round(float(s), 6)  # population std sqrt(1.25)
    (2.5, 1.118034)
    """
    reduce = all_reduce if all_reduce is not None else (lambda t: t)
    count, s1, _ = batch_moments(x, axis=axis)
    count = reduce(count)
    shift = ops.stop_gradient(reduce(s1) / count)
    count, s1, s2 = batch_moments(x, axis=axis, shift=shift)
    return moments_to_mean_std(reduce(count), reduce(s1), reduce(s2), shift=shift)


def _stat_dtype(dtype):
    # Half-precision sums of B squares lose the variance: use float32 at least.
    return compute_dtype(dtype)


def _radius_and_cosines(x):
    radius, cosines = spherical_cosines(x)
    if len(radius.shape) == len(x.shape):
        radius = ops.squeeze(radius, axis=-1)
    return radius, cosines


def hsc_batch_statistics(mu, sigma, all_reduce=None):
    """Batch means and stds of the radii and angle cosines of `mu`, `sigma`.

    Args:
        mu: float tensor (B, n), the posterior means.
        sigma: float tensor (B, n), the posterior scales (> 0).
        all_reduce: `None` or a callable summing a tensor across replicas
            (makes the statistics global; see the module docstring).

    Returns:
        dict with `"mean_cos_mu"`, `"std_cos_mu"`, `"mean_cos_sigma"`,
        `"std_cos_sigma"` of shape `(n-1,)` and `"mean_r_mu"`, `"std_r_mu"`,
        `"mean_r_sigma"`, `"std_r_sigma"` of shape `()`.

    Example:

    >>> from keras import ops
    >>> from keras_hsvae.ops.hsc import hsc_batch_statistics
    >>> mu = ops.convert_to_tensor([[3.0, 4.0], [0.0, 5.0]])
    >>> s = hsc_batch_statistics(mu, ops.ones((2, 2)))
    >>> float(s["mean_r_mu"]), round(float(s["mean_cos_mu"][0]), 6)  # (0.6 + 0) / 2
    (5.0, 0.3)
    """
    mu = ops.convert_to_tensor(mu)
    sigma = ops.convert_to_tensor(sigma)
    if len(mu.shape) != 2 or len(sigma.shape) != 2:
        raise ValueError(
            "`mu` and `sigma` must be rank-2 (batch, n). Received: "
            f"mu.shape={tuple(mu.shape)}, sigma.shape={tuple(sigma.shape)}"
        )
    dtype = _stat_dtype(mu.dtype)
    mu = ops.cast(mu, dtype)
    sigma = ops.cast(sigma, dtype)
    r_mu, cos_mu = _radius_and_cosines(mu)
    r_sigma, cos_sigma = _radius_and_cosines(sigma)
    m = cos_mu.shape[-1]
    # One (B, 2(n-1) + 2) block: a single reduction (and all-reduce) per pass.
    block = ops.concatenate(
        [cos_mu, cos_sigma, r_mu[:, None], r_sigma[:, None]], axis=-1
    )
    mean, std = batch_mean_std(block, axis=0, all_reduce=all_reduce)
    return {
        "mean_cos_mu": mean[:m],
        "std_cos_mu": std[:m],
        "mean_cos_sigma": mean[m : 2 * m],
        "std_cos_sigma": std[m : 2 * m],
        "mean_r_mu": mean[2 * m],
        "std_r_mu": std[2 * m],
        "mean_r_sigma": mean[2 * m + 1],
        "std_r_sigma": std[2 * m + 1],
    }


def hsc_penalty(mu, sigma, targets, gains, all_reduce=None):
    """The HSC-VAE regularizer `L_ang + L_rad` of 001, eqs. (4)-(5).

    O(B n) time and memory (the cosines come from tail sums, not from the
    paper's n x n mask). Not multiplied by the overall gain beta.

    Args:
        mu: float tensor (B, n), the posterior means.
        sigma: float tensor (B, n), the posterior scales (> 0).
        targets: dict from `prior_targets` (or any dict with the same keys).
        gains: dict from `hsc_gains` (or any dict with the same keys).
        all_reduce: `None` or a cross-replica sum (see the module docstring).

    Returns:
        Scalar tensor (float32 at least).

    Example:

    >>> import math
    >>> from keras import ops
    >>> from keras_hsvae.ops.hsc import hsc_gains, hsc_penalty, prior_targets
    >>> n = 3  # mu = sigma = (1, 1, 1) for every example: all targets met
    >>> x = ops.ones((5, n))
    >>> t = dict(prior_targets("moderate", n), b_mk=0.0)
    >>> abs(float(hsc_penalty(x, x, t, hsc_gains("constant", n)))) < 1e-10
    True
    """
    terms = hsc_penalty_terms(mu, sigma, targets, gains, all_reduce=all_reduce)
    return terms["angular"] + terms["radial"]


def hsc_penalty_terms(mu, sigma, targets, gains, all_reduce=None):
    """`L_ang` and `L_rad` of 001, eqs. (4)-(5), separately.

    Same arguments as `hsc_penalty`, which returns their sum.

    Returns:
        dict with scalar tensors `"angular"` (the four cosine terms) and
        `"radial"` (the four radius terms).

    Example:

    >>> from keras import ops
    >>> from keras_hsvae.ops import hsc
    >>> x = ops.ones((5, 3)) * 2.0  # radii 2 sqrt(3); targets a_mr = a_sr = sqrt(3)
    >>> targets, gains = hsc.prior_targets("moderate", 3), hsc.hsc_gains("all_ones", 3)
    >>> t = hsc.hsc_penalty_terms(x, x, targets, gains)
    >>> round(float(t["radial"]), 6)  # 2 * (2 sqrt(3) - sqrt(3))^2
    6.0
    """
    stats = hsc_batch_statistics(mu, sigma, all_reduce=all_reduce)
    dtype = stats["mean_r_mu"].dtype
    totals = {"angular": ops.zeros((), dtype), "radial": ops.zeros((), dtype)}
    for stat, target, gain in TERMS:
        a = ops.convert_to_tensor(np.asarray(targets[target]), dtype)
        g = ops.convert_to_tensor(np.asarray(gains[gain]), dtype)
        key = "radial" if stat.endswith(("r_mu", "r_sigma")) else "angular"
        totals[key] = totals[key] + ops.sum(g * ops.square(stats[stat] - a))
    return totals


# The baseline of SPEC section 2 (last bullet): the beta-VAE's Gaussian KL.
