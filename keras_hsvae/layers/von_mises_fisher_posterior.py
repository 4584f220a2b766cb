"""Spherical posterior layers: vMF, Power Spherical and products of vMF shells."""

import keras
from keras import ops

from keras_hsvae.distributions.hyperspherical_uniform import HypersphericalUniform
from keras_hsvae.distributions.kl import kl_divergence
from keras_hsvae.distributions.von_mises_fisher import VonMisesFisher
from keras_hsvae.layers._validation import add_beta_weight, check_beta, check_seed
from keras_hsvae.ops.sae import rescale_to_radius
from keras_hsvae.ops.vmf import DEFAULT_MAX_PROPOSALS

_INFERENCE = ("mode", "sample")


def _check_dim(dim, name="dim"):
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2:
        raise ValueError(
            f"`{name}` must be an integer >= 2: the ambient size m of the "
            f"latent (samples lie on S^{{m-1}}). Received: {name}={dim!r}"
        )
    return dim


class _SphericalPosterior(keras.layers.Layer):
    """Shared machinery: dense heads -> (mu, kappa) -> distribution -> z."""

    distribution_class = None

    def __init__(
        self,
        dim,
        beta=1.0,
        inference="mode",
        concentration_offset=1.0,
        max_proposals=DEFAULT_MAX_PROPOSALS,
        return_score_correction=False,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.dim = _check_dim(dim)
        self.beta = check_beta(beta)
        if inference not in _INFERENCE:
            raise ValueError(
                f"`inference` must be one of {_INFERENCE}. Received: "
                f"inference={inference!r}"
            )
        self.inference = inference
        try:
            offset_ok = float(concentration_offset) >= 0
        except (TypeError, ValueError):
            offset_ok = False
        if not offset_ok:
            raise ValueError(
                "`concentration_offset` must be a float >= 0. Received: "
                f"concentration_offset={concentration_offset!r}"
            )
        self.concentration_offset = float(concentration_offset)
        if isinstance(max_proposals, bool) or int(max_proposals) != max_proposals:
            raise ValueError(
                f"`max_proposals` must be a positive integer. Received: "
                f"max_proposals={max_proposals!r}"
            )
        if max_proposals < 1:
            raise ValueError(
                f"`max_proposals` must be a positive integer. Received: "
                f"max_proposals={max_proposals!r}"
            )
        self.max_proposals = int(max_proposals)
        self.return_score_correction = bool(return_score_correction)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.beta_weight = add_beta_weight(self, self.beta)
        self.mean_dense = keras.layers.Dense(
            self.dim, kernel_initializer=self.kernel_initializer, name="mean_direction"
        )
        self.concentration_dense = keras.layers.Dense(
            1, kernel_initializer=self.kernel_initializer, name="concentration"
        )

    def build(self, input_shape):
        # `parameters` may have built the heads already (called before `call`).
        for head in (self.mean_dense, self.concentration_dense):
            if not head.built:
                head.build(input_shape)
        self.built = True

    def parameters(self, features):
        """Return `{"mean_direction": (B, m), "concentration": (B,)}`."""
        if not self.built:
            self.build(tuple(features.shape))
        # A head output of exactly 0 (e.g. all-zero ReLU features) maps to e_1.
        mu = rescale_to_radius(self.mean_dense(features), 1.0)
        # kappa = softplus(.) + offset (the S-VAE paper uses offset 1).
        raw = self.concentration_dense(features)[..., 0]
        kappa = ops.softplus(raw) + self.concentration_offset
        return {"mean_direction": mu, "concentration": kappa}

    def _distribution(self, params):
        return self.distribution_class(
            params["mean_direction"],
            params["concentration"],
            validate_args=False,
            **self._distribution_kwargs(),
        )

    def _distribution_kwargs(self):
        return {}

    def distribution(self, features):
        """The posterior distribution object for `features`."""
        return self._distribution(self.parameters(features))

    def _kl(self, dist):
        return kl_divergence(dist, HypersphericalUniform(self.dim, dist.dtype))

    def kl(self, features):
        """Per-example KL to the uniform prior, shape `(B,)`."""
        return self._kl(self.distribution(features))

    def _sample(self, dist, with_correction):
        if with_correction:
            return dist.sample_with_score_correction(seed=self.seed_generator)
        return dist.sample(seed=self.seed_generator), None

    def call(self, inputs, training=None):
        dist = self.distribution(inputs)
        kl = self._kl(dist)
        self.add_loss(self.beta_weight * ops.mean(kl))
        correction = None
        if training or self.inference == "sample":
            z, correction = self._sample(dist, self.return_score_correction)
        else:
            z = dist.mode()
        if self.return_score_correction:
            if correction is None:
                correction = ops.zeros_like(z[..., 0])
            return z, correction
        return z

    def compute_output_shape(self, input_shape):
        z_shape = tuple(input_shape[:-1]) + (self.dim,)
        if self.return_score_correction:
            return z_shape, tuple(input_shape[:-1])
        return z_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "beta": self.beta,
                "inference": self.inference,
                "concentration_offset": self.concentration_offset,
                "max_proposals": self.max_proposals,
                "return_score_correction": self.return_score_correction,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hsvae")
class VonMisesFisherPosterior(_SphericalPosterior):
    """von Mises-Fisher posterior on S^{dim-1} with a KL to the uniform prior.

    From encoder features it computes a mean direction (a Dense head,
    normalized) and a concentration `kappa = softplus(Dense(features)) +
    concentration_offset`, adds `beta * mean_batch KL(vMF || Uniform(S^{m-1}))`
    with `add_loss`, and returns a reparameterized sample in training and the
    mode (or a sample, `inference="sample"`) at inference.

    `dim` is the AMBIENT size m: samples are unit vectors in R^m, i.e. they
    lie on the (m-1)-dimensional sphere S^{m-1}. (`dim=3` gives points on the
    ordinary 2-sphere; the reference code's users often confuse the two,
    s-vae-pytorch #16.)

    `beta` initializes a non-trainable variable `beta_weight` that callbacks
    may change during `fit` (e.g. KL warm-up): `layer.beta_weight.assign(b)`.

    Args:
        dim: int >= 2, ambient latent size m.
        beta: float >= 0, initial weight of the KL term.
        inference: `"mode"` (default) or `"sample"`, the output when not
            training.
        concentration_offset: float >= 0 added to the softplus (1.0 as in
            Davidson et al. 2018, which keeps kappa away from 0).
        max_proposals: Wood proposals per sample (see `VonMisesFisher`).
        return_score_correction: if True the layer returns `(z, c)` where `c`
            (value 0) carries the score-function part of the exact kappa
            gradient: add `stop_gradient(f) * c` to a per-example objective
            `f` for unbiased gradients (see `VonMisesFisher`).
        kernel_initializer: initializer of both Dense heads.
        seed: int or None, seeds the layer's `SeedGenerator`.

    Call arguments:
        inputs: float tensor `(batch, features)`.
        training: bool, sample when True.

    Input shape: `(batch, features)`. Output shape: `(batch, dim)` (and
    `(batch,)` for the correction).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers import VonMisesFisherPosterior
    >>> layer = VonMisesFisherPosterior(dim=3, seed=0)
    >>> z = layer(np.ones((2, 8), "float32"), training=True)
    >>> tuple(z.shape), len(layer.losses)
    ((2, 3), 1)

    Reference:
        Davidson, Falorsi, De Cao, Kipf, Tomczak, "Hyperspherical Variational
        Auto-Encoders", UAI 2018.
    """

    distribution_class = VonMisesFisher

    def _distribution_kwargs(self):
        return {"max_proposals": self.max_proposals}


@keras.saving.register_keras_serializable(package="keras_hsvae")
class PowerSphericalPosterior(_SphericalPosterior):
    """Power Spherical posterior on S^{dim-1} with a KL to the uniform prior.

    Same interface as `VonMisesFisherPosterior` (including the meaning of the
    ambient `dim`), with the Power Spherical distribution of De Cao & Aziz
    (2020): no Bessel functions and no rejection on the sphere, hence cheaper.
    Its samples are reparameterized through a Beta draw;
    `return_score_correction` returns zeros (see `PowerSpherical`).

    Args:
        dim: int >= 2, ambient latent size m.
        beta: float >= 0, initial weight of the KL term.
        inference: `"mode"` or `"sample"`.
        concentration_offset: float >= 0 added to the softplus.
        max_proposals: accepted for interface symmetry (unused by the
            distribution unless it rejects internally).
        return_score_correction: return `(z, zeros)` for interface symmetry.
        kernel_initializer: initializer of both Dense heads.
        seed: int or None.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers import PowerSphericalPosterior
    >>> layer = PowerSphericalPosterior(dim=4, seed=0)
    >>> tuple(layer(np.ones((2, 8), "float32"), training=True).shape)
    (2, 4)

    Reference:
        De Cao & Aziz, "The Power Spherical distribution", 2020.
    """

    @property
    def distribution_class(self):
        from keras_hsvae.distributions.power_spherical import PowerSpherical

        return PowerSpherical

    def _sample(self, dist, with_correction):
        z = dist.sample(seed=self.seed_generator)
        return z, (ops.zeros_like(z[..., 0]) if with_correction else None)


@keras.saving.register_keras_serializable(package="keras_hsvae")
class ProductVonMisesFisherPosterior(keras.layers.Layer):
    """Several vMF shells side by side, each with its own concentration.

    The latent `z = concat(z_1, ..., z_K)` with `z_i` on S^{m_i - 1}; the KL
    added with `add_loss` is `beta * mean_batch sum_i KL_i`. `kl_per_shell`
    returns each shell's KL (a shell whose KL goes to 0 is unused; Davidson
    et al. 2019, appendix B).

    Args:
        shell_dims: list of ints >= 2, the ambient size m_i of each shell
            (output size `sum(shell_dims)`).
        beta, inference, concentration_offset, max_proposals,
        return_score_correction, kernel_initializer, seed: as in
            `VonMisesFisherPosterior` (the correction is summed over shells).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers import ProductVonMisesFisherPosterior
    >>> layer = ProductVonMisesFisherPosterior([3, 3, 2], seed=0)
    >>> z = layer(np.ones((4, 8), "float32"), training=True)
    >>> tuple(z.shape), len(layer.kl_per_shell(np.ones((4, 8), "float32")))
    ((4, 8), 3)

    Reference:
        Davidson, Falorsi, De Cao, Kipf, Tomczak, "Increasing Expressivity of
        a Hyperspherical VAE", 2019.
    """

    def __init__(
        self,
        shell_dims,
        beta=1.0,
        inference="mode",
        concentration_offset=1.0,
        max_proposals=DEFAULT_MAX_PROPOSALS,
        return_score_correction=False,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(shell_dims, int) or not list(shell_dims):
            raise ValueError(
                "`shell_dims` must be a non-empty list of ints >= 2. "
                f"Received: shell_dims={shell_dims!r}"
            )
        self.shell_dims = [_check_dim(d, "shell_dims[i]") for d in shell_dims]
        self.beta = check_beta(beta)
        self.inference = inference
        self.concentration_offset = concentration_offset
        self.max_proposals = max_proposals
        self.return_score_correction = bool(return_score_correction)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = check_seed(seed)
        self.beta_weight = add_beta_weight(self, self.beta)
        self.shells = [
            VonMisesFisherPosterior(
                d,
                beta=0.0,
                inference=inference,
                concentration_offset=concentration_offset,
                max_proposals=max_proposals,
                return_score_correction=True,
                kernel_initializer=kernel_initializer,
                seed=None if seed is None else seed + 7919 * i,
                name=f"shell_{i}",
            )
            for i, d in enumerate(self.shell_dims)
        ]
        self.dim = sum(self.shell_dims)

    def build(self, input_shape):
        for shell in self.shells:
            if not shell.built:
                shell.build(input_shape)
        self.built = True

    def parameters(self, features):
        """Per-shell lists: `{"mean_direction": [...], "concentration": [...]}`."""
        params = [shell.parameters(features) for shell in self.shells]
        return {
            "mean_direction": [p["mean_direction"] for p in params],
            "concentration": [p["concentration"] for p in params],
        }

    def distribution(self, features):
        """A `ProductVonMisesFisher` for `features`."""
        from keras_hsvae.distributions.product import ProductVonMisesFisher

        return ProductVonMisesFisher([s.distribution(features) for s in self.shells])

    def kl_per_shell(self, features):
        """List of per-example KLs, one `(B,)` tensor per shell."""
        return [shell.kl(features) for shell in self.shells]

    def kl(self, features):
        return sum(self.kl_per_shell(features))

    def call(self, inputs, training=None):
        zs, corrections, kls = [], [], []
        for shell in self.shells:
            dist = shell.distribution(inputs)
            kls.append(shell._kl(dist))
            correction = None
            if training or self.inference == "sample":
                z, correction = shell._sample(dist, self.return_score_correction)
            else:
                z = dist.mode()
            zs.append(z)
            if correction is None:
                correction = ops.zeros_like(z[..., 0])
            corrections.append(correction)
        self.add_loss(self.beta_weight * ops.mean(sum(kls)))
        z = ops.concatenate(zs, axis=-1)
        if self.return_score_correction:
            return z, sum(corrections)
        return z

    def compute_output_shape(self, input_shape):
        z_shape = tuple(input_shape[:-1]) + (self.dim,)
        if self.return_score_correction:
            return z_shape, tuple(input_shape[:-1])
        return z_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "shell_dims": list(self.shell_dims),
                "beta": self.beta,
                "inference": self.inference,
                "concentration_offset": self.concentration_offset,
                "max_proposals": self.max_proposals,
                "return_score_correction": self.return_score_correction,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "seed": self.seed,
            }
        )
        return config
