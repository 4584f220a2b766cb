"""Products of spherical posteriors ("shells", 004)."""

import keras
from keras import ops

from keras_hsvae._validation import is_integer
from keras_hsvae.distributions.product import (
    ProductHypersphericalUniform,
    ProductSpherical,
    ProductVonMisesFisher,
)
from keras_hsvae.layers._validation import check_features_shape
from keras_hsvae.layers.posteriors.base import (
    Posterior,
    get_posterior,
    list_posteriors,
)
from keras_hsvae.ops.vmf import DEFAULT_MAX_PROPOSALS


def check_shell_dims(shell_dims):
    if isinstance(shell_dims, (int, str)) or not hasattr(shell_dims, "__iter__"):
        ok = False
    else:
        shell_dims = list(shell_dims)
        ok = len(shell_dims) > 0
    if not ok:
        raise ValueError(
            "`shell_dims` must be a non-empty list of integers >= 2. "
            f"Received: shell_dims={shell_dims!r}"
        )
    if not all(is_integer(d) and d >= 2 for d in shell_dims):
        raise ValueError(
            "`shell_dims` must be a non-empty list of integers >= 2 (each the "
            "ambient size m_i of a shell S^{m_i - 1}). Received: "
            f"shell_dims={shell_dims!r}"
        )
    return [int(d) for d in shell_dims]


@keras.saving.register_keras_serializable(package="keras_hsvae")
class ProductPosterior(Posterior):
    """Several spherical posteriors ("shells") side by side.

    The latent `z = concat(z_1, ..., z_K)` with `z_i` on S^{m_i - 1}, each
    shell with its own mean direction and concentration; the KL added with
    `add_loss` is `beta * mean_batch sum_i KL_i` to the product of uniform
    priors. `kl_per_shell` returns each shell's KL (a shell whose KL goes to
    0 is unused; Davidson et al. 2019, appendix B).

    Args:
        shell_dims: list of ints >= 2, the ambient size m_i of each shell
            (output size `sum(shell_dims)`).
        posterior: the registered name of a spherical posterior (`"vmf"`,
            `"power_spherical"`, ...) for every shell, or a list of names,
            one per shell.
        beta, inference, score_correction, seed: see `Posterior` (the
            correction is summed over the shells).
        concentration_offset, max_proposals, kernel_initializer: passed to
            every shell (see `VonMisesFisherPosterior`).

    Call arguments:
        return_terms: if True, return a dict with `z`, the total `kl`,
            `kl_shell_<i>`, the mean `concentration` over shells (and
            `score_correction` when enabled).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers import ProductPosterior
    >>> layer = ProductPosterior([3, 3, 2], posterior=["vmf", "vmf",
    ...                          "power_spherical"], seed=0)
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
        posterior="vmf",
        beta=1.0,
        inference="mode",
        concentration_offset=1.0,
        max_proposals=DEFAULT_MAX_PROPOSALS,
        score_correction=False,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        shell_dims = check_shell_dims(shell_dims)
        super().__init__(
            sum(shell_dims),
            beta=beta,
            inference=inference,
            score_correction=score_correction,
            seed=seed,
            **kwargs,
        )
        self.shell_dims = shell_dims
        names = (
            [posterior] * len(shell_dims) if isinstance(posterior, str) else posterior
        )
        names = list(names) if hasattr(names, "__iter__") else [names]
        spherical = list_posteriors(spherical=True)
        if len(names) != len(shell_dims) or any(n not in spherical for n in names):
            raise ValueError(
                f"`posterior` must be one of {spherical} or a list of them, one "
                f"per shell ({len(shell_dims)}). Received: posterior={posterior!r}"
            )
        self.posterior = posterior if isinstance(posterior, str) else list(names)
        self.concentration_offset = concentration_offset
        self.max_proposals = max_proposals
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.shells = [
            get_posterior(
                name,
                dim=d,
                spherical=True,
                beta=0.0,
                inference=inference,
                concentration_offset=concentration_offset,
                max_proposals=max_proposals,
                score_correction=score_correction,
                kernel_initializer=kernel_initializer,
                seed=None if seed is None else seed + 7919 * i,
                dtype=self.dtype_policy,
                name=f"shell_{i}",
            )
            for i, (name, d) in enumerate(zip(names, shell_dims))
        ]

    def build(self, input_shape):
        check_features_shape(self, input_shape)
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

    def distribution_from(self, params):
        shells = [
            shell.distribution_from({"mean_direction": mu, "concentration": kappa})
            for shell, mu, kappa in zip(
                self.shells, params["mean_direction"], params["concentration"]
            )
        ]
        if all(shell.registered_name == "vmf" for shell in self.shells):
            return ProductVonMisesFisher(shells)
        return ProductSpherical(shells)

    def prior(self, dtype="float32"):
        """The product of uniform distributions on the shells."""
        return ProductHypersphericalUniform(self.shell_dims, dtype)

    def kl_per_shell(self, features):
        """List of per-example KLs, one `(B,)` tensor per shell."""
        return [shell.kl(features) for shell in self.shells]

    def _distribution_and_kl(self, features):
        params = self.parameters(features)
        dist = self.distribution_from(params)
        return params, dist, sum(dist.kl_per_shell())

    def _sample(self, dist):
        if isinstance(dist, ProductVonMisesFisher):
            # All vMF shells: one rejection loop for the whole product.
            return super()._sample(dist)
        zs, corrections = zip(
            *(layer._sample(shell) for layer, shell in zip(self.shells, dist.shells))
        )
        return ops.concatenate(zs, axis=-1), sum(corrections)

    def terms(self, params, dist):
        # A flat dict of tensors (no list): SavedModel signatures need it.
        per_shell = {f"kl_shell_{i}": kl for i, kl in enumerate(dist.kl_per_shell())}
        kappa = ops.mean(ops.stack(params["concentration"], axis=-1), axis=-1)
        return {**per_shell, "concentration": kappa}

    def get_config(self):
        base_config = super().get_config()
        del base_config["dim"]
        config = {
            "shell_dims": list(self.shell_dims),
            "posterior": self.posterior,
            "concentration_offset": self.concentration_offset,
            "max_proposals": self.max_proposals,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="keras_hsvae")
class ProductVonMisesFisherPosterior(ProductPosterior):
    """Several vMF shells side by side, each with its own concentration.

    `ProductPosterior` with `posterior="vmf"`: the latent
    `z = concat(z_1, ..., z_K)` with `z_i` on S^{m_i - 1}.

    Args:
        shell_dims: list of ints >= 2, the ambient size m_i of each shell.
        **kwargs: see `ProductPosterior`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.layers import ProductVonMisesFisherPosterior
    >>> layer = ProductVonMisesFisherPosterior([3, 3, 2], seed=0)
    >>> z = layer(np.ones((4, 8), "float32"), training=True)
    >>> tuple(z.shape), len(layer.kl_per_shell(np.ones((4, 8), "float32")))
    ((4, 8), 3)
    """

    def __init__(self, shell_dims, **kwargs):
        kwargs.pop("posterior", None)
        super().__init__(shell_dims, posterior="vmf", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["posterior"]
        return config
