"""The HSC-VAE: a Gaussian VAE regularized in hyperspherical coordinates."""

import math

import keras
from keras import ops

from keras_hsvae._validation import check_latent_dim
from keras_hsvae.distributions import HypersphericalUniform
from keras_hsvae.layers import HypersphericalKLRegularizer
from keras_hsvae.models.base import AutoEncoder
from keras_hsvae.ops.sphere import rescale_to_radius


@keras.saving.register_keras_serializable(package="keras_hsvae")
class HSCVAE(AutoEncoder):
    """The HSC-VAE: a Gaussian VAE regularized in hyperspherical coordinates.

    The encoder features give `mu` (linear) and `sigma` (softplus) of shape
    `(batch, latent_dim)`; `HypersphericalKLRegularizer` adds
    `beta * (L_ang + L_rad)` (SPEC section 2) and returns
    `z = mu + eps * sigma`, rescaled to the sphere of radius
    `sqrt(latent_dim)` when `rescale=True`. The loss is the reconstruction
    (sum of squared errors by default, mean over the batch) plus that term.

    Logs `loss`, `reconstruction`, `regularizer` (`L_ang + L_rad`, without
    beta), `angular` (`L_ang`) and `radial` (`L_rad`).

    Generation: the paper samples from a vMF fitted to the embeddings of
    held-out data (001, section 4.4), not from the prior:
    `model.sampler = keras_hsvae.samplers.FittedVonMisesFisherSampler()
    .fit(model.embed(x_test))`. Without a sampler, `generate` draws uniformly
    on the sphere of radius sqrt(n) (with `rescale=True`) or from `N(0, I)`.

    The regularizer is KL-like, not a KL: the model has no normalized prior
    or posterior density, so `prior_distribution` and
    `posterior_distribution` raise `NotImplementedError` (no ELBO or
    marginal likelihood for this model).

    Args:
        encoder, decoder, seed, sampler: as in `BetaVAE`.
        latent_dim: integer >= 2 (n).
        prior: `"compressed"`, `"moderate"` or `"uncompressed"` (SPEC
            section 2; see `HypersphericalKLRegularizer`).
        gains: `"all_ones"`, `"constant"` or n-1 floats (angle gains).
        beta: float >= 0, the initial weight of the regularizer.
        rescale: bool, put `z` on the sphere of radius sqrt(n).
        likelihood: `"gaussian"` (default, SPEC section 2) or `"bernoulli"`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import HSCVAE, mlp_decoder, mlp_encoder
    >>> vae = HSCVAE(mlp_encoder((6,), (8,)), mlp_decoder(4, (6,), (8,)), 4, seed=0)
    >>> vae.compile(optimizer="adam")
    >>> x = np.random.default_rng(0).random((8, 6)).astype("float32")
    >>> sorted(vae.fit(x, epochs=1, verbose=0).history)
    ['angular', 'loss', 'radial', 'reconstruction', 'regularizer']
    >>> z = keras.ops.convert_to_numpy(vae.embed(x))
    >>> bool(np.allclose(np.linalg.norm(z, axis=-1), 2.0, atol=1e-5))  # sqrt(4)
    True
    """

    LOGGED = ("regularizer", "angular", "radial")

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        prior="compressed",
        gains="all_ones",
        beta=1.0,
        rescale=True,
        likelihood="gaussian",
        **kwargs,
    ):
        super().__init__(
            encoder,
            decoder,
            check_latent_dim(latent_dim, 2),
            beta,
            likelihood=likelihood,
            **kwargs,
        )
        self.mean_dense = keras.layers.Dense(
            self.latent_dim, dtype=self.dtype_policy, name="mean"
        )
        self.scale_dense = keras.layers.Dense(
            self.latent_dim, dtype=self.dtype_policy, name="scale"
        )
        self.regularizer = HypersphericalKLRegularizer(
            prior=prior,
            gains=gains,
            beta=self.beta,
            rescale=rescale,
            return_terms=True,
            seed=self.seed,
            dtype=self.dtype_policy,
            name="regularizer",
        )
        self.prior = self.regularizer.prior
        self.gains = self.regularizer.gains
        self.rescale = rescale

    def _mu_sigma(self, features):
        return self.mean_dense(features), ops.softplus(self.scale_dense(features))

    def latent(self, features, training=None):
        mu, sigma = self._mu_sigma(features)
        z, terms = self.regularizer([mu, sigma], training=training)
        return {
            "z": z,
            "regularizer": terms["angular"] + terms["radial"],
            "angular": terms["angular"],
            "radial": terms["radial"],
        }

    def encode(self, x):
        """`{"mean": mu, "stddev": sigma}`, each `(batch, latent_dim)`."""
        mu, sigma = self._mu_sigma(self._features(x))
        return {"mean": mu, "stddev": sigma}

    def embed(self, x):
        """`mu`, rescaled to radius sqrt(n) when `rescale=True`."""
        mu = self.mean_dense(self._features(x))
        # The inference path of the layer, without computing its penalty.
        if self.rescale:
            return rescale_to_radius(mu, math.sqrt(self.latent_dim))
        return mu

    @property
    def radius(self):
        """The latent radius sqrt(n) (`None` when `rescale=False`)."""
        return math.sqrt(self.latent_dim) if self.rescale else None

    def sample_prior(self, n, seed=None):
        """Uniform on the sphere of radius sqrt(n) (`rescale`), else `N(0, I)`."""
        if not self.rescale:
            return keras.random.normal((n, self.latent_dim), seed=seed)
        u = HypersphericalUniform(self.latent_dim).sample((n,), seed=seed)
        return u * math.sqrt(self.latent_dim)

    def prior_distribution(self):
        raise NotImplementedError(
            "HSCVAE has no normalized prior density: its regularizer is "
            "KL-like, not a KL (SPEC section 2). Use `embed`, `generate` and "
            "reconstruction metrics instead of likelihoods."
        )

    def posterior_distribution(self, x):
        raise NotImplementedError(
            "HSCVAE has no normalized posterior density on its (rescaled) "
            "latent; use `encode(x)` for `mu` and `sigma`."
        )

    def get_config(self):
        return {
            **super().get_config(),
            "prior": self.prior,
            "gains": self.gains,
            "rescale": self.rescale,
        }
