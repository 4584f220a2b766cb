"""von Mises-Fisher math: normalizer, KL to uniform, entropy, Wood's sampler.

Notation: `dim = m` is the ambient size (samples are unit vectors in R^m, on
the sphere S^{m-1}), `v = m/2 - 1` is the Bessel order, `kappa >= 0`.
All formulas are written through the normalized Bessel function
`L_v(kappa) = log[Gamma(v+1) (2/kappa)^v I_v(kappa)]` of `bessel.py`, which
removes every large cancelling term:

    log C_m(kappa) = -L_v(kappa) - log|S^{m-1}|
    KL(vMF || U)   = kappa A_m(kappa) - L_v(kappa)          A_m = I_{v+1}/I_v
    entropy        = log|S^{m-1}| - KL

float16 and bfloat16 concentrations are computed in float32 (the Bessel
functions, the Wood rejection test and its Beta proposals: TensorFlow has no
bfloat16 gamma kernel) and the results rounded once to the input dtype
(`_dtypes.py`).
"""

import math

import keras
from keras import backend, ops

from keras_hsvae._validation import check_sphere_dim
from keras_hsvae.ops import _backend_random
from keras_hsvae.ops._backend_compile import compile_once_per_shape
from keras_hsvae.ops._dtypes import cast_back, finfo, float_constant, upcast
from keras_hsvae.ops._gradient import with_gradient
from keras_hsvae.ops.bessel import bessel_iv_ratio, bessel_parts
from keras_hsvae.ops.random import seed_generator
from keras_hsvae.ops.special import log_sphere_area
from keras_hsvae.ops.sphere import min_over_axis

# Default number of Wood proposals per draw. The acceptance probability is
# >= 0.65 for every (m, kappa) (measured: minimum 0.655 at m = 2, kappa ->
# inf), so all 32 proposals are rejected with probability < 0.35^32 ~ 2e-15.
DEFAULT_MAX_PROPOSALS = 32
# Proposals drawn per element in each round of the (bounded) rejection loop.
_PROPOSALS_PER_ROUND = 4


def _order(dim, kappa):
    return ops.cast(0.5 * dim - 1.0, kappa.dtype)


def _kappa(kappa):
    """`kappa` in its compute dtype (float32 for half types), and its own dtype."""
    return upcast(kappa)


def vmf_log_normalizer(dim, kappa):
    """`log C_m(kappa)`, the log normalizer of the vMF density on S^{m-1}.

    `C_m(kappa) = kappa^v / ((2 pi)^{m/2} I_v(kappa))`, v = m/2 - 1, computed as
    `-L_v(kappa) - log|S^{m-1}|` (finite at kappa = 0, where it is the
    uniform density). Derivative with respect to kappa: `-A_m(kappa)`.

    Args:
        dim: int >= 2, the ambient dimension m.
        kappa: float tensor, concentration >= 0.

    Example:

    >>> from keras_hsvae import ops as hops
    >>> round(float(hops.vmf_log_normalizer(3, 1.0)), 5)  # log(1/(4 pi sinh 1))
    -2.69246
    """
    dim = check_sphere_dim(dim)
    kappa, dtype = _kappa(kappa)
    v = _order(dim, kappa)
    parts = bessel_parts(v, kappa)
    value = -parts.log_norm - log_sphere_area(dim, kappa.dtype)
    return cast_back(with_gradient(value, kappa, -parts.ratio), dtype)


def vmf_mean_resultant_length(dim, kappa):
    """`A_m(kappa) = I_{m/2}(kappa) / I_{m/2-1}(kappa) = E[mu^T z]`.

    Example:

    >>> from keras_hsvae import ops as hops
    >>> round(float(hops.vmf_mean_resultant_length(3, 2.0)), 6)  # coth 2 - 1/2
    0.537315
    """
    dim = check_sphere_dim(dim)
    kappa, dtype = _kappa(kappa)
    return cast_back(bessel_iv_ratio(_order(dim, kappa), kappa), dtype)


def vmf_kl_to_uniform(dim, kappa):
    """`KL(vMF(mu, kappa) || Uniform(S^{m-1}))`, independent of `mu`.

    Relative accuracy near machine precision for m up to thousands and kappa
    from 0 to 1e6, including where the KL is tiny (high m, small kappa), where
    the textbook `kappa A + log C + log area` cancels catastrophically.
    Derivative attached analytically: `d KL / d kappa = kappa A_m'(kappa)`.

    Args:
        dim: int >= 2, the ambient dimension m; or a list of them, one per
            entry of the last axis of `kappa` (the shells of a product of
            vMFs, evaluated in one pass: the values of one call per shell, to
            rounding, with one set of Bessel operations instead of one per
            shell).
        kappa: float tensor, concentration >= 0.

    Example:

    >>> from keras_hsvae import ops as hops
    >>> float(hops.vmf_kl_to_uniform(10, 0.0))
    0.0
    >>> [round(float(k), 4) for k in hops.vmf_kl_to_uniform([3, 10], [2.0, 2.0])]
    [0.4794, 0.1906]
    """
    kappa, dtype = _kappa(kappa)
    if isinstance(dim, (list, tuple)):
        dims = _column_dims([check_sphere_dim(d) for d in dim], tuple(ops.shape(kappa)))
        # One Bessel order per column: 0.5 m - 1 for each shell.
        v = float_constant([0.5 * d - 1.0 for d in dims], kappa.dtype)
    else:
        v = _order(check_sphere_dim(dim), kappa)
    parts = bessel_parts(v, kappa)
    # kappa <= v + 1: KL = kappa^2 (R / kappa) - L; both terms are O(kappa^2)
    # there and of a 2:1 ratio, so nothing cancels as kappa -> 0.
    small = kappa * parts.ratio_over_x * kappa - parts.log_norm
    # kappa > v + 1: KL = -kappa (1 - R) - (L - kappa); both O(v log kappa),
    # whereas kappa R and L are each O(kappa) (1e6) and would cancel.
    large = -kappa * parts.one_minus_ratio - parts.log_norm_minus_x
    use_small = kappa <= v + 1.0
    value = ops.where(use_small, small, large)
    # d KL / d kappa = kappa R' with R' = 1 - R^2 - (2v+1) R / kappa, written
    # for kappa <= 1 as (1 + (2v+1)(1 - rho)) / (2(v+1)) - R^2 (no 1 - 1).
    deriv_small = (1.0 + (2.0 * v + 1.0) * parts.one_minus_rho) / (
        2.0 * (v + 1.0)
    ) - parts.ratio * parts.ratio
    # kappa > 1: kappa R' = (x^2 R') / kappa, free of cancellation; the
    # textbook 1 - R^2 - (2v+1) R / kappa cancels as kappa grows (wrong sign
    # at m = 2, kappa = 1e7) and the small-kappa form cancels for large m
    # (1 - rho against R^2). kappa <= 1: neither cancels; x^2 R' underflows.
    tiny_kappa = kappa <= 1.0
    safe_kappa = ops.where(tiny_kappa, ops.ones_like(kappa), kappa)
    grad = ops.where(tiny_kappa, kappa * deriv_small, parts.x2_ratio_prime / safe_kappa)
    # Round-off can leave a tiny negative value where the KL is ~1e-300.
    # (`where`, not `maximum`: Keras 3.15's PyTorch `maximum` returns float32
    # for float64 inputs.)
    value = ops.where(value < 0.0, ops.zeros_like(value), value)
    return cast_back(with_gradient(value, kappa, grad), dtype)


def vmf_entropy(dim, kappa):
    """Differential entropy of vMF(mu, kappa) on S^{m-1}: `log|S^{m-1}| - KL`.

    Example:

    >>> from keras_hsvae import ops as hops
    >>> round(float(hops.vmf_entropy(3, 0.0)), 6)  # log(4 pi)
    2.531024
    """
    dim = check_sphere_dim(dim)
    kappa, dtype = _kappa(kappa)
    # Subtract before rounding to a half type: two rounded terms would lose
    # the difference wherever log|S^{m-1}| and the KL are close.
    entropy = log_sphere_area(dim, kappa.dtype) - vmf_kl_to_uniform(dim, kappa)
    return cast_back(entropy, dtype)


def _exact_one_minus_cosine_m3(kappa, u):
    """Inverse-CDF draw of 1 - w for m = 3: w = 1 + log(u + (1-u) e^{-2k}) / k."""
    dtype = backend.standardize_dtype(kappa.dtype)
    a = 1.0 - u
    # kappa -> 0: the closed form is 0/0; its series
    # w = (2u - 1) + 2 k a (1 - a) - (4/3) k^2 a (1 - a)(1 - 2a) + O(k^3)
    # is exact to rounding below this threshold (and has exact gradients).
    threshold = 2e-3 if dtype in ("float16", "bfloat16", "float32") else 1e-5
    series = (
        2.0 * a
        - 2.0 * kappa * a * (1.0 - a)
        + (4.0 / 3.0) * kappa * kappa * a * (1.0 - a) * (1.0 - 2.0 * a)
    )
    safe_kappa = ops.where(kappa < threshold, ops.ones_like(kappa), kappa)
    # log(u + (1-u) e^{-2k}) = log1p(-a (1 - e^{-2k})); expm1 keeps precision
    # for small k and e^{-2k} underflowing to 0 is harmless for large k.
    closed = -ops.log1p(a * ops.expm1(-2.0 * safe_kappa)) / safe_kappa
    one_minus_w = ops.where(kappa < threshold, series, closed)
    return ops.clip(one_minus_w, 0.0, 2.0)


def sample_vmf_cosine(
    shape,
    dim,
    kappa,
    seed=None,
    max_proposals=DEFAULT_MAX_PROPOSALS,
    return_score_correction=False,
):
    """Draw `w = mu^T z` for z ~ vMF(mu, kappa) on S^{m-1} (reparameterized).

    m = 3: exact inversion. Otherwise Wood's (1994) rejection sampler,
    vectorized over the batch: rounds of 4 Beta((m-1)/2, (m-1)/2) proposals
    per element in an `ops.while_loop` (works under `jit`, `tf.function` and
    SavedModel export) until every element has accepted one, with at most
    `max_proposals` proposals per element, so the loop always terminates.
    The first accepted proposal is returned. If every proposal is rejected
    (probability below 0.35^max_proposals, < 2e-15 by default) the draw is
    NaN: never an unaccepted value.

    Gradients flow to `kappa` through `w = h(eps, kappa)` of the accepted
    proposal: the reparameterization term `g_rep` of Naesseth et al. (2017).
    Alone it is biased for m != 3 (measured: E[dw/dkappa] is 48 % below
    dA/dkappa at m = 2, kappa = 2 and 8 % below at m = 10, kappa = 10). The
    exact gradient adds `g_cor = E[f(z) d/dkappa log(q(w)/r(w))]`; pass
    `return_score_correction=True` to get `c = log(q/r) - stop_gradient(...)`
    (value exactly 0): adding `stop_gradient(f(z)) * c` to the objective `f`
    makes its kappa-gradient unbiased (Davidson et al. 2018, appendix D).

    Args:
        shape: tuple, the output shape; `kappa` must broadcast to it.
        dim: int >= 2, the ambient dimension m; or a list of them, one per
            entry of the last axis of `shape` (the shells of a product of
            vMFs, drawn in one rejection loop).
        kappa: float tensor, concentration >= 0.
        seed: int, `keras.random.SeedGenerator` or None.
        max_proposals: int >= 1, proposals drawn per sample (m != 3).
        return_score_correction: also return the correction `c` above.

    Returns:
        `(w, one_minus_w)` (and `c` if requested): float tensors of `shape`;
        `1 - w` is returned separately because it is tiny near the mode and
        would lose its precision if recomputed from `w`.
    """
    kappa, out_dtype = _kappa(kappa)
    shape = tuple(shape)
    seed = seed_generator(seed)
    kappa = ops.broadcast_to(kappa, shape)
    dims = _column_dims(dim, shape)
    draw = _cosine_one_dim if len(set(dims)) == 1 else _cosine_columns
    outputs = draw(
        shape, dims, kappa, seed, max_proposals, bool(return_score_correction)
    )
    return tuple(cast_back(t, out_dtype) for t in outputs)


def _column_dims(dim, shape):
    """`dim` as a tuple: one ambient size, or one per entry of the last axis."""
    if isinstance(dim, (list, tuple)):
        dims = tuple(int(d) for d in dim)
        if not shape or shape[-1] != len(dims):
            raise ValueError(
                "A list of dimensions needs one per entry of the last axis. "
                f"Received: dim={list(dim)}, shape={shape}"
            )
        return dims
    return (int(dim),)


def _exact_cosine_m3(kappa, seed, correction):
    """`(w, 1 - w[, c])` for m = 3 by inversion (`c = 0`: the gradient is exact)."""
    u = 1.0 - keras.random.uniform(ops.shape(kappa), dtype=kappa.dtype, seed=seed)
    one_minus_w = _exact_one_minus_cosine_m3(kappa, u)  # u in (0, 1]
    outputs = (1.0 - one_minus_w, one_minus_w)
    return outputs + ((ops.zeros_like(kappa),) if correction else ())


def _cosine_one_dim(shape, dims, kappa, seed, max_proposals, correction):
    """`(w, 1 - w[, c])` of every element for one ambient size `dims[0]`."""
    dim = dims[0]
    if dim == 3:
        return _exact_cosine_m3(kappa, seed, correction)
    log_normalizer = vmf_log_normalizer(dim, kappa) if correction else None
    return _wood_cosine(
        shape, float(dim - 1), kappa, log_normalizer, seed, max_proposals
    )


def _cosine_columns(shape, dims, kappa, seed, max_proposals, correction):
    """`(w, 1 - w[, c])` with ambient size `dims[j]` in column j of the last axis.

    The m = 3 columns take the exact inversion and all others share one
    Wood rejection loop: one loop per product of shells, not one per shell.
    """
    exact = [j for j, d in enumerate(dims) if d == 3]
    wood = [j for j, d in enumerate(dims) if d != 3]
    parts = []
    if exact:
        parts.append(
            _exact_cosine_m3(ops.take(kappa, exact, axis=-1), seed, correction)
        )
    if wood:
        # The loop runs with the columns first: XLA vectorizes the minor
        # axis, and a minor axis of a few shells ran 2-3x slower (JAX, CPU).
        kw = ops.moveaxis(ops.take(kappa, wood, axis=-1), -1, 0)
        log_normalizer = None
        if correction:
            log_normalizer = ops.stack(
                [vmf_log_normalizer(dims[j], kw[i]) for i, j in enumerate(wood)]
            )
        m1 = tuple(float(dims[j] - 1) for j in wood)
        drawn = _wood_cosine(
            (len(wood),) + shape[:-1], m1, kw, log_normalizer, seed, max_proposals
        )
        parts.append(tuple(ops.moveaxis(t, 0, -1) for t in drawn))
    # Back to the columns' order (a static permutation).
    order = exact + wood
    inverse = [order.index(j) for j in range(len(dims))]
    return tuple(
        ops.take(ops.concatenate(pieces, axis=-1), inverse, axis=-1)
        for pieces in zip(*parts)
    )


def _wood_cosine(shape, m1, kappa, log_normalizer, seed, max_proposals):
    """Wood's draw `(w, 1 - w[, c])` for `m - 1 = m1`.

    `m1` is a float, or a tuple of them, one per entry of the first axis of
    `shape`. `log_normalizer` is `log C_m(kappa)` for the score correction
    `c`, or None (no correction: the Bessel functions are not evaluated).
    """
    dtype = backend.standardize_dtype(kappa.dtype)
    if isinstance(m1, tuple):
        along = (len(m1),) + (1,) * (len(shape) - 1)
        m1_t = ops.reshape(float_constant(m1, dtype), along)
        m1_log_m1 = ops.reshape(
            float_constant([x * math.log(x) for x in m1], dtype), along
        )
    else:
        m1_t, m1_log_m1 = m1, m1 * math.log(m1)
    sqrt_term = ops.sqrt(4.0 * kappa * kappa + m1_t * m1_t)
    # b = (m-1) / (2k + sqrt(4k^2 + (m-1)^2)): the rationalized form avoids
    # the cancellation of (-2k + sqrt(4k^2 + (m-1)^2)) / (m-1) at large k.
    b = m1_t / (2.0 * kappa + sqrt_term)
    a = (m1_t + 2.0 * kappa + sqrt_term) / 4.0
    d = 4.0 * a * b / (1.0 + b) - m1_log_m1
    b_s = ops.stop_gradient(b)
    a_s = ops.stop_gradient(a)
    d_s = ops.stop_gradient(d)
    chosen, found = _wood_accepted_proposal(
        shape, m1, a_s, b_s, d_s, seed, max_proposals, dtype
    )
    # Differentiable in kappa through b: 1 - w = 2 b eps / (1 - (1 - b) eps).
    denom = (1.0 - chosen) + b * chosen
    one_minus_w = ops.clip(2.0 * b * chosen / denom, 0.0, 2.0)
    nan = ops.full_like(one_minus_w, float("nan"))
    one_minus_w = ops.where(found, one_minus_w, nan)
    if log_normalizer is None:
        return 1.0 - one_minus_w, one_minus_w
    # log q(w; k) - log r(w; k) at w = h(eps, k), up to terms free of k, with
    # r(h(eps)) = s(eps) / |dh/deps| (s: the Beta density) and
    # |dh/deps| = 2 b / denom^2:
    #   log c_m(k) + k w + (m-3)/2 log(1 - w^2) + log(2 b) - 2 log(denom);
    # log(1 - w) = log(2b) + log(eps) - log(denom) stays finite as w -> 1.
    tiny = float(finfo(dtype).tiny)
    log_one_minus_w = (
        ops.log(2.0 * b)
        + ops.log(ops.where(chosen < tiny, ops.full_like(chosen, tiny), chosen))
        - ops.log(denom)
    )
    log_weight = (
        log_normalizer
        + kappa * (1.0 - one_minus_w)
        + 0.5 * (m1_t - 2.0) * (log_one_minus_w + ops.log(2.0 - one_minus_w))
        + ops.log(2.0 * b)
        - 2.0 * ops.log(denom)
    )
    correction = log_weight - ops.stop_gradient(log_weight)
    return 1.0 - one_minus_w, one_minus_w, correction


def _wood_accepted_proposal(shape, m1, a, b, d, seed, max_proposals, dtype):
    """First accepted Wood proposal eps for every element (no gradients).

    Rounds of `_PROPOSALS_PER_ROUND` Beta proposals per element run in an
    `ops.while_loop` until every element has an accepted one, at most
    `ceil(max_proposals / _PROPOSALS_PER_ROUND)` rounds (so it terminates).
    The expected number of rounds is about 1 + log(batch) / (4 log(1/0.35)).
    Elements never accepted come back with `found = False`.
    """
    if seed is None:
        seed = keras.random.SeedGenerator()
    key = _backend_random.base_seed(seed)
    return _wood_loop(shape, m1, a, b, d, key, max_proposals, dtype)


def _wood_rounds(shape, m1, a, b, d, key, max_proposals, dtype):
    """The rejection loop of `_wood_accepted_proposal`, a function of tensors.

    Only `a`, `b`, `d` and the base seed `key` are tensors, so on JAX it is
    compiled once per shape and per value of the Python arguments: eager
    calls would otherwise trace and compile a fresh `while` loop each time
    (Keras builds new closures per call), 1-7 s per call on these CPUs.
    """
    per_round = min(_PROPOSALS_PER_ROUND, max_proposals)
    rounds = -(-max_proposals // per_round)
    proposal_shape = (per_round,) + shape
    order = ops.reshape(
        ops.arange(per_round, dtype="int32"), (per_round,) + (1,) * len(shape)
    )

    # Beta((m-1)/2, (m-1)/2): one float, or one per entry of the first axis
    # of `shape` (axis 1 of the proposals).
    if isinstance(m1, tuple):
        concentration = tuple(0.5 * x for x in m1)
        m1 = ops.reshape(
            float_constant(m1, dtype), (len(m1),) + (1,) * (len(shape) - 1)
        )
    else:
        concentration = 0.5 * m1

    def cond(counter, done, chosen):
        return ops.logical_not(ops.all(done))

    def body(counter, done, chosen):
        eps, u = _backend_random.beta_and_uniform(
            proposal_shape, concentration, key, counter, dtype, axis=1
        )
        # 1 - (1 - b) eps = (1 - eps) + b eps keeps precision when eps -> 1.
        t = 2.0 * a * b / ((1.0 - eps) + b * eps)
        accept = m1 * ops.log(t) - t + d >= ops.log(1.0 - u)
        first = min_over_axis(ops.where(accept, order, per_round), 0)
        found = first < per_round
        pick = ops.take_along_axis(
            eps, ops.expand_dims(ops.minimum(first, per_round - 1), 0), axis=0
        )[0]
        take = ops.logical_and(found, ops.logical_not(done))
        chosen = ops.where(take, pick, chosen)
        return counter + 1, ops.logical_or(done, found), chosen

    init = (
        ops.convert_to_tensor(0, "int32"),
        ops.zeros(shape, "bool"),
        ops.full(shape, 0.5, dtype),
    )
    _, done, chosen = ops.while_loop(cond, body, init, maximum_iterations=rounds)
    return ops.stop_gradient(chosen), done


_wood_loop = compile_once_per_shape(_wood_rounds, static_argnums=(0, 1, 6, 7))


# Newton steps of `vmf_concentration_mle`. From Banerjee's start the relative
# error (measured against mpmath for m in [2, 4096], R in [1e-8, 1 - 1e-9])
# is below 5e-10 after 4 steps and below 3e-14 after 5.
_MLE_NEWTON_STEPS = 5


def vmf_concentration_mle(mean_resultant_length, dim):
    """Maximum-likelihood concentration of a vMF from the mean resultant length.

    Solves `A_m(kappa) = R` for `kappa`, where `A_m = I_{m/2} / I_{m/2-1}` and
    `R = ||mean_i x_i||` is the mean resultant length of unit vectors `x_i`
    in R^m: the likelihood equation of the concentration (the mean direction's
    MLE is `mean_i x_i / R`). Starts from Banerjee et al.'s approximation
    `kappa_0 = R (m - R^2) / (1 - R^2)` and takes Newton steps with
    `A' = 1 - A^2 - (m - 1) A / kappa`. `A` is increasing and concave, so
    after the first step the iterates approach the root from below and never
    overshoot; a fixed number of steps (no data-dependent loop) works under
    `jit`, `tf.function` and SavedModel export.

    Limits: `R <= 0` gives `kappa = 0` (the uniform distribution; `kappa ~ m R`
    as R -> 0). `R >= 1` (all points equal) gives `+inf`: the likelihood
    grows without bound. As R -> 1, `kappa ~ (m - 1) / (2 (1 - R))`, so
    rounding `R` to the working precision limits the relative accuracy of
    `kappa` to about `eps / (1 - R)`; pass float64 for the last digits.

    Gradient with respect to `R` attached analytically (implicit function
    theorem): `d kappa / d R = 1 / A'(kappa)`.

    Args:
        mean_resultant_length: float tensor `R` in [0, 1] (any shape).
        dim: int >= 2, the ambient dimension m (points on S^{m-1}).

    Returns:
        `kappa`, a tensor of the shape and dtype of `mean_resultant_length`.

    Example:

    >>> from keras_hsvae import ops as hops
    >>> kappa = hops.vmf_concentration_mle(0.537315, 3)  # A_3(2) = coth 2 - 1/2
    >>> round(float(kappa), 4)
    2.0
    """
    dim = int(dim)
    if dim < 2:
        raise ValueError(f"`dim` must be an integer >= 2. Received: dim={dim}")
    r_in, dtype = _kappa(mean_resultant_length)
    m = float(dim)
    v = _order(dim, r_in)
    at_zero = r_in <= 0.0
    at_one = r_in >= 1.0
    # A safe R = 1/2 in the branches replaced below: R = 1 gives kappa_0 = inf
    # and R = 0 a Newton step 0 / 0 at kappa = 0.
    r = ops.where(ops.logical_or(at_zero, at_one), ops.full_like(r_in, 0.5), r_in)
    one_minus_r = 1.0 - r  # exact for R in [0.5, 1] (Sterbenz)
    # Banerjee et al. (2005); 1 - R^2 = (1 - R)(1 + R) keeps precision as R -> 1.
    kappa = r * (m - r * r) / (one_minus_r * (1.0 + r))
    for _ in range(_MLE_NEWTON_STEPS):
        residual, slope = _mle_residual_and_slope(dim, v, kappa, r, one_minus_r)
        step = kappa - residual / slope
        # A step from far above the root can land below 0; restart from 0.
        kappa = ops.where(step < 0.0, ops.zeros_like(step), step)
    # `slope` is A' at the previous iterate, within ~1e-9 relative of the
    # root (A' at the root differs by as much): good for the gradient.
    kappa = ops.where(at_zero, ops.zeros_like(kappa), kappa)
    kappa = ops.where(at_one, ops.full_like(kappa, math.inf), kappa)
    # d kappa / d R: m at R = 0 (A'(0) = 1/m), +inf at R = 1.
    slope = ops.where(at_zero, ops.full_like(slope, 1.0 / m), slope)
    slope = ops.where(at_one, ops.zeros_like(slope), slope)
    return cast_back(with_gradient(kappa, r_in, 1.0 / slope), dtype)


def _mle_residual_and_slope(dim, v, kappa, r, one_minus_r):
    """`A_m(kappa) - R` and `A_m'(kappa)`, both without cancellation."""
    m = float(dim)
    parts = bessel_parts(v, kappa)
    # Near R = 1 the difference of two numbers close to 1 is formed from
    # their (accurate) distances to 1 instead.
    residual = ops.where(r > 0.5, one_minus_r - parts.one_minus_ratio, parts.ratio - r)
    # kappa <= v + 1: A' = (1 + (m - 1)(1 - rho)) / m - A^2 (no 1 - 1 at 0).
    slope_small = (1.0 + (m - 1.0) * parts.one_minus_rho) / m - ops.square(parts.ratio)
    slope_large = (
        parts.one_minus_ratio * (1.0 + parts.ratio) - (m - 1.0) * parts.ratio_over_x
    )
    slope = ops.where(kappa <= v + 1.0, slope_small, slope_large)
    # kappa -> inf: the two terms of slope_large (each ~ (m-1)/kappa) cancel
    # to ~ (m-1)/(2 kappa^2), losing all digits once kappa ~ 1/eps. The
    # cancellation-free 2 (1 - A)^2 / (m - 1) is the same leading term and is
    # within 4x of A' everywhere (measured: A' / it in [0.25, 1.003]), so a
    # value below a fifth of it can only be rounding noise.
    asymptotic = 2.0 * ops.square(parts.one_minus_ratio) / (m - 1.0)
    return residual, ops.where(slope < 0.2 * asymptotic, asymptotic, slope)
