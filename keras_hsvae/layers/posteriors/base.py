"""The posterior-layer contract and the registry of posteriors by name.

A posterior layer maps encoder features to an approximate posterior
`q(z | x)`, adds `beta * mean_batch KL(q || p)` with `add_loss` and returns a
latent sample in training (the mode at inference). Models, the training
entry point and the command line find posteriors by their registered name,
so a new posterior is one ops file, one distribution file, one layer file
(decorated with `register_posterior`) and one test file.
"""

import keras
from keras import ops

from keras_hsvae._validation import check_beta, check_seed
from keras_hsvae.distributions.kl import kl_divergence
from keras_hsvae.layers._validation import add_beta_weight
from keras_hsvae.ops._backend_distribute import replica_seed

_POSTERIORS = {}


def register_posterior(name, spherical):
    """Class decorator: make a posterior layer available by `name`.

    Args:
        name: the name used by `SVAE(posterior=name)`, `get_posterior` and
            the command line.
        spherical: whether samples lie on a unit sphere (such posteriors can
            be the latent of `SVAE` and the shells of `ProductSVAE`).
    """

    def decorate(cls):
        if name in _POSTERIORS and _POSTERIORS[name] is not cls:
            raise ValueError(
                f"A posterior named {name!r} is registered already "
                f"({_POSTERIORS[name].__name__}). Received: {cls.__name__}"
            )
        cls.registered_name = name
        cls.spherical = bool(spherical)
        _POSTERIORS[name] = cls
        return keras.saving.register_keras_serializable(package="keras_hsvae")(cls)

    return decorate


def list_posteriors(spherical=None):
    """Registered posterior names (all, or only the (non-)spherical ones)."""
    return tuple(
        name
        for name, cls in _POSTERIORS.items()
        if spherical is None or cls.spherical == spherical
    )


def get_posterior(identifier, dim=None, spherical=None, **kwargs):
    """A posterior layer from a registered name, or `identifier` itself.

    Args:
        identifier: a name of `list_posteriors()` or a `Posterior` instance.
        dim: the latent size, required with a name.
        spherical: if True, refuse non-spherical posteriors.
        **kwargs: constructor arguments for a name.

    Example:

    >>> layer = get_posterior("vmf", dim=3, seed=0)
    >>> type(layer).__name__, layer.dim
    ('VonMisesFisherPosterior', 3)
    """
    choices = list_posteriors(spherical=spherical or None)
    if isinstance(identifier, Posterior):
        if spherical and not identifier.spherical:
            raise ValueError(
                f"Expected a spherical posterior (one of {choices}). Received: "
                f"posterior={identifier!r}"
            )
        if dim is not None and identifier.dim != dim:
            raise ValueError(
                f"The posterior's `dim` ({identifier.dim}) must equal the latent "
                f"size {dim}. Received: posterior={identifier!r}"
            )
        return identifier
    if not isinstance(identifier, str) or identifier not in choices:
        raise ValueError(
            f"`posterior` must be one of {choices} or a posterior layer. "
            f"Received: posterior={identifier!r}"
        )
    return _POSTERIORS[identifier](dim, **kwargs)


class Posterior(keras.layers.Layer):
    """Base of the posterior layers: features -> `q(z | x)` -> `z`.

    Subclasses implement `parameters(features)`, `distribution_from(params)`
    and `prior(dtype)`; the KL is `kl_divergence(q, prior)` unless a subclass
    has a more stable form (`_distribution_and_kl`).

    Args:
        dim: int, the latent size (for spherical posteriors the ambient
            size m: samples lie on S^{m-1}).
        beta: float >= 0, the initial KL weight, kept in the non-trainable
            scalar `beta_weight` that callbacks may assign during `fit`.
        inference: what the layer returns when not training: the mode
            (`"mode"`, `"mean"` for the Gaussian) or a sample (`"sample"`).
        score_correction: if True, `call` returns `(z, c)`: `c` is zero in
            value and carries the score-function part of the exact gradient
            of a per-example objective `f`; add `stop_gradient(f) * c` to it
            (S-VAE, 002 eq. 9). Posteriors whose samples are fully
            reparameterized return `c = 0`.
        seed: int or None, seeds the layer's `SeedGenerator`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).
    """

    registered_name = None
    spherical = False
    INFERENCE = ("mode", "sample")
    # Terms `call(..., return_terms=True)` returns besides `z` and `kl`.
    TERMS = ()

    def __init__(
        self,
        dim,
        beta=1.0,
        inference=None,
        score_correction=False,
        seed=None,
        **kwargs,
    ):
        # Deprecated alias (before 0.2): `return_score_correction`.
        if "return_score_correction" in kwargs:
            score_correction = kwargs.pop("return_score_correction")
        super().__init__(**kwargs)
        # Checked by Keras before `call`: a built layer given one example
        # without its batch axis gets one line, not the inner Dense's error
        # wrapped in the call's argument dump.
        self.input_spec = keras.InputSpec(min_ndim=2)
        self.dim = dim
        self.beta = check_beta(beta)
        inference = self.INFERENCE[0] if inference is None else inference
        if inference not in self.INFERENCE:
            raise ValueError(
                f"`inference` must be one of {self.INFERENCE}. Received: "
                f"inference={inference!r}"
            )
        self.inference = inference
        if not isinstance(score_correction, bool):
            raise ValueError(
                "`score_correction` must be a bool. Received: "
                f"score_correction={score_correction!r}"
            )
        self.score_correction = score_correction
        self.seed = check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.beta_weight = add_beta_weight(self, self.beta)

    @property
    def return_score_correction(self):
        """Deprecated alias of `score_correction`."""
        return self.score_correction

    # -- what a subclass provides -----------------------------------------
    def parameters(self, features):
        """The posterior parameters for `features`, a dict of tensors."""
        raise NotImplementedError(f"{type(self).__name__}.parameters")

    def distribution_from(self, params):
        """The posterior distribution object for a dict of `parameters`."""
        raise NotImplementedError(f"{type(self).__name__}.distribution_from")

    def prior(self, dtype="float32"):
        """The prior `p(z)` as a distribution object (batch shape `()`)."""
        raise NotImplementedError(f"{type(self).__name__}.prior")

    def terms(self, params, dist):
        """Per-example diagnostics logged by models (see `TERMS`)."""
        return {}

    # -- shared machinery ---------------------------------------------------
    def distribution(self, features):
        """The posterior distribution object for `features`."""
        return self.distribution_from(self.parameters(features))

    def kl(self, features):
        """Per-example `KL(q(z | x) || p(z))`, shape `(batch,)`."""
        return self._distribution_and_kl(features)[2]

    def _distribution_and_kl(self, features):
        params = self.parameters(features)
        dist = self.distribution_from(params)
        return params, dist, kl_divergence(dist, self.prior(dist.dtype))

    def _sample(self, dist):
        """`(z, c)`: a reparameterized sample and its score correction.

        `c` comes from `dist.sample_with_score_correction` when the layer
        asks for it and the distribution has one (vMF, products of vMFs);
        otherwise the sample is fully reparameterized and `c = 0`.
        """
        seed = replica_seed(self.seed_generator)
        if self.score_correction and hasattr(dist, "sample_with_score_correction"):
            return dist.sample_with_score_correction(seed=seed)
        z = dist.sample(seed=seed)
        return z, ops.zeros_like(z[..., 0])

    def _mode(self, dist):
        return dist.mode()

    def call(self, inputs, training=None, return_terms=False):
        params, dist, kl = self._distribution_and_kl(inputs)
        # The loss in float32 at least: half precision loses small KLs.
        loss_kl = ops.cast(kl, _loss_dtype(kl.dtype))
        self.add_loss(ops.cast(self.beta_weight, loss_kl.dtype) * ops.mean(loss_kl))
        if training or self.inference == "sample":
            z, correction = self._sample(dist)
        else:
            z = self._mode(dist)
            correction = ops.zeros_like(z[..., 0])
        if return_terms:
            terms = {"z": z, "kl": kl, **self.terms(params, dist)}
            if self.score_correction:
                terms["score_correction"] = correction
            return terms
        if self.score_correction:
            return z, correction
        return z

    def compute_output_shape(self, input_shape):
        z_shape = tuple(input_shape[:-1]) + (self.dim,)
        if self.score_correction:
            return z_shape, tuple(input_shape[:-1])
        return z_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "dim": self.dim,
            "beta": self.beta,
            "inference": self.inference,
            "score_correction": self.score_correction,
            "seed": self.seed,
        }
        return {**base_config, **config}


def _loss_dtype(dtype):
    dtype = keras.backend.standardize_dtype(dtype)
    return "float32" if dtype in ("float16", "bfloat16") else dtype
