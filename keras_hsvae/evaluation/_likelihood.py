"""ELBO and importance-sampled marginal log-likelihood of a VAE on a dataset.

Both use only the model hooks `posterior_distribution(x)`,
`prior_distribution()`, `decoder(z)` (raw output) and
`log_likelihood(x, raw)` (normalized per-example `log p(x | z)`), so any
object exposing them can be evaluated. The model's tensors stay in its own
dtype (float32); per-example results are gathered on the host in float64
numpy, where the log-sum-exp over the K importance weights is taken (float64
is not available on every backend: JAX disables it by default).
"""

import keras
import numpy as np
from keras import ops

from keras_hsvae._validation import check_int
from keras_hsvae.distributions import kl_divergence


def _check_positive_int(value, name):
    return check_int(name, value, 1)


def _batches(x, batch_size):
    x = np.asarray(x)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(
            f"`x` must hold at least one example. Received: x.shape={x.shape}"
        )
    for start in range(0, x.shape[0], batch_size):
        yield x[start : start + batch_size].astype("float32", copy=False)


def ensure_built(model, x):
    """Run `model` once on one example if it is an unbuilt `keras.Model`.

    `posterior_distribution` on an unbuilt model would build the posterior's
    sub-layers outside the posterior's own `build`, which then fails the
    first time the model is called.
    """
    if isinstance(model, keras.Model) and not model.built:
        model(np.asarray(x[:1], dtype="float32"), training=False)


def _repeat_batch(x, times):
    """`(times * B, ...)`: `times` copies of the batch, copy-major (like a
    reshape of `(times, B, ...)`)."""
    return ops.tile(x, (times,) + (1,) * (len(x.shape) - 1))


def _log_terms(model, q, prior, x, num_samples, seed):
    """`log p(x|z)`, `log p(z)`, `log q(z|x)` for `z ~ q`, each `(S, B)` numpy."""
    batch = int(x.shape[0])
    z = q.sample((num_samples,), seed=seed)  # (S, B, d)
    flat = ops.reshape(z, (num_samples * batch, -1))
    raw = model.decoder(flat, training=False)
    log_lik = model.log_likelihood(_repeat_batch(x, num_samples), raw)
    log_lik = ops.reshape(log_lik, (num_samples, batch))
    as_np = lambda t: np.asarray(ops.convert_to_numpy(t), dtype=np.float64)  # noqa: E731
    return as_np(log_lik), as_np(prior.log_prob(z)), as_np(q.log_prob(z))


def elbo(model, x, num_samples=1, batch_size=100, seed=0):
    """Evidence lower bound, reconstruction term and KL of a model on `x`.

        ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)),  averaged over examples

    The reconstruction term is a Monte-Carlo mean over `num_samples` draws of
    `q(z|x)`; the KL is the closed form where one is registered
    (`keras_hsvae.distributions.kl_divergence`), else the Monte-Carlo mean of
    `log q(z|x) - log p(z)` over the same draws (reported in
    `"kl_estimator"`). `log p(x|z)` is normalized (see the model's
    `log_likelihood`), so the ELBO is a lower bound of the marginal
    log-likelihood `log p(x)`.

    Args:
        model: a VAE with `posterior_distribution`, `prior_distribution`,
            `decoder` and `log_likelihood`.
        x: array `(N, ...)` of inputs.
        num_samples: draws of `z` per example for the reconstruction term.
        batch_size: examples per forward pass.
        seed: int seed of the posterior draws.

    Returns:
        dict of Python floats: `"elbo"`, `"reconstruction"` (`E_q log p(x|z)`,
        a log-likelihood, <= 0 for Bernoulli), `"kl"` (>= 0), and
        `"kl_estimator"` (`"closed_form"` or `"monte_carlo"`).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> vae = BetaVAE(mlp_encoder((6,), (8,)), mlp_decoder(2, (6,), (8,)), 2)
    >>> x = (np.random.default_rng(0).random((10, 6)) > 0.5).astype("float32")
    >>> out = elbo(vae, x, seed=1)
    >>> bool(np.isclose(out["elbo"], out["reconstruction"] - out["kl"]))
    True
    """
    _check_positive_int(num_samples, "num_samples")
    _check_positive_int(batch_size, "batch_size")
    ensure_built(model, x)
    generator = keras.random.SeedGenerator(seed)
    prior = model.prior_distribution()
    recon, kl, estimators = [], [], set()
    for xb in _batches(x, batch_size):
        xb = ops.convert_to_tensor(xb)
        q = model.posterior_distribution(xb)
        log_lik, log_p, log_q = _log_terms(model, q, prior, xb, num_samples, generator)
        recon.append(log_lik.mean(axis=0))
        try:
            kl_b = np.asarray(ops.convert_to_numpy(kl_divergence(q, prior)), "float64")
            estimators.add("closed_form")
        except NotImplementedError:
            kl_b = (log_q - log_p).mean(axis=0)
            estimators.add("monte_carlo")
        kl.append(np.broadcast_to(kl_b, log_lik.shape[1:]))
    recon = float(np.mean(np.concatenate(recon)))
    kl = float(np.mean(np.concatenate(kl)))
    return {
        "elbo": recon - kl,
        "reconstruction": recon,
        "kl": kl,
        "kl_estimator": "+".join(sorted(estimators)),
    }


def _logmeanexp(log_w, axis=0):
    """`log mean exp` in float64 with the maximum subtracted (no overflow)."""
    log_w = np.asarray(log_w, dtype=np.float64)
    top = np.max(log_w, axis=axis, keepdims=True)
    # All weights -inf (impossible z for every draw): keep -inf, not NaN.
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.mean(np.exp(log_w - top), axis=axis)) + np.squeeze(top, axis)
    return out


def importance_sampled_log_likelihood(
    model,
    x,
    num_samples=500,
    batch_size=100,
    max_points=20000,
    seed=0,
    return_per_example=False,
):
    """Marginal log-likelihood `log p(x)` by importance sampling (IWAE bound).

        log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K

    with `z_1..z_K ~ q(z|x)` (Burda et al. 2016). The estimate is a lower
    bound in expectation that increases with K towards `log p(x)`, and is
    exact for every K when `q(z|x)` is the true posterior. The K draws of a
    batch are decoded in chunks of at most `max_points` (sample, example)
    pairs, so memory is bounded by `max_points` decoder outputs whatever K
    is. Log-weights are computed in the model's dtype and reduced in float64
    on the host.

    Args:
        model: a VAE with `posterior_distribution`, `prior_distribution`,
            `decoder` and `log_likelihood`.
        x: array `(N, ...)` of inputs.
        num_samples: K, importance samples per example (500 in the S-VAE and
            product S-VAE papers).
        batch_size: examples per encoder pass.
        max_points: largest number of decoder evaluations per call.
        seed: int seed of the posterior draws.
        return_per_example: return the `(N,)` float64 array of estimates
            instead of their mean.

    Returns:
        Python float, the mean over examples of the estimate (nats), or the
        per-example array.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> vae = BetaVAE(mlp_encoder((6,), (8,)), mlp_decoder(2, (6,), (8,)), 2)
    >>> x = (np.random.default_rng(0).random((10, 6)) > 0.5).astype("float32")
    >>> ll = importance_sampled_log_likelihood(vae, x, num_samples=50, seed=1)
    >>> bool(ll >= elbo(vae, x, num_samples=50, seed=1)["elbo"] - 0.5)
    True
    """
    _check_positive_int(num_samples, "num_samples")
    _check_positive_int(batch_size, "batch_size")
    _check_positive_int(max_points, "max_points")
    ensure_built(model, x)
    generator = keras.random.SeedGenerator(seed)
    prior = model.prior_distribution()
    estimates = []
    for xb in _batches(x, batch_size):
        chunk = max(1, max_points // xb.shape[0])
        xb = ops.convert_to_tensor(xb)
        q = model.posterior_distribution(xb)
        log_w = []
        for start in range(0, num_samples, chunk):
            count = min(chunk, num_samples - start)
            log_lik, log_p, log_q = _log_terms(model, q, prior, xb, count, generator)
            log_w.append(log_lik + log_p - log_q)
        estimates.append(_logmeanexp(np.concatenate(log_w, axis=0), axis=0))
    estimates = np.concatenate(estimates)
    if return_per_example:
        return estimates
    return float(np.mean(estimates))


def reconstruction_mse(model, x, batch_size=500):
    """Squared error of `model.reconstruct(x)`, summed over pixels, mean over images.

    The convention of the HSC-VAE paper (SPEC §2): `mean_i sum_j (x_ij -
    x_hat_ij)^2` with `x_hat = decode(embed(x))` (Bernoulli probabilities or
    Gaussian means).

    Args:
        model: any model with `reconstruct(x)`.
        x: array `(N, ...)`.
        batch_size: examples per pass.

    Returns:
        Python float.

    Example:

    >>> import numpy as np
    >>> class Identity:
    ...     def reconstruct(self, x):
    ...         return x + 0.5
    >>> reconstruction_mse(Identity(), np.zeros((3, 2, 2)))  # 4 pixels * 0.25
    1.0
    """
    _check_positive_int(batch_size, "batch_size")
    total, count = 0.0, 0
    for xb in _batches(x, batch_size):
        x_hat = np.asarray(ops.convert_to_numpy(model.reconstruct(xb)), np.float64)
        diff = xb.astype(np.float64) - x_hat.reshape(xb.shape)
        total += float(np.sum(np.square(diff)))
        count += xb.shape[0]
    return total / count
