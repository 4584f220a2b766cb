"""The hyperspherical VAE (S-VAE)."""

import keras

from keras_hsvae._validation import check_sphere_dim
from keras_hsvae.layers.posteriors import get_posterior, list_posteriors
from keras_hsvae.models.base import AutoEncoder


@keras.saving.register_keras_serializable(package="keras_hsvae")
class SVAE(AutoEncoder):
    """A hyperspherical VAE (S-VAE): a spherical posterior, uniform prior.

    The latent lives on the unit sphere S^(m-1) in `R^latent_dim` (m =
    `latent_dim`, the ambient size; the S-VAE paper's `d` is the manifold
    dimension m - 1). `posterior` is a registered spherical posterior
    (`"vmf"`: von Mises-Fisher with Wood's rejection sampler;
    `"power_spherical"`: the Power Spherical distribution) or a posterior
    layer. With `score_correction=True` the loss adds the score-function
    correction of Davidson et al. (2018, eq. 9), zero in value, so the
    concentration gradient is unbiased; it is off by default: on the
    paper's MNIST model it multiplies the variance of the whole gradient
    11.5-fold at initialisation and 3.4-fold after one epoch (that of the
    concentration head 87,000-fold and 140-fold;
    `benchmarks/score_correction.py`), and the authors' code omits it.

    Logs `loss`, `reconstruction`, `kl` and `concentration` (batch mean).

    Args:
        encoder, decoder, beta, likelihood, seed, sampler: as in `BetaVAE`.
        latent_dim: integer >= 2 (ambient dimension m).
        posterior: a name of `keras_hsvae.layers.list_posteriors(
            spherical=True)` or a spherical posterior layer of size
            `latent_dim`.
        score_correction: bool, add the score-function gradient term.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import SVAE, mlp_decoder, mlp_encoder
    >>> vae = SVAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3, seed=1)
    >>> vae.compile(optimizer="adam")
    >>> x = (np.random.default_rng(0).random((8, 6)) > 0.5).astype("float32")
    >>> sorted(vae.fit(x, epochs=1, verbose=0).history)
    ['concentration', 'kl', 'loss', 'reconstruction']
    >>> z = keras.ops.convert_to_numpy(vae.embed(x))
    >>> bool(np.allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5))
    True
    """

    LOGGED = ("kl", "concentration")

    class _Names:
        """`SVAE.POSTERIORS`: the registered spherical posteriors (live)."""

        def __get__(self, instance, owner):
            return list_posteriors(spherical=True)

    POSTERIORS = _Names()

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        beta=1.0,
        posterior="vmf",
        score_correction=False,
        **kwargs,
    ):
        super().__init__(
            encoder, decoder, check_sphere_dim(latent_dim, "latent_dim"), beta, **kwargs
        )
        if isinstance(posterior, dict):
            posterior = keras.saving.deserialize_keras_object(posterior)
        # The name is kept for the config; a layer is serialized whole.
        self._posterior_name = posterior if isinstance(posterior, str) else None
        if isinstance(posterior, str):
            self.posterior = get_posterior(
                posterior,
                dim=self.latent_dim,
                spherical=True,
                beta=self.beta,
                score_correction=score_correction,
                seed=self.seed,
                dtype=self.dtype_policy,
                name="posterior",
            )
        else:
            self.posterior = get_posterior(
                posterior, dim=self.latent_dim, spherical=True
            )
            score_correction = self.posterior.score_correction
        self.score_correction = score_correction

    @property
    def posterior_kind(self):
        """The registered name of the posterior (`"vmf"`, ...)."""
        return self.posterior.registered_name

    def latent(self, features, training=None):
        return self.posterior(features, training=training, return_terms=True)

    def encode(self, x):
        """`{"mean_direction": (B, m), "concentration": (B,)}`."""
        return self.posterior.parameters(self._features(x))

    def embed(self, x):
        """The posterior mode (the mean direction), on the unit sphere."""
        return self.encode(x)["mean_direction"]

    def posterior_distribution(self, x):
        """`q(z | x)` as a distribution object."""
        return self.posterior.distribution(self._features(x))

    def prior_distribution(self):
        """The uniform distribution on S^(latent_dim - 1)."""
        return self.posterior.prior()

    def get_config(self):
        config = super().get_config()
        config["posterior"] = self._posterior_name or (
            keras.saving.serialize_keras_object(self.posterior)
        )
        config["score_correction"] = self.score_correction
        return config
