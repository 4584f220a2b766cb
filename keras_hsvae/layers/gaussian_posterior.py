"""Diagonal Gaussian posterior with the N(0, I) prior: the beta-VAE baseline."""

import keras
from keras import ops

from keras_hsvae.layers._validation import (
    add_beta_weight,
    check_beta,
    check_inference,
    check_seed,
)
from keras_hsvae.ops.hsc import gaussian_kl_to_standard_normal, log_softplus


@keras.saving.register_keras_serializable(package="keras_hsvae")
class GaussianPosterior(keras.layers.Layer):
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
        seed: int or `None`, seed of the layer's `keras.random.SeedGenerator`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: encoder features, shape `(batch, features)`.
        training: Python bool; draw noise only when `True` (or when
            `inference="sample"`).

    Input shape:
        `(batch, features)` (any leading axes are kept).

    Output shape:
        `(batch, dim)`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers.gaussian_posterior import GaussianPosterior
    >>> layer = GaussianPosterior(4, beta=0.5, seed=1)
    >>> z = layer(np.ones((3, 8), "float32"), training=True)
    >>> tuple(z.shape), len(layer.losses)
    ((3, 4), 1)

    Reference:
        Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework", ICLR 2017; Kingma & Welling,
        "Auto-Encoding Variational Bayes", ICLR 2014.
    """

    def __init__(self, dim, beta=1.0, inference="mean", seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"`dim` must be an integer >= 1. Received: dim={dim!r}")
        self.dim = dim
        self.beta = check_beta(beta)
        self.inference = check_inference(inference)
        self.seed = check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.beta_weight = add_beta_weight(self, self.beta)
        self.mean_dense = keras.layers.Dense(dim, name="mean", dtype=self.dtype_policy)
        self.scale_dense = keras.layers.Dense(
            dim, name="scale", dtype=self.dtype_policy
        )

    def build(self, input_shape):
        self.mean_dense.build(input_shape)
        self.scale_dense.build(input_shape)

    def _heads(self, features):
        if not self.built:
            self.build(tuple(features.shape))
        return self.mean_dense(features), self.scale_dense(features)

    def parameters(self, features):
        """The posterior parameters for `features`.

        Returns:
            dict with `"mean"` (`mu`) and `"stddev"` (`sigma = softplus(.)`),
            each of shape `(batch, dim)`.
        """
        mean, pre_scale = self._heads(ops.convert_to_tensor(features))
        return {"mean": mean, "stddev": ops.softplus(pre_scale)}

    def kl(self, features):
        """Per-example `KL(N(mu, sigma^2) || N(0, I))`, shape `(batch,)`."""
        mean, pre_scale = self._heads(ops.convert_to_tensor(features))
        return self._kl(mean, pre_scale)

    def _kl(self, mean, pre_scale):
        dtype = _loss_dtype(mean.dtype)
        mean = ops.cast(mean, dtype)
        # log sigma^2 = 2 log softplus(x): finite where softplus(x) underflows.
        log_variance = 2.0 * log_softplus(ops.cast(pre_scale, dtype))
        return gaussian_kl_to_standard_normal(mean, log_variance)

    def call(self, inputs, training=None):
        mean, pre_scale = self._heads(inputs)
        kl = self._kl(mean, pre_scale)
        self.add_loss(ops.cast(self.beta_weight, kl.dtype) * ops.mean(kl))
        if not training and self.inference == "mean":
            return mean
        stddev = ops.softplus(pre_scale)
        eps = keras.random.normal(
            ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator
        )
        return mean + eps * stddev

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.dim,)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "dim": self.dim,
            "beta": self.beta,
            "inference": self.inference,
            "seed": self.seed,
        }
        return {**base_config, **config}


def _loss_dtype(dtype):
    # Half precision loses the KL's small differences: use float32 at least.
    dtype = keras.backend.standardize_dtype(dtype)
    return "float32" if dtype in ("float16", "bfloat16") else dtype
