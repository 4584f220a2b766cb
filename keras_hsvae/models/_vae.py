"""Variational auto-encoders assembled from an encoder, a posterior layer and
a decoder; trained with `model.fit(x)` and no user loss."""

import copy
import math

import keras
from keras import ops

from keras_hsvae.distributions import (
    HypersphericalUniform,
    Normal,
    ProductHypersphericalUniform,
)
from keras_hsvae.layers import (
    Centerization,
    GaussianPosterior,
    HypersphericalKLRegularizer,
    PowerSphericalPosterior,
    ProductVonMisesFisherPosterior,
    Spherization,
    VonMisesFisherPosterior,
)
from keras_hsvae.layers._validation import check_beta, check_seed
from keras_hsvae.ops.sae import rescale_to_radius

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
    # Name under which the (unweighted) KL term is logged; None: no KL.
    _kl_metric_name = "kl"

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        beta=1.0,
        likelihood="bernoulli",
        seed=None,
        sampler=None,
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
        if sampler is not None and not callable(sampler):
            raise ValueError(
                "`sampler` must be None or a callable `sampler(n, seed)`. "
                f"Received: sampler={sampler!r}"
            )
        # Default latent sampler of `generate` (None: the prior).
        self.sampler = sampler
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        if self._kl_metric_name is not None:
            self.kl_tracker = keras.metrics.Mean(name=self._kl_metric_name)

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
        # beta * KL, added by the posterior layer with `add_loss` (none for SAE).
        kl_term = None
        if self._kl_metric_name is not None:
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
        if self._kl_metric_name is not None:
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
        # Through the distribution, not the layer: no KL is computed here.
        return self.posterior_distribution(x).mode()

    def decode(self, z):
        """Bernoulli probabilities or Gaussian means for latent codes `z`."""
        out = self.decoder(z, training=False)
        return ops.sigmoid(out) if self.likelihood == "bernoulli" else out

    def reconstruct(self, x):
        """`decode(embed(x))`."""
        return self.decode(self.embed(x))

    def posterior_distribution(self, x):
        """The approximate posterior `q(z | x)` as a distribution object."""
        return self.posterior.distribution(self.encoder(x, training=False))

    def prior_distribution(self):
        """The prior `p(z)` as a distribution object (batch shape `()`)."""
        raise NotImplementedError

    def log_likelihood(self, x, decoded):
        """Per-example `log p(x | z)` for decoder outputs `decoded` of `z`.

        Bernoulli: minus the binary cross-entropy summed over pixels.
        Gaussian: `N(x; decoded, 1/2 I)`, whose negative log-density is the
        training loss's sum of squared errors plus `D/2 log(pi)` (D pixels),
        so ELBOs and marginal likelihoods are normalized densities.
        """
        recon = self._reconstruction_per_example(x, decoded)
        if self.likelihood == "bernoulli":
            return -recon
        num_pixels = math.prod(ops.shape(x)[1:])
        return -recon - 0.5 * num_pixels * math.log(math.pi)

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """Load a model from a built-in preset name or a preset folder.

        See `keras_hsvae.presets.load_preset`; raises `ValueError` when the
        preset holds a different model class.
        """
        from keras_hsvae import presets

        return presets.load_preset(preset, expected_class=cls, **kwargs)

    def generate(self, n, seed=None, sampler=None):
        """Decode `n` latent codes drawn by `sampler(n, seed)`.

        `sampler` defaults to `self.sampler` (e.g. a fitted sampler from
        `keras_hsvae.samplers`) and, when that is `None`, to the prior.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"`n` must be an integer >= 1. Received: n={n!r}")
        return self.decode(self.sample_latent(n, seed=seed, sampler=sampler))

    def sample_latent(self, n, seed=None, sampler=None):
        """`n` latent codes from `sampler`, `self.sampler` or the prior."""
        sampler = sampler if sampler is not None else self.sampler
        if sampler is not None:
            return sampler(n, seed)
        return self._prior_sample(n, seed)

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
        if self.sampler is not None:
            if not hasattr(self.sampler, "get_config"):
                raise ValueError(
                    "`model.sampler` has no `get_config` and cannot be saved with "
                    "the model; use a sampler from `keras_hsvae.samplers` or set "
                    f"`model.sampler = None` first. Received: {self.sampler!r}"
                )
            config["sampler"] = keras.saving.serialize_keras_object(self.sampler)
        return config

    @classmethod
    def from_config(cls, config):
        # Deep copy: Keras' deserialization consumes the nested configs.
        config = copy.deepcopy(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        if config.get("sampler") is not None:
            config["sampler"] = keras.saving.deserialize_keras_object(config["sampler"])
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

    def prior_distribution(self):
        return Normal.standard(self.latent_dim)

    def posterior_distribution(self, x):
        params = self.encode(x)
        return Normal(params["mean"], params["stddev"])


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

    def prior_distribution(self):
        return HypersphericalUniform(self.latent_dim)

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
        # A flat dict of tensors (no list): SavedModel signatures need it.
        per_shell = {f"kl_shell_{i}": kl for i, kl in enumerate(kls)}
        return {
            "kl": sum(kls),
            **per_shell,
            "concentration": ops.mean(ops.stack(kappas, axis=-1), axis=-1),
        }

    def _update_extra_metrics(self, y_pred):
        for tracker in self.shell_kl_trackers:
            tracker.update_state(y_pred[tracker.name])
        self.concentration_tracker.update_state(y_pred["concentration"])

    def _prior_sample(self, n, seed):
        seed = keras.random.SeedGenerator(seed) if isinstance(seed, int) else seed
        return ops.concatenate(
            [HypersphericalUniform(d).sample((n,), seed=seed) for d in self.shell_dims],
            axis=-1,
        )

    def prior_distribution(self):
        return ProductHypersphericalUniform(self.shell_dims)

    def get_config(self):
        config = super().get_config()
        del config["latent_dim"]
        return {**config, "shell_dims": self.shell_dims}


@keras.saving.register_keras_serializable(package="keras_hsvae")
class HSCVAE(_VAE):
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
        encoder, decoder, seed: as in `BetaVAE`.
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

    _kl_metric_name = "regularizer"

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
            encoder, decoder, latent_dim, beta, likelihood=likelihood, **kwargs
        )
        _check_latent_dim(latent_dim, 2)
        self.mean_dense = keras.layers.Dense(latent_dim, name="mean")
        self.scale_dense = keras.layers.Dense(latent_dim, name="scale")
        self.regularizer = HypersphericalKLRegularizer(
            prior=prior,
            gains=gains,
            beta=self.beta,
            rescale=rescale,
            return_terms=True,
            seed=self.seed,
            name="regularizer",
        )
        self.prior = self.regularizer.prior
        self.gains = self.regularizer.gains
        self.rescale = rescale
        self.angular_tracker = keras.metrics.Mean(name="angular")
        self.radial_tracker = keras.metrics.Mean(name="radial")

    def _mu_sigma(self, features):
        return self.mean_dense(features), ops.softplus(self.scale_dense(features))

    def call(self, inputs, training=None):
        mu, sigma = self._mu_sigma(self.encoder(inputs, training=training))
        z, terms = self.regularizer([mu, sigma], training=training)
        return {
            "reconstruction": self.decoder(z, training=training),
            "correction": ops.zeros_like(z[..., 0]),
            "kl": terms["angular"] + terms["radial"],
            "angular": terms["angular"],
            "radial": terms["radial"],
        }

    def _update_extra_metrics(self, y_pred):
        self.angular_tracker.update_state(y_pred["angular"])
        self.radial_tracker.update_state(y_pred["radial"])

    def encode(self, x):
        """`{"mean": mu, "stddev": sigma}`, each `(batch, latent_dim)`."""
        mu, sigma = self._mu_sigma(self.encoder(x, training=False))
        return {"mean": mu, "stddev": sigma}

    def embed(self, x):
        """`mu`, rescaled to radius sqrt(n) when `rescale=True`."""
        mu = self.mean_dense(self.encoder(x, training=False))
        # The inference path of the layer, without computing its penalty.
        if self.rescale:
            return rescale_to_radius(mu, math.sqrt(self.latent_dim))
        return mu

    @property
    def radius(self):
        """The latent radius sqrt(n) (`None` when `rescale=False`)."""
        return math.sqrt(self.latent_dim) if self.rescale else None

    def _prior_sample(self, n, seed):
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


P_NORM_LIKELIHOOD = "p_norm"


@keras.saving.register_keras_serializable(package="keras_hsvae")
class SAE(_VAE):
    """The Spherical Auto-Encoder (SAE; SPEC section 5).

    A plain auto-encoder whose latent is centerized (mean of the entries
    removed) and spherized (projected to the sphere of radius `radius`):
    `z = spherize(centerize(Dense(latent_dim)(encoder(x))))`. The loss is the
    per-example `||x - x_hat||_p` (the p-norm of the flattened residual,
    not raised to the p-th power), averaged over the batch; there is no KL.

    Samples (Algorithm 1 of 003): draw from any distribution, centerize,
    spherize, decode. The default sampler draws `N(0, I)`, which makes `z`
    uniform on the unit (n-2)-sphere of the hyperplane `sum(z) = 0`;
    `keras_hsvae.samplers.SphericalPriorSampler` offers the others.

    Logs `loss` and `reconstruction`.

    Args:
        encoder, decoder, seed: as in `BetaVAE`; `decode` returns the raw
            decoder output (end the decoder with an activation if needed).
        latent_dim: integer >= 2.
        p: float >= 1, the norm of the reconstruction loss.
        radius: positive float, the latent sphere's radius.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import SAE, mlp_decoder, mlp_encoder
    >>> ae = SAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3)
    >>> ae.compile(optimizer="adam")
    >>> x = np.random.default_rng(0).random((8, 6)).astype("float32")
    >>> sorted(ae.fit(x, epochs=1, verbose=0).history)
    ['loss', 'reconstruction']
    >>> z = keras.ops.convert_to_numpy(ae.embed(x))
    >>> bool(np.allclose(z.sum(axis=-1), 0.0, atol=1e-5))
    True

    Reference:
        "Latent Variables on Spheres for Sampling and Spherical Inference"
        (`seeds/003_*`).
    """

    _kl_metric_name = None

    def __init__(self, encoder, decoder, latent_dim, p=2.0, radius=1.0, **kwargs):
        kwargs.pop("beta", None)
        kwargs.pop("likelihood", None)
        super().__init__(encoder, decoder, latent_dim, 0.0, "gaussian", **kwargs)
        _check_latent_dim(latent_dim, 2)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not p >= 1:
            raise ValueError(f"`p` must be a number >= 1. Received: p={p!r}")
        self.p = float(p)
        self.likelihood = P_NORM_LIKELIHOOD
        self.code_dense = keras.layers.Dense(latent_dim, name="code")
        self.centerization = Centerization(name="centerization")
        self.spherization = Spherization(radius=radius, name="spherization")
        self.radius = self.spherization.radius

    def call(self, inputs, training=None):
        z = self._latent(inputs, training)
        return {
            "reconstruction": self.decoder(z, training=training),
            "correction": ops.zeros_like(z[..., 0]),
        }

    def _latent(self, x, training=False):
        code = self.code_dense(self.encoder(x, training=training))
        return self.spherization(self.centerization(code))

    def _reconstruction_per_example(self, x, decoded):
        x = ops.cast(x, decoded.dtype)
        residual = ops.reshape(x - decoded, (ops.shape(x)[0], -1))
        return p_norm(residual, self.p)

    def encode(self, x):
        """`{"code": pre-projection code, "latent": z on the sphere}`."""
        code = self.code_dense(self.encoder(x, training=False))
        return {"code": code, "latent": self.spherization(self.centerization(code))}

    def embed(self, x):
        """The centerized, spherized latent `z` (shape `(batch, latent_dim)`)."""
        return self._latent(x)

    def decode(self, z):
        """The raw decoder output for latent codes `z`."""
        return self.decoder(z, training=False)

    def log_likelihood(self, x, decoded):
        raise NotImplementedError(
            "SAE is an auto-encoder with a p-norm loss, not a likelihood model."
        )

    def _prior_sample(self, n, seed):
        # Algorithm 1 of 003 with a normal draw: centerize, then spherize.
        raw = keras.random.normal((n, self.latent_dim), seed=seed)
        return self.spherization(self.centerization(raw))

    def prior_distribution(self):
        raise NotImplementedError(
            "SAE has no prior density; `generate` uses Algorithm 1 of 003 "
            "(draw, centerize, spherize)."
        )

    def posterior_distribution(self, x):
        raise NotImplementedError("SAE is deterministic: use `embed(x)`.")

    def get_config(self):
        config = super().get_config()
        for key in ("beta", "likelihood"):
            config.pop(key, None)
        return {**config, "p": self.p, "radius": self.radius}


def p_norm(x, p):
    """Row-wise `||x||_p = (sum_j |x_j|^p)^(1/p)` of a `(batch, d)` tensor."""
    scale = ops.max(ops.abs(x), axis=-1, keepdims=True)
    # Divide by max |x_j| first: no overflow of |x|^p for large p or |x|, and
    # a safe divisor (1) for an all-zero row, whose norm is then 0.
    safe = ops.where(scale > 0, scale, ops.ones_like(scale))
    ratio = ops.abs(x) / safe
    total = ops.sum(ops.power(ratio, p), axis=-1)
    # `total >= 1` for a non-zero row; for a zero row use 1 (finite gradient).
    total = ops.where(scale[:, 0] > 0, total, ops.ones_like(total))
    return scale[:, 0] * ops.power(total, 1.0 / p)
