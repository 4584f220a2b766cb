"""The HSC-VAE latent layer: KL-like regularizer in hyperspherical coordinates."""

import math
import threading
import weakref

import keras
from keras import ops

from keras_hsvae.layers._validation import (
    add_beta_weight,
    check_beta,
    check_inference,
    check_seed,
)
from keras_hsvae.ops._backend_distribute import cross_replica_sum, replica_seed
from keras_hsvae.ops.hsc import (
    check_gains,
    check_prior,
    hsc_gains,
    hsc_penalty,
    hsc_penalty_terms,
    prior_targets,
)
from keras_hsvae.ops.sphere import rescale_to_radius

# Under tf.distribute each replica runs in a thread of its own (see `call`).
_REPLICA_LOSSES = threading.local()


@keras.saving.register_keras_serializable(package="keras_hsvae")
class HypersphericalKLRegularizer(keras.layers.Layer):
    """Regularize `(mu, sigma)` in hyperspherical coordinates; sample `z`.

    The latent layer of the HSC-VAE (001, eqs. 4-8; SPEC section 2). Both
    `mu` and `sigma` are converted, row by row, to their radius and the
    cosines of their n-1 spherical angles in O(B n); the batch means `E_b`
    and population standard deviations `S_b` of these are pulled toward
    prior targets, and the layer adds

        beta * (L_ang + L_rad)

    to the model's losses (`add_loss`, in training and in inference; see
    `keras_hsvae.ops.hsc.hsc_penalty` for the formula). It returns
    `z = mu + eps * sigma` in training (Cartesian reparameterization) and,
    with `rescale=True`, scales `z` to the sphere of radius sqrt(n).

    Targets (all documented in `keras_hsvae.ops.hsc.prior_targets`):

    - mean radius `a_mr = sqrt(n)`, radius spread `b_mr = 0`;
    - angle cosines of `mu`: `"compressed"` `a_mk = 1` (the north-pole
      island), `"moderate"` `a_mk = 1/sqrt(n-k+1)` (toward the all-ones
      direction), `"uncompressed"` `a_mk = 0`; `b_mk = 1/sqrt(n-k+1)` for
      all three;
    - `sigma` (not given by the paper; this library's choice): the
      coordinates of the standard prior's scale `sigma = (1, ..., 1)`:
      `a_sr = sqrt(n)`, `b_sr = 0`, `a_sk = 1/sqrt(n-k+1)`, `b_sk = 0`.

    The overall weight lives in the non-trainable scalar variable
    `beta_weight` (initialized to `beta`) so that a callback can anneal it
    during `fit` on every backend: `layer.beta_weight.assign(value)` in
    `on_epoch_begin` (the paper's sqrt(epoch) stage, 001 section 4.1).

    Data parallelism: `E_b` and `S_b` are statistics of the global batch
    on every engine. Under `tf.distribute` the layer sums the batch moments
    across replicas (the `all_reduce` of `hsc_penalty_terms`), so the
    penalty, its gradient and the returned terms are those of the global
    batch, and every replica draws its own noise; under
    `keras.distribution` (JAX) the batch the layer sees is the global one.

    Args:
        prior: `"compressed"`, `"moderate"` or `"uncompressed"`.
        gains: `"all_ones"` (angle gains `1/sqrt(n-k+1)`, the paper's
            `1/sqrt(k+1)` counted from the last angle), `"constant"` (all 1)
            or an array-like of n-1 floats >= 0 (angle gains). Radius gains
            are 1.
        beta: float >= 0, the initial overall gain of the penalty.
        rescale: bool, scale `z` to radius sqrt(n) (eq. 8).
        inference: `"mean"` (return `mu`, rescaled, when not training) or
            `"sample"` (draw `z` also at inference).
        return_terms: bool; if True, `call` returns `(z, terms)` with the
            unweighted `terms = {"angular": L_ang, "radial": L_rad}` of the
            loss it added (for logging without computing them twice).
        seed: int or `None`, seed of the layer's `keras.random.SeedGenerator`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: list `[mu, sigma]`, two tensors of shape `(batch, n)`,
            `sigma > 0` (e.g. a softplus output).
        training: Python bool; draw noise only when `True` (or when
            `inference="sample"`).

    Input shape:
        `[(batch, n), (batch, n)]`, n >= 2.

    Output shape:
        `(batch, n)`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers.hyperspherical_kl_regularizer import (
    ...     HypersphericalKLRegularizer)
    >>> layer = HypersphericalKLRegularizer(prior="compressed", seed=0)
    >>> mu = np.random.default_rng(0).normal(size=(16, 8)).astype("float32")
    >>> z = layer([mu, np.ones_like(mu)], training=True)
    >>> [round(float(r), 4) for r in np.linalg.norm(np.asarray(z), axis=-1)[:3]]
    [2.8284, 2.8284, 2.8284]
    >>> len(layer.losses)
    1

    Reference:
        "Improving the Generation of VAEs with High Dimensional Latent Spaces
        by the use of Hyperspherical Coordinates" and "Is the Sparsity of
        High Dimensional Spaces the Reason why VAEs are Poor Generative
        Models?" (the HSC-VAE papers, `seeds/000_*`, `seeds/001_*`).
    """

    def __init__(
        self,
        prior="compressed",
        gains="all_ones",
        beta=1.0,
        rescale=True,
        inference="mean",
        return_terms=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.prior = check_prior(prior)
        self.gains = check_gains(gains)
        self.beta = check_beta(beta)
        if not isinstance(rescale, bool):
            raise ValueError(f"`rescale` must be a bool. Received: rescale={rescale!r}")
        self.rescale = rescale
        self.inference = check_inference(inference)
        if not isinstance(return_terms, bool):
            raise ValueError(
                "`return_terms` must be a bool. "
                f"Received: return_terms={return_terms!r}"
            )
        self.return_terms = return_terms
        self.seed = check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.beta_weight = add_beta_weight(self, self.beta)

    def build(self, input_shape):
        mu_shape, sigma_shape = _two_shapes(input_shape)
        _check_same_shape(mu_shape, sigma_shape)
        n = mu_shape[-1]
        if n is None or n < 2:
            raise ValueError(
                "The latent size n (last axis of `mu`) must be known and >= 2. "
                f"Received: input_shape={input_shape}"
            )
        self.latent_dim = int(n)
        # Constants (float64 numpy): ValueError here if `gains` has != n-1 entries.
        self._targets = prior_targets(self.prior, self.latent_dim)
        self._gains = hsc_gains(self.gains, self.latent_dim)

    @property
    def targets(self):
        """The prior targets (dict of float64 numpy arrays; after `build`)."""
        return dict(self._targets)

    def penalty(self, mu, sigma):
        """`L_ang + L_rad` for a batch (without the weight `beta`)."""
        if not self.built:
            self.build([tuple(mu.shape), tuple(sigma.shape)])
        return hsc_penalty(mu, sigma, self._targets, self._gains)

    def penalty_terms(self, mu, sigma, all_reduce=None):
        """`{"angular": L_ang, "radial": L_rad}` for a batch (without `beta`).

        `all_reduce`: `None` or a cross-replica sum (global statistics).
        """
        if not self.built:
            self.build([tuple(mu.shape), tuple(sigma.shape)])
        return hsc_penalty_terms(
            mu, sigma, self._targets, self._gains, all_reduce=all_reduce
        )

    def call(self, inputs, training=None):
        mu, sigma = inputs
        # `build` saw only the first shapes: a later batch of mu and sigma
        # of different sizes would fail deep inside the batch statistics.
        _check_same_shape(tuple(mu.shape), tuple(sigma.shape))
        # Global-batch statistics under tf.distribute (None elsewhere).
        terms = self.penalty_terms(mu, sigma, all_reduce=cross_replica_sum())
        penalty = terms["angular"] + terms["radial"]
        loss = ops.cast(self.beta_weight, penalty.dtype) * penalty
        if cross_replica_sum() is None:
            self.add_loss(loss)
        else:
            # The all-reduce above let the other replicas' threads run this
            # layer; Keras keeps one loss list per layer, shared by them:
            # keep this replica's loss in a list of its own thread.
            self._replica_losses().append(loss)
        if training or self.inference == "sample":
            eps = keras.random.normal(
                ops.shape(mu), dtype=mu.dtype, seed=replica_seed(self.seed_generator)
            )
            z = mu + eps * ops.cast(sigma, mu.dtype)
        else:
            z = mu
        if self.rescale:
            z = rescale_to_radius(z, math.sqrt(self.latent_dim))
        if self.return_terms:
            return z, terms
        return z

    def _replica_losses(self):
        """This thread's (this replica's) added losses under tf.distribute."""
        by_layer = _REPLICA_LOSSES.__dict__.setdefault(
            "by_layer", weakref.WeakKeyDictionary()
        )
        return by_layer.setdefault(self, [])

    def _get_own_losses(self):
        return super()._get_own_losses() + self._replica_losses()

    def _clear_losses(self):
        super()._clear_losses()
        self._replica_losses().clear()

    def compute_output_shape(self, input_shape):
        shape = tuple(_two_shapes(input_shape)[0])
        if self.return_terms:
            return shape, {"angular": (), "radial": ()}
        return shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "prior": self.prior,
            "gains": self.gains,
            "beta": self.beta,
            "rescale": self.rescale,
            "inference": self.inference,
            "return_terms": self.return_terms,
            "seed": self.seed,
        }
        return {**base_config, **config}


def _two_shapes(input_shape):
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
        raise ValueError(
            "`HypersphericalKLRegularizer` expects two inputs `[mu, sigma]`. "
            f"Received: input_shape={input_shape}"
        )
    mu_shape, sigma_shape = input_shape
    if not isinstance(mu_shape, (list, tuple)) or not isinstance(
        sigma_shape, (list, tuple)
    ):
        raise ValueError(
            "`HypersphericalKLRegularizer` expects two inputs `[mu, sigma]`. "
            f"Received: input_shape={input_shape}"
        )
    return tuple(mu_shape), tuple(sigma_shape)


def _check_same_shape(mu_shape, sigma_shape):
    """ValueError unless mu and sigma are (batch, n) of one shape (None: any)."""
    same = len(mu_shape) == 2 and len(sigma_shape) == 2
    same = same and all(
        a is None or b is None or a == b for a, b in zip(mu_shape, sigma_shape)
    )
    if not same:
        raise ValueError(
            "`HypersphericalKLRegularizer` expects `[mu, sigma]`, two "
            "tensors of the same shape (batch, n). Received: "
            f"input_shape={[mu_shape, sigma_shape]}"
        )
