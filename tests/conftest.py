"""Shared fixtures: the one tiny model factory of the suite."""

import numpy as np
import pytest

from keras_hsvae.models import (
    HSCVAE,
    SAE,
    SVAE,
    BetaVAE,
    ProductSVAE,
    mlp_decoder,
    mlp_encoder,
)

# kind -> (latent size, builder(encoder, decoder, latent, **kwargs))
_KINDS = {
    "beta": (3, lambda e, d, n, **kw: BetaVAE(e, d, n, **kw)),
    "vmf": (3, lambda e, d, n, **kw: SVAE(e, d, n, posterior="vmf", **kw)),
    "power_spherical": (
        3,
        lambda e, d, n, **kw: SVAE(e, d, n, posterior="power_spherical", **kw),
    ),
    "product": (5, lambda e, d, n, **kw: ProductSVAE(e, d, [3, 2], **kw)),
    "hsc": (3, lambda e, d, n, **kw: HSCVAE(e, d, n, **kw)),
    "sae": (3, lambda e, d, n, **kw: SAE(e, d, n, **kw)),
}
KINDS = tuple(_KINDS)
SHAPE = (4, 4, 1)


def make_tiny_model(kind, shape=SHAPE, hidden=(16,), seed=1, **kwargs):
    """A small model of `kind` (one of `KINDS`) on inputs of `shape`."""
    latent, build = _KINDS[kind]
    encoder = mlp_encoder(shape, hidden=hidden)
    decoder = mlp_decoder(latent, shape, hidden=hidden[::-1])
    return build(encoder, decoder, latent, seed=seed, **kwargs)


def tiny_data(n=32, shape=SHAPE, seed=0, binary=True):
    """Data for the tiny models: binary pixels or uniform grey levels."""
    x = np.random.default_rng(seed).random((n,) + tuple(shape))
    return (x > 0.5).astype("float32") if binary else x.astype("float32")


@pytest.fixture
def tiny_model():
    """The factory `make_tiny_model(kind, **kwargs)`."""
    return make_tiny_model
