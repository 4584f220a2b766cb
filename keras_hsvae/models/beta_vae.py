"""The Gaussian beta-VAE baseline."""

import keras

from keras_hsvae.layers.posteriors import GaussianPosterior
from keras_hsvae.models.base import AutoEncoder


@keras.saving.register_keras_serializable(package="keras_hsvae")
class BetaVAE(AutoEncoder):
    """A Gaussian beta-VAE: `N(mu, sigma^2)` posterior, `N(0, I)` prior.

    Loss: reconstruction (summed over pixels) + `beta * KL`, averaged over
    the batch. Logs `loss`, `reconstruction` and `kl` (unweighted).

    Args:
        encoder: `keras.Model` from inputs to a feature vector.
        decoder: `keras.Model` from `latent_dim` to logits (Bernoulli) or
            means (Gaussian) of the input shape.
        latent_dim: integer >= 1.
        beta: float >= 0, initial KL weight (`BetaSchedule` can change it).
        likelihood: `"bernoulli"` (binary cross-entropy from logits) or
            `"gaussian"` (sum of squared errors).
        seed: int or None for the posterior sampler.
        sampler: None or a callable `sampler(n, seed)` for `generate`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> vae = BetaVAE(mlp_encoder((6,), (8,)), mlp_decoder(2, (6,), (8,)), 2)
    >>> vae.compile(optimizer="adam")
    >>> x = (np.random.default_rng(0).random((8, 6)) > 0.5).astype("float32")
    >>> history = vae.fit(x, epochs=1, verbose=0)
    >>> sorted(history.history)
    ['kl', 'loss', 'reconstruction']
    >>> tuple(vae.generate(3, seed=0).shape)
    (3, 6)
    """

    def __init__(self, encoder, decoder, latent_dim, beta=1.0, **kwargs):
        super().__init__(encoder, decoder, latent_dim, beta, **kwargs)
        self.posterior = GaussianPosterior(
            self.latent_dim,
            beta=self.beta,
            seed=self.seed,
            dtype=self.dtype_policy,
            name="posterior",
        )

    def latent(self, features, training=None):
        return self.posterior(features, training=training, return_terms=True)

    def encode(self, x):
        """`{"mean": mu, "stddev": sigma}`, each `(batch, latent_dim)`."""
        return self.posterior.parameters(self._features(x))

    def embed(self, x):
        """The posterior mean `mu`."""
        return self.encode(x)["mean"]

    def posterior_distribution(self, x):
        """`q(z | x)` as a `Normal`."""
        return self.posterior.distribution(self._features(x))

    def prior_distribution(self):
        """`N(0, I)` in R^latent_dim."""
        return self.posterior.prior()
