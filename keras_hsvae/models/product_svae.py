"""The S-VAE with a product of spherical shells (004)."""

import keras

from keras_hsvae.layers.posteriors import (
    ProductPosterior,
    ProductVonMisesFisherPosterior,
)
from keras_hsvae.layers.posteriors.product import check_shell_dims
from keras_hsvae.models.base import AutoEncoder


@keras.saving.register_keras_serializable(package="keras_hsvae")
class ProductSVAE(AutoEncoder):
    """An S-VAE whose latent is a product of spheres ("shells").

    `shell_dims=[m_1, ..., m_k]` gives a latent of dimension `sum(m_i)`, the
    concatenation of unit vectors on S^(m_i - 1), with a uniform prior on each
    shell. Each shell is any registered spherical posterior (`posterior`:
    one name for all shells or one per shell). `score_correction` as in
    `SVAE`. Logs `loss`, `reconstruction`, `kl` (total), `kl_shell_<i>` and
    `concentration` (mean over shells and batch).

    Args:
        encoder, decoder, beta, likelihood, seed, sampler: as in `BetaVAE`.
        shell_dims: list of integers >= 2.
        posterior: `"vmf"` (default), `"power_spherical"`, ... or a list of
            names, one per shell.
        score_correction: bool, add the score-function gradient term.

    Example:

    >>> from keras_hsvae.models import ProductSVAE, mlp_decoder, mlp_encoder
    >>> vae = ProductSVAE(mlp_encoder((6,), (8,)), mlp_decoder(5, (6,), (8,)),
    ...                   shell_dims=[3, 2])
    >>> vae.latent_dim
    5
    """

    def __init__(
        self,
        encoder,
        decoder,
        shell_dims,
        beta=1.0,
        posterior="vmf",
        score_correction=False,
        **kwargs,
    ):
        kwargs.pop("latent_dim", None)
        dims = check_shell_dims(shell_dims)
        shells = tuple(f"kl_shell_{i}" for i in range(len(dims)))
        super().__init__(
            encoder,
            decoder,
            sum(dims),
            beta,
            logged=("kl", *shells, "concentration"),
            **kwargs,
        )
        self.shell_dims = dims
        names = [posterior] * len(dims) if isinstance(posterior, str) else posterior
        # All-vMF shells keep the layer class (and weight paths) of 0.1.
        layer = ProductPosterior
        kwargs = {"posterior": posterior}
        if list(names) == ["vmf"] * len(dims):
            layer, kwargs = ProductVonMisesFisherPosterior, {}
        self.posterior_kind = posterior
        self.score_correction = score_correction
        self.posterior = layer(
            dims,
            beta=self.beta,
            score_correction=score_correction,
            seed=self.seed,
            dtype=self.dtype_policy,
            name="posterior",
            **kwargs,
        )

    def latent(self, features, training=None):
        return self.posterior(features, training=training, return_terms=True)

    def encode(self, x):
        """Per-shell lists: `{"mean_direction": [...], "concentration": [...]}`."""
        return self.posterior.parameters(self._features(x))

    def embed(self, x):
        """The posterior mode: the concatenated mean directions."""
        return self.posterior_distribution(x).mode()

    def posterior_distribution(self, x):
        """`q(z | x)`, a product of the shells' distributions."""
        return self.posterior.distribution(self._features(x))

    def prior_distribution(self):
        """The product of uniform distributions on the shells."""
        return self.posterior.prior()

    def get_config(self):
        config = super().get_config()
        del config["latent_dim"]
        return {
            **config,
            "shell_dims": self.shell_dims,
            "posterior": self.posterior_kind,
            "score_correction": self.score_correction,
        }
