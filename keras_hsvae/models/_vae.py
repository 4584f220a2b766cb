"""Variational auto-encoders assembled from an encoder, a posterior layer and
a decoder; trained with `model.fit(x)` and no user loss."""

import keras
from keras import ops

from keras_hsvae.distributions import HypersphericalUniform
from keras_hsvae.layers import (
    GaussianPosterior,
    PowerSphericalPosterior,
    ProductVonMisesFisherPosterior,
    VonMisesFisherPosterior,
)
from keras_hsvae.layers._validation import check_beta, check_seed

LIKELIHOODS = ("bernoulli", "gaussian")


def _check_latent_dim(latent_dim, minimum=1):
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int):
        ok = False
    else:
        ok = latent_dim >= minimum
    if not ok:
        raise ValueError(
            f"`latent_dim` must be an integer >= {minimum}. "
            f"Received: latent_dim={latent_dim!r}"
        )
    return latent_dim


class _VAE(keras.Model):
    """Shared machinery. Subclasses set `self.posterior` and `_prior_sample`."""

    _score_correction = False

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        beta=1.0,
        likelihood="bernoulli",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"`likelihood` must be one of {LIKELIHOODS}. "
                f"Received: likelihood={likelihood!r}"
            )
        for name, value in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(value, keras.Model):
                raise ValueError(
                    f"`{name}` must be a keras.Model. Received: {name}={value!r}"
                )
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = latent_dim
        self.beta = check_beta(beta)
        self.likelihood = likelihood
        self.seed = check_seed(seed)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    # -- forward pass -------------------------------------------------------
    def call(self, inputs, training=None):
        features = self.encoder(inputs, training=training)
        out = self.posterior(features, training=training)
        if self._score_correction:
            z, correction = out
        else:
            z, correction = out, ops.zeros_like(out[..., 0])
        outputs = {
            "reconstruction": self.decoder(z, training=training),
            "correction": correction,
        }
        outputs.update(self._diagnostics(features))
        return outputs

    def _diagnostics(self, features):
        return {"kl": self.posterior.kl(features)}

    def _reconstruction_per_example(self, x, decoded):
        x = ops.cast(x, decoded.dtype)
        if self.likelihood == "bernoulli":
            per_pixel = ops.binary_crossentropy(x, decoded, from_logits=True)
        else:
            per_pixel = ops.square(x - decoded)
        return ops.sum(ops.reshape(per_pixel, (ops.shape(x)[0], -1)), axis=-1)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        # beta * KL, added by the posterior layer with `add_loss`.
        kl_term = super().compute_loss(
            x=x, y=None, y_pred=None, sample_weight=sample_weight, training=training
        )
        recon = self._reconstruction_per_example(x, y_pred["reconstruction"])
        # Score-function correction for the vMF rejection sampler (S-VAE,
        # Davidson et al. 2018, eq. 9): the gradient of
        # mean(stop_gradient(recon) * c) is the missing part of the
        # concentration gradient. `s - stop_gradient(s)` is 0 in value, so the
        # logged loss stays the negative ELBO, but it keeps the gradient.
        score = ops.mean(ops.stop_gradient(recon) * y_pred["correction"])
        total = ops.mean(recon) + (score - ops.stop_gradient(score))
        if kl_term is not None:
            total = total + ops.cast(kl_term, total.dtype)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        recon = self._reconstruction_per_example(x, y_pred["reconstruction"])
        self.reconstruction_tracker.update_state(recon)
        self.kl_tracker.update_state(y_pred["kl"])
        self._update_extra_metrics(y_pred)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def _update_extra_metrics(self, y_pred):
        pass

    # -- user API -----------------------------------------------------------
    def encode(self, x):
        """The posterior parameters of `x` (a dict of tensors)."""
        return self.posterior.parameters(self.encoder(x, training=False))

    def embed(self, x):
        """The deterministic latent code of `x` (the posterior mode)."""
        out = self.posterior(self.encoder(x, training=False), training=False)
        return out[0] if self._score_correction else out

    def decode(self, z):
        """Bernoulli probabilities or Gaussian means for latent codes `z`."""
        out = self.decoder(z, training=False)
        return ops.sigmoid(out) if self.likelihood == "bernoulli" else out

    def reconstruct(self, x):
        """`decode(embed(x))`."""
        return self.decode(self.embed(x))

    def generate(self, n, seed=None, sampler=None):
        """Decode `n` latent codes from the prior, or from `sampler(n, seed)`."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"`n` must be an integer >= 1. Received: n={n!r}")
        z = sampler(n, seed) if sampler is not None else self._prior_sample(n, seed)
        return self.decode(z)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "latent_dim": self.latent_dim,
                "beta": self.beta,
                "likelihood": self.likelihood,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_hsvae")
class BetaVAE(_VAE):
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
        _check_latent_dim(latent_dim)
        self.posterior = GaussianPosterior(
            latent_dim, beta=self.beta, seed=self.seed, name="posterior"
        )

    def _prior_sample(self, n, seed):
        return keras.random.normal((n, self.latent_dim), seed=seed)


@keras.saving.register_keras_serializable(package="keras_hsvae")
class SVAE(_VAE):
    """A hyperspherical VAE (S-VAE): vMF posterior, uniform prior on S^(m-1).

    The latent lives on the unit sphere in `R^latent_dim`. With
    `posterior="vmf"` the sampler is Wood's rejection sampler; the loss adds
    the score-function correction term of Davidson et al. (2018, eq. 9),
    `stop_gradient(recon_per_example) * c`, so the concentration gradient is
    unbiased (the term is zero in value: the logged loss is the negative
    ELBO). `posterior="power_spherical"` uses the reparameterizable
    Power Spherical distribution instead (no correction needed).

    Logs `loss`, `reconstruction`, `kl` and `concentration` (batch mean).

    Args:
        encoder, decoder, beta, likelihood, seed: as in `BetaVAE`.
        latent_dim: integer >= 2 (ambient dimension m).
        posterior: `"vmf"` or `"power_spherical"`.

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

    _score_correction = True
    POSTERIORS = ("vmf", "power_spherical")

    def __init__(
        self, encoder, decoder, latent_dim, beta=1.0, posterior="vmf", **kwargs
    ):
        super().__init__(encoder, decoder, latent_dim, beta, **kwargs)
        _check_latent_dim(latent_dim, 2)
        if posterior not in self.POSTERIORS:
            raise ValueError(
                f"`posterior` must be one of {self.POSTERIORS}. "
                f"Received: posterior={posterior!r}"
            )
        self.posterior_kind = posterior
        layer = (
            VonMisesFisherPosterior if posterior == "vmf" else PowerSphericalPosterior
        )
        self.posterior = layer(
            latent_dim,
            beta=self.beta,
            return_score_correction=True,
            seed=self.seed,
            name="posterior",
        )
        self.concentration_tracker = keras.metrics.Mean(name="concentration")

    def _diagnostics(self, features):
        params = self.posterior.parameters(features)
        return {
            "kl": self.posterior.kl(features),
            "concentration": params["concentration"],
        }

    def _update_extra_metrics(self, y_pred):
        self.concentration_tracker.update_state(y_pred["concentration"])

    def _prior_sample(self, n, seed):
        return HypersphericalUniform(self.latent_dim).sample((n,), seed=seed)

    def get_config(self):
        return {**super().get_config(), "posterior": self.posterior_kind}


@keras.saving.register_keras_serializable(package="keras_hsvae")
class ProductSVAE(_VAE):
    """An S-VAE whose latent is a product of spheres (vMF shells).

    `shell_dims=[m_1, ..., m_k]` gives a latent of dimension `sum(m_i)`, the
    concatenation of unit vectors on S^(m_i - 1), with a uniform prior on each
    shell. Uses the same score-function correction as `SVAE`. Logs `loss`,
    `reconstruction`, `kl` (total), `kl_shell_<i>` and `concentration`
    (mean over shells and batch).

    Args:
        encoder, decoder, beta, likelihood, seed: as in `BetaVAE`.
        shell_dims: list of integers >= 2.

    Example:

    >>> from keras_hsvae.models import ProductSVAE, mlp_decoder, mlp_encoder
    >>> vae = ProductSVAE(mlp_encoder((6,), (8,)), mlp_decoder(5, (6,), (8,)),
    ...                   shell_dims=[3, 2])
    >>> vae.latent_dim
    5
    """

    _score_correction = True

    def __init__(self, encoder, decoder, shell_dims, beta=1.0, **kwargs):
        kwargs.pop("latent_dim", None)
        try:
            dims = [d for d in shell_dims]
            ok = len(dims) > 0 and all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 2 for d in dims
            )
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(
                "`shell_dims` must be a non-empty list of integers >= 2. "
                f"Received: shell_dims={shell_dims!r}"
            )
        super().__init__(encoder, decoder, sum(dims), beta, **kwargs)
        self.shell_dims = dims
        self.posterior = ProductVonMisesFisherPosterior(
            dims,
            beta=self.beta,
            return_score_correction=True,
            seed=self.seed,
            name="posterior",
        )
        self.shell_kl_trackers = [
            keras.metrics.Mean(name=f"kl_shell_{i}") for i in range(len(dims))
        ]
        self.concentration_tracker = keras.metrics.Mean(name="concentration")

    def _diagnostics(self, features):
        kls = self.posterior.kl_per_shell(features)
        kappas = self.posterior.parameters(features)["concentration"]
        return {
            "kl": sum(kls),
            "kl_shells": kls,
            "concentration": ops.mean(ops.stack(kappas, axis=-1), axis=-1),
        }

    def _update_extra_metrics(self, y_pred):
        for tracker, kl in zip(self.shell_kl_trackers, y_pred["kl_shells"]):
            tracker.update_state(kl)
        self.concentration_tracker.update_state(y_pred["concentration"])

    def _prior_sample(self, n, seed):
        seed = keras.random.SeedGenerator(seed) if isinstance(seed, int) else seed
        return ops.concatenate(
            [HypersphericalUniform(d).sample((n,), seed=seed) for d in self.shell_dims],
            axis=-1,
        )

    def get_config(self):
        config = super().get_config()
        del config["latent_dim"]
        return {**config, "shell_dims": self.shell_dims}
