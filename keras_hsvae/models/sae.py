"""The Spherical Auto-Encoder (SAE, 003)."""

import keras

from keras_hsvae._validation import check_latent_dim
from keras_hsvae.layers import Centerization, Spherization
from keras_hsvae.models.base import AutoEncoder


@keras.saving.register_keras_serializable(package="keras_hsvae")
class SAE(AutoEncoder):
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
        encoder, decoder, seed, sampler: as in `BetaVAE`; `decode` returns
            the raw decoder output (end the decoder with an activation if
            needed).
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

    LOGGED = ()
    REGULARIZED = False

    def __init__(self, encoder, decoder, latent_dim, p=2.0, radius=1.0, **kwargs):
        # Older configs carry the base's arguments; an SAE has no KL weight
        # and its loss is the p-norm.
        kwargs.pop("beta", None)
        kwargs.pop("likelihood", None)
        super().__init__(
            encoder,
            decoder,
            check_latent_dim(latent_dim, 2),
            0.0,
            likelihood="p_norm",
            likelihood_kwargs={"p": p},
            **kwargs,
        )
        self.p = self.likelihood_object.p
        self.code_dense = keras.layers.Dense(
            self.latent_dim, dtype=self.dtype_policy, name="code"
        )
        self.centerization = Centerization(
            dtype=self.dtype_policy, name="centerization"
        )
        self.spherization = Spherization(
            radius=radius, dtype=self.dtype_policy, name="spherization"
        )
        self.radius = self.spherization.radius

    def latent(self, features, training=None):
        return {"z": self.spherization(self.centerization(self.code_dense(features)))}

    def encode(self, x):
        """`{"code": pre-projection code, "latent": z on the sphere}`."""
        code = self.code_dense(self._features(x))
        return {"code": code, "latent": self.spherization(self.centerization(code))}

    def embed(self, x):
        """The centerized, spherized latent `z` (shape `(batch, latent_dim)`)."""
        return self.encode(x)["latent"]

    def sample_prior(self, n, seed=None):
        """Algorithm 1 of 003 with a normal draw: centerize, then spherize."""
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
