"""Diagonal Gaussian posterior with the N(0, I) prior: the beta-VAE baseline."""

import keras
from keras import ops

from keras_hsvae._validation import check_latent_dim
from keras_hsvae.distributions.normal import Normal
from keras_hsvae.layers._validation import check_features_shape
from keras_hsvae.layers.posteriors.base import Posterior, register_posterior
from keras_hsvae.ops._backend_distribute import replica_seed
from keras_hsvae.ops.gaussian import gaussian_kl_to_standard_normal, log_softplus


@register_posterior("gaussian", spherical=False)
class GaussianPosterior(Posterior):
    """Diagonal Gaussian posterior `N(mu, sigma^2)` with a `N(0, I)` prior.

    The beta-VAE baseline (SPEC section 2, last bullet; 001 eq. 1). Two dense
    heads map the encoder features to the mean `mu` and, through a softplus,
    to the scale `sigma`. The layer adds

        beta * mean_over_batch( 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2) )

    to the model's losses (`add_loss`, in training and in inference) and
    returns `z = mu + eps * sigma`, `eps ~ N(0, I)`, in training.

    No floor is put under `sigma`: `log sigma^2` is computed from the
    pre-softplus value with `log_softplus`, which stays finite (about `2 x`)
    where `softplus(x)` underflows to 0, so the KL and its gradient are
    finite for every finite input; `sigma = 0` then simply means no noise.

    The KL weight lives in the non-trainable scalar variable `beta_weight`
    (initialized to `beta`), so a callback can anneal it during `fit` on every
    backend: `layer.beta_weight.assign(value)` in `on_epoch_begin`.

    Args:
        dim: int >= 1, the latent size.
        beta: float >= 0, the initial KL weight.
        inference: `"mean"` (return `mu` when not training) or `"sample"`
            (draw `z` also at inference).
        score_correction: return `(z, zeros)` (the Gaussian sample is fully
            reparameterized); for interface symmetry.
        seed: int or `None`, seed of the layer's `keras.random.SeedGenerator`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: encoder features, shape `(batch, features)`.
        training: Python bool; draw noise only when `True` (or when
            `inference="sample"`).
        return_terms: if True, return a dict with `z` and the per-example
            `kl`.

    Input shape:
        `(batch, features)` (any leading axes are kept).

    Output shape:
        `(batch, dim)`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers import GaussianPosterior
    >>> layer = GaussianPosterior(4, beta=0.5, seed=1)
    >>> z = layer(np.ones((3, 8), "float32"), training=True)
    >>> tuple(z.shape), len(layer.losses)
    ((3, 4), 1)

    Reference:
        Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework", ICLR 2017; Kingma & Welling,
        "Auto-Encoding Variational Bayes", ICLR 2014.
    """

    INFERENCE = ("mean", "sample")

    def __init__(self, dim, beta=1.0, inference="mean", seed=None, **kwargs):
        super().__init__(
            check_latent_dim(dim, 1, name="dim"),
            beta=beta,
            inference=inference,
            seed=seed,
            **kwargs,
        )
        self.mean_dense = keras.layers.Dense(dim, name="mean", dtype=self.dtype_policy)
        self.scale_dense = keras.layers.Dense(
            dim, name="scale", dtype=self.dtype_policy
        )

    def build(self, input_shape):
        check_features_shape(self, input_shape)
        for head in (self.mean_dense, self.scale_dense):
            if not head.built:
                head.build(input_shape)
        self.built = True

    def _heads(self, features):
        features = ops.convert_to_tensor(features)
        if not self.built:
            self.build(tuple(features.shape))
        return self.mean_dense(features), self.scale_dense(features)

    def parameters(self, features):
        """The posterior parameters for `features`.

        Returns:
            dict with `"mean"` (`mu`) and `"stddev"` (`sigma = softplus(.)`),
            each of shape `(batch, dim)`.
        """
        mean, pre_scale = self._heads(features)
        return {"mean": mean, "stddev": ops.softplus(pre_scale)}

    def distribution_from(self, params):
        return Normal(params["mean"], params["stddev"], validate_args=False)

    def prior(self, dtype="float32"):
        """`N(0, I)` of size `dim`."""
        return Normal.standard(self.dim, dtype)

    def _distribution_and_kl(self, features):
        mean, pre_scale = self._heads(features)
        params = {"mean": mean, "stddev": ops.softplus(pre_scale)}
        # Half precision loses the KL's small differences: float32 at least.
        dtype = "float32" if mean.dtype in ("float16", "bfloat16") else mean.dtype
        # log sigma^2 = 2 log softplus(x): finite where softplus(x) underflows.
        log_variance = 2.0 * log_softplus(ops.cast(pre_scale, dtype))
        kl = gaussian_kl_to_standard_normal(ops.cast(mean, dtype), log_variance)
        return params, self.distribution_from(params), kl

    def _mode(self, dist):
        return dist.mean()

    def _sample(self, dist):
        mean, stddev = dist.loc, dist.scale
        eps = keras.random.normal(
            ops.shape(mean), dtype=mean.dtype, seed=replica_seed(self.seed_generator)
        )
        z = mean + eps * stddev
        return z, ops.zeros_like(z[..., 0])
