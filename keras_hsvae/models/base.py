"""The base of every model: encoder, latent, decoder, likelihood.

`AutoEncoder` holds what the five models share: the encoder and decoder,
the likelihood, the KL (or regularizer) added by the latent layer with
`add_loss`, the logged metrics, `encode` / `embed` / `decode` /
`reconstruct` / `generate`, the prior, presets and the config. A model
implements `latent(features, training)`, which returns `z` and the
per-example terms it logs, and the few methods whose meaning differs.
"""

import copy

import keras
import numpy as np
from keras import ops

from keras_hsvae import presets
from keras_hsvae._validation import check_beta, check_int, check_model, check_seed
from keras_hsvae.callbacks import TerminateOnNonFiniteLoss
from keras_hsvae.models._data_checks import checked_data, data_errors
from keras_hsvae.models.likelihoods import get_likelihood
from keras_hsvae.ops._backend_distribute import (
    check_fit_distribution,
    scale_loss_for_replicas,
)
from keras_hsvae.ops.random import check_seed_argument


class AutoEncoder(keras.Model):
    """Base class of the models: trained with `fit(x)` and no user loss.

    The loss is the mean over the batch of the likelihood's per-example
    reconstruction term, plus the losses the latent layer adds (`beta` times
    the KL or the regularizer). When the latent layer returns a
    `score_correction` term `c`, the loss adds `s - stop_gradient(s)` with
    `s = mean(stop_gradient(recon) * c)`: zero in value, so the logged loss
    stays the negative ELBO, with the score-function gradient (002 eq. 9).

    Data parallelism: under `tf.distribute` the reconstruction term is
    divided by the number of replicas, as Keras divides the added losses,
    so one step on R replicas equals the one-device step on the global
    batch and the logged `loss` is the negative ELBO of the global batch
    (see `docs/DISTRIBUTED.md`).

    Subclasses set `LOGGED` (the per-example terms of `latent` logged as
    metrics) and implement `latent`, `encode`, `embed`,
    `prior_distribution` and `get_config`.

    Args:
        encoder: `keras.Model` from inputs to a feature vector.
        decoder: `keras.Model` from latent codes to logits (Bernoulli),
            means (Gaussian) or images (p-norm).
        latent_dim: integer, the latent size.
        beta: float >= 0, initial weight of the KL term.
        likelihood: `"bernoulli"`, `"gaussian"` or `"p_norm"`.
        likelihood_kwargs: constructor arguments of the likelihood (`p`).
        logged: names of the per-example terms logged (default `LOGGED`).
        seed: int or None, seeds the latent layer's sampler.
        sampler: None or a callable `sampler(n, seed)`, the default latent
            sampler of `generate` (None: the prior).
        **kwargs: base `keras.Model` arguments (`name`, `dtype`, ...).
    """

    LOGGED = ("kl",)
    # Whether the latent layer adds a loss (a KL or a regularizer).
    REGULARIZED = True

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        beta=1.0,
        likelihood="bernoulli",
        seed=None,
        sampler=None,
        likelihood_kwargs=None,
        logged=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.encoder = check_model("encoder", encoder)
        self.decoder = check_model("decoder", decoder)
        self.latent_dim = check_int("latent_dim", latent_dim, 1)
        self.beta = check_beta(beta)
        self._likelihood = get_likelihood(likelihood, **(likelihood_kwargs or {}))
        self.seed = check_seed(seed)
        if sampler is not None and not callable(sampler):
            raise ValueError(
                "`sampler` must be None or a callable `sampler(n, seed)`. "
                f"Received: sampler={sampler!r}"
            )
        self.sampler = sampler
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        # Per-example terms of `latent` logged as metrics (`LOGGED` unless a
        # model knows them only from its arguments, e.g. one KL per shell).
        logged = self.LOGGED if logged is None else tuple(logged)
        self.term_trackers = [keras.metrics.Mean(name=name) for name in logged]

    # -- what a model provides ----------------------------------------------
    def latent(self, features, training=None):
        """`{"z": codes, **per-example terms}` for encoder features."""
        raise NotImplementedError(f"{type(self).__name__}.latent")

    def prior_distribution(self):
        """The prior `p(z)` as a distribution object (batch shape `()`)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no prior density; `generate` uses "
            "`sample_prior`."
        )

    def posterior_distribution(self, x):
        """The approximate posterior `q(z | x)` as a distribution object."""
        raise NotImplementedError(
            f"{type(self).__name__} has no posterior density: use `embed(x)`."
        )

    # -- the likelihood -------------------------------------------------------
    @property
    def likelihood(self):
        """The likelihood's name (`"bernoulli"`, `"gaussian"`, `"p_norm"`)."""
        return self._likelihood.name

    @property
    def likelihood_object(self):
        """The `keras_hsvae.models.likelihoods.Likelihood` of the decoder."""
        return self._likelihood

    def log_likelihood(self, x, decoded):
        """Per-example `log p(x | z)` for decoder outputs `decoded` of `z`.

        Bernoulli: minus the binary cross-entropy summed over pixels.
        Gaussian: `N(x; decoded, 1/2 I)`, whose negative log-density is the
        training loss's sum of squared errors plus `D/2 log(pi)` (D pixels),
        so ELBOs and marginal likelihoods are normalized densities.
        """
        return self._likelihood.log_prob(x, decoded)

    def _reconstruction_per_example(self, x, decoded):
        return self._likelihood.loss(x, decoded)

    # -- training -------------------------------------------------------------
    def call(self, inputs, training=None):
        features = self.encoder(inputs, training=training)
        terms = dict(self.latent(features, training=training))
        z = terms.pop("z")
        return {"reconstruction": self.decoder(z, training=training), **terms}

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        # beta * KL (or the regularizer), added by the latent layer.
        added = None
        if self.REGULARIZED:
            added = super().compute_loss(
                x=x, y=None, y_pred=None, sample_weight=sample_weight, training=training
            )
        recon = self._reconstruction_per_example(x, y_pred["reconstruction"])
        # Mixed precision: the loss in float32 at least.
        recon = ops.cast(recon, _loss_dtype(recon.dtype))
        total = ops.mean(recon)
        if "score_correction" in y_pred:
            # Zero in value (the logged loss stays the negative ELBO); its
            # gradient is the score-function part of the kappa gradient.
            c = ops.cast(y_pred["score_correction"], recon.dtype)
            score = ops.mean(ops.stop_gradient(recon) * c)
            total = total + (score - ops.stop_gradient(score))
        # Under tf.distribute: / replicas, as Keras scales `added` (the
        # replicas' gradients are summed; one step = the global-batch step).
        total = scale_loss_for_replicas(total)
        if added is not None:
            total = total + ops.cast(added, total.dtype)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        recon = self._reconstruction_per_example(x, y_pred["reconstruction"])
        self.reconstruction_tracker.update_state(recon)
        for tracker in self.term_trackers:
            tracker.update_state(y_pred[tracker.name])
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, checking the data against the likelihood.

        Finiteness and range (a Bernoulli model refuses data outside [0, 1])
        raise one `ValueError`: a numpy array is checked whole, a
        `tf.data.Dataset` batch by batch as it is read, a
        `keras.utils.PyDataset` or a generator by its first batch; other
        inputs (a PyTorch `DataLoader`) are passed on unchecked. The checks
        change nothing that is trained (no random state is touched). A
        `keras_hsvae.callbacks.TerminateOnNonFiniteLoss` is added to the
        callbacks: the first NaN or inf loss stops training with a
        `NonFiniteLossError` naming the non-finite terms. Raises a
        `RuntimeError` where Keras cannot train data-parallel as asked: a
        `keras.distribution` set on PyTorch, `MultiWorkerMirroredStrategy`
        on TensorFlow (see `docs/DISTRIBUTED.md`).
        """
        # One line instead of silent one-device training (PyTorch with a
        # distribution) or a failure deep in Keras (multi-worker TF).
        check_fit_distribution(self)
        x = checked_data(x, self._likelihood)
        # Stop at the first non-finite loss with a line naming the terms.
        args = list(args)
        # `callbacks` is fit's sixth parameter (after batch_size, epochs, verbose).
        given = args.pop(3) if len(args) > 3 else kwargs.pop("callbacks", None)
        callbacks = list(given or [])
        if not any(isinstance(c, TerminateOnNonFiniteLoss) for c in callbacks):
            callbacks.append(TerminateOnNonFiniteLoss())
        if len(args) > 3:
            args.insert(3, callbacks)
        else:
            kwargs["callbacks"] = callbacks
        # A dataset batch outside the likelihood's range: one line.
        with data_errors(self._likelihood):
            return super().fit(x, y, *args, **kwargs)

    # -- user API -----------------------------------------------------------
    def _features(self, x):
        """Encoder features of a batch `x`, after checking its shape.

        A single example without its batch axis (or any other shape the
        encoder does not take) raises one `ValueError` naming `x` instead of
        Keras' layer error; an empty batch passes (empty results).
        """
        x = _as_batch("x", x)
        expected = _encoder_input_shape(self.encoder)
        shape = tuple(x.shape)
        if expected is not None and (
            len(shape) != len(expected)
            or any(
                e is not None and d is not None and d != e
                for d, e in zip(shape[1:], expected[1:])
            )
        ):
            hint = ""
            if shape == tuple(expected[1:]):
                hint = " For a single example add a batch axis: x[None]."
            wanted = ("batch",) + tuple(expected[1:])
            raise ValueError(
                f"`x` must be a batch of inputs of shape {wanted}.{hint} "
                f"Received: x.shape={shape}"
            )
        return self.encoder(x, training=False)

    def encode(self, x):
        """The posterior parameters of `x` (a dict of tensors)."""
        raise NotImplementedError(f"{type(self).__name__}.encode")

    def embed(self, x):
        """The deterministic latent code of `x`."""
        raise NotImplementedError(f"{type(self).__name__}.embed")

    def decode(self, z):
        """Bernoulli probabilities, Gaussian means or images for codes `z`.

        `z` is a batch of codes, shape `(batch, latent_dim)`; any other shape
        raises one `ValueError` naming `z` instead of Keras' layer error.
        """
        z = _as_batch("z", z)
        shape = tuple(z.shape)
        if len(shape) != 2 or shape[-1] not in (None, self.latent_dim):
            raise ValueError(
                f"`z` must be a batch of codes of shape (batch, {self.latent_dim})."
                f" Received: z.shape={shape}"
            )
        return self._likelihood.mean(self.decoder(z, training=False))

    def reconstruct(self, x):
        """`decode(embed(x))`."""
        return self.decode(self.embed(x))

    def sample_prior(self, n, seed=None):
        """`n` latent codes from the prior, shape `(n, latent_dim)`."""
        return self.prior_distribution().sample((n,), seed=seed)

    def sample_latent(self, n, seed=None, sampler=None):
        """`n` latent codes from `sampler`, `self.sampler` or the prior."""
        sampler = sampler if sampler is not None else self.sampler
        if not isinstance(seed, keras.random.SeedGenerator):
            seed = check_seed_argument(seed)  # one message on every backend
        if sampler is not None:
            return sampler(n, seed)
        return self.sample_prior(n, seed)

    def generate(self, n, seed=None, sampler=None):
        """Decode `n` latent codes drawn by `sampler(n, seed)`.

        `sampler` defaults to `self.sampler` (e.g. a fitted sampler from
        `keras_hsvae.samplers`) and, when that is `None`, to the prior.
        """
        n = check_int("n", n, 1)
        return self.decode(self.sample_latent(n, seed=seed, sampler=sampler))

    # -- presets and config ---------------------------------------------------
    @classmethod
    def from_preset(cls, preset, **kwargs):
        """Load a model from a built-in preset name or a preset folder.

        See `keras_hsvae.presets.load_preset`; raises `ValueError` when the
        preset holds a different model class.
        """
        return presets.load_preset(preset, expected_class=cls, **kwargs)

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


class _PresetsDescriptor:
    """`Model.presets`: the built-in presets of a model class (a dict)."""

    def __get__(self, instance, owner):
        return presets.presets_for_class(owner)


AutoEncoder.presets = _PresetsDescriptor()


def _as_batch(name, x):
    """`x` itself if it has a shape, else as a float32 array (one clear error)."""
    if hasattr(x, "shape"):
        return x
    try:
        return np.asarray(x, "float32")
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be a numeric array. Received: {name}={x!r}"
        ) from None


def _encoder_input_shape(encoder):
    """The encoder's input shape (batch axis first), or None when unknown."""
    try:
        shape = encoder.input_shape
    except (AttributeError, ValueError):
        return None
    if not isinstance(shape, tuple) or not shape or isinstance(shape[0], tuple):
        return None  # no input yet, or several inputs: leave it to Keras
    return shape


def _loss_dtype(dtype):
    """float32 for half dtypes, else `dtype` (any backend's dtype object)."""
    dtype = keras.backend.standardize_dtype(dtype)
    return "float32" if dtype in ("float16", "bfloat16") else dtype
