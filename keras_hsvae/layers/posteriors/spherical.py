"""Spherical posteriors parameterized by a mean direction and a concentration."""

import keras
from keras import ops

from keras_hsvae._validation import check_float, check_int, check_sphere_dim
from keras_hsvae.distributions.hyperspherical_uniform import HypersphericalUniform
from keras_hsvae.layers._validation import check_features_shape
from keras_hsvae.layers.posteriors.base import Posterior
from keras_hsvae.ops.sphere import rescale_to_radius
from keras_hsvae.ops.vmf import DEFAULT_MAX_PROPOSALS


class SphericalPosterior(Posterior):
    """Dense heads -> `(mu, kappa)` -> a distribution on S^{dim-1}.

    `mu` is a Dense head normalized to unit length; `kappa = softplus(Dense)
    + concentration_offset`. The prior is uniform on S^{dim-1}. Subclasses
    set `distribution_class` (constructed as `cls(mu, kappa, ...)`).

    Args:
        dim: int >= 2, the ambient size m (samples lie on S^{m-1}).
        beta, inference, score_correction, seed: see `Posterior`.
        concentration_offset: float >= 0 added to the softplus (1.0 as in
            Davidson et al. 2018, which keeps kappa away from 0).
        max_proposals: proposals per sample of rejection samplers.
        kernel_initializer: initializer of both Dense heads.
    """

    distribution_class = None
    TERMS = ("concentration",)

    def __init__(
        self,
        dim,
        beta=1.0,
        inference="mode",
        concentration_offset=1.0,
        max_proposals=DEFAULT_MAX_PROPOSALS,
        score_correction=False,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        super().__init__(
            check_sphere_dim(dim),
            beta=beta,
            inference=inference,
            score_correction=score_correction,
            seed=seed,
            **kwargs,
        )
        self.concentration_offset = check_float(
            "concentration_offset", concentration_offset, minimum=0
        )
        self.max_proposals = check_int("max_proposals", max_proposals, minimum=1)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        # The heads follow this layer's dtype policy (float64, mixed, ...).
        self.mean_dense = keras.layers.Dense(
            self.dim,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="mean_direction",
        )
        self.concentration_dense = keras.layers.Dense(
            1,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="concentration",
        )

    def build(self, input_shape):
        check_features_shape(self, input_shape)
        # `parameters` may have built the heads already (called before `call`).
        for head in (self.mean_dense, self.concentration_dense):
            if not head.built:
                head.build(input_shape)
        self.built = True

    def parameters(self, features):
        """`{"mean_direction": (B, m), "concentration": (B,)}`."""
        features = ops.convert_to_tensor(features)
        if not self.built:
            self.build(tuple(features.shape))
        # A head output of exactly 0 (e.g. all-zero ReLU features) maps to e_1.
        mu = rescale_to_radius(self.mean_dense(features), 1.0)
        raw = self.concentration_dense(features)[..., 0]
        kappa = ops.softplus(raw) + ops.cast(self.concentration_offset, raw.dtype)
        return {"mean_direction": mu, "concentration": kappa}

    def distribution_from(self, params):
        return self.distribution_class(
            params["mean_direction"],
            params["concentration"],
            validate_args=False,
            **self._distribution_kwargs(),
        )

    def _distribution_kwargs(self):
        return {}

    def prior(self, dtype="float32"):
        """The uniform distribution on S^{dim-1}."""
        return HypersphericalUniform(self.dim, dtype)

    def terms(self, params, dist):
        return {"concentration": params["concentration"]}

    def get_config(self):
        base_config = super().get_config()
        config = {
            "concentration_offset": self.concentration_offset,
            "max_proposals": self.max_proposals,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**base_config, **config}
