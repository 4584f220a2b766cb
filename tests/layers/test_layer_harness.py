"""Every layer of `keras_hsvae.layers` through the shared harness."""

import pytest
from harness import check_layer

from keras_hsvae import layers as hl

# name -> (factory(**kwargs), input shapes, stochastic, adds a loss)
LAYERS = {
    "vmf": (lambda **kw: hl.VonMisesFisherPosterior(5, **kw), [(8,)], True, True),
    "vmf_corrected": (
        lambda **kw: hl.VonMisesFisherPosterior(5, score_correction=True, **kw),
        [(8,)],
        True,
        True,
    ),
    "power_spherical": (
        lambda **kw: hl.PowerSphericalPosterior(4, **kw),
        [(8,)],
        True,
        True,
    ),
    "gaussian": (lambda **kw: hl.GaussianPosterior(3, **kw), [(8,)], True, True),
    "product_vmf": (
        lambda **kw: hl.ProductVonMisesFisherPosterior([3, 2], **kw),
        [(8,)],
        True,
        True,
    ),
    "product_mixed": (
        lambda **kw: hl.ProductPosterior(
            [3, 4], posterior=["vmf", "power_spherical"], **kw
        ),
        [(8,)],
        True,
        True,
    ),
    "hsc_regularizer": (
        lambda **kw: hl.HypersphericalKLRegularizer(**kw),
        [(6,), (6,)],
        True,
        True,
    ),
    "spherical_coordinates": (
        lambda **kw: hl.SphericalCoordinates(**kw),
        [(5,)],
        False,
        False,
    ),
    "centerization": (lambda **kw: hl.Centerization(**kw), [(5,)], False, False),
    "spherization": (
        lambda **kw: hl.Spherization(radius=2.0, **kw),
        [(5,)],
        False,
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_harness(name, tmp_path):
    make, shapes, stochastic, expects_loss = LAYERS[name]
    check_layer(
        make, shapes, tmp_path, stochastic=stochastic, expects_loss=expects_loss
    )
