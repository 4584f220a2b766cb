"""The diagonal Gaussian posterior's math: its KL to N(0, I)."""

from keras import ops

from keras_hsvae.ops._dtypes import cast_back, upcast


def log_softplus(x):
    """`log(softplus(x)) = log(log(1 + exp(x)))`, finite for every finite `x`.

    For `x < -30`, `softplus(x) = exp(x) (1 - exp(x)/2 + O(exp(2x)))`, so
    `log softplus(x) = x - exp(x)/2` to within `exp(2x) < 1e-26`; the direct
    form would underflow to `log(0) = -inf` (float32: below x ~ -104).
    Half-precision inputs are computed in float32 (float16's `exp` underflows
    below x ~ -17) and rounded once.

    Example:

    >>> from keras_hsvae.ops.gaussian import log_softplus
    >>> float(log_softplus(-200.0))
    -200.0
    """
    x, dtype = upcast(x)
    tail = x < -30.0
    # x -> -inf: the direct branch sees a safe input, so no inf/NaN gradient.
    direct = ops.log(ops.softplus(ops.where(tail, ops.full_like(x, -30.0), x)))
    return cast_back(ops.where(tail, x - 0.5 * ops.exp(x), direct), dtype)


def gaussian_kl_to_standard_normal(mean, log_variance, axis=-1):
    """`KL(N(mean, diag(sigma^2)) || N(0, I))`, summed over `axis`.

        KL = 1/2 sum_j (mean_j^2 + sigma_j^2 - 1 - log sigma_j^2)

    written as `mean^2 + expm1(t) - t` with `t = log sigma^2`: near sigma = 1
    the terms `sigma^2 - 1 - t` cancel to O(t^2); `expm1` keeps their
    relative accuracy. Half-precision inputs are summed in float32 (`expm1(t)`
    overflows float16 for t > 11) and the sum rounded once.

    Args:
        mean: float tensor.
        log_variance: float tensor, `log sigma^2`, broadcastable to `mean`.
        axis: the event axis (the latent dimensions), summed over.

    Example:

    >>> from keras_hsvae.ops.gaussian import gaussian_kl_to_standard_normal
    >>> float(gaussian_kl_to_standard_normal([1.0, 0.0], [0.0, 0.0]))
    0.5
    """
    mean, dtype = upcast(mean)
    t = ops.cast(log_variance, mean.dtype)
    kl = 0.5 * ops.sum(ops.square(mean) + ops.expm1(t) - t, axis=axis)
    return cast_back(kl, dtype)
