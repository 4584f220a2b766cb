"""The von Mises-Fisher posterior layer (S-VAE)."""

from keras_hsvae.distributions.von_mises_fisher import VonMisesFisher
from keras_hsvae.layers.posteriors.base import register_posterior
from keras_hsvae.layers.posteriors.spherical import SphericalPosterior


@register_posterior("vmf", spherical=True)
class VonMisesFisherPosterior(SphericalPosterior):
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

    The samples are reparameterized through the accepted proposal of Wood's
    rejection sampler (Naesseth et al. 2017, the "g_rep" term). The
    score-function part of the exact gradient ("g_cor", 002 eq. 9) is
    optional (`score_correction=True`): it is unbiased but noisy, and the
    authors' code and 004 omit it (SPEC section 3 records the measurement).

    Args:
        dim: int >= 2, ambient latent size m.
        beta: float >= 0, initial weight of the KL term.
        inference: `"mode"` (default) or `"sample"`, the output when not
            training.
        concentration_offset: float >= 0 added to the softplus (1.0 as in
            Davidson et al. 2018, which keeps kappa away from 0).
        max_proposals: Wood proposals per sample (see `VonMisesFisher`).
        score_correction: if True the layer returns `(z, c)` where `c`
            (value 0) carries the score-function part of the exact kappa
            gradient: add `stop_gradient(f) * c` to a per-example objective
            `f` for unbiased gradients (see `VonMisesFisher`).
            `return_score_correction` is its deprecated alias.
        kernel_initializer: initializer of both Dense heads.
        seed: int or None, seeds the layer's `SeedGenerator`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `(batch, features)`.
        training: bool, sample when True.
        return_terms: if True, return a dict with `z`, the per-example `kl`,
            the `concentration` (and `score_correction` when enabled).

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
