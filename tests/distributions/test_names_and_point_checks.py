"""Each distribution's default `name` is its class name (the signatures'
defaults), and the unit-vector check of `log_prob` quotes the sphere
`S^{m-1}` and the offending norms."""

import re

import numpy as np
import pytest
from backend_utils import float64

from keras_hsvae import distributions as hd


def _vmf(m):
    return hd.VonMisesFisher(np.eye(m)[0].astype("float32"), 2.0)


FACTORIES = {
    "VonMisesFisher": lambda: _vmf(3),
    "PowerSpherical": lambda: hd.PowerSpherical(np.eye(3)[0].astype("float32"), 2.0),
    "HypersphericalUniform": lambda: hd.HypersphericalUniform(3),
    "Normal": lambda: hd.Normal.standard(3),
    "ProductHypersphericalUniform": lambda: hd.ProductHypersphericalUniform([2, 3]),
    "ProductSpherical": lambda: hd.ProductSpherical([_vmf(2), _vmf(3)]),
    "ProductVonMisesFisher": lambda: hd.ProductVonMisesFisher([_vmf(2), _vmf(3)]),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_default_name_is_the_class_name(name):
    dist = FACTORIES[name]()
    assert type(dist).__name__ == name
    assert dist.name == name


@pytest.mark.parametrize("m", [3, 5])
def test_off_sphere_points_name_the_sphere_and_norms(m):
    x = np.zeros((2, m), "float32")
    x[0, 0] = 1.0
    x[1, 0] = 2.0
    expected = (
        f"`x` of VonMisesFisher.log_prob must contain unit vectors "
        f"(|norm - 1| <= 0.001): the density lives on the sphere S^{m - 1}. "
        "Received: x with norms [2.]"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        _vmf(m).log_prob(x)


def test_product_shell_checks_quote_the_problem():
    with pytest.raises(ValueError) as info:
        hd.ProductVonMisesFisher([])
    assert str(info.value) == (
        "`shells` of ProductVonMisesFisher must be a non-empty list. Received: []"
    )
    with float64(), pytest.raises(ValueError) as info:
        shell64 = hd.VonMisesFisher(np.eye(3)[0], np.float64(2.0), dtype="float64")
        hd.ProductVonMisesFisher([_vmf(2), shell64])
    assert str(info.value) == (
        "All shells of ProductVonMisesFisher must share one dtype. "
        "Received: ['float32', 'float64']"
    )


def test_power_spherical_keeps_its_normalize_argument():
    mu = np.array([0.0, 3.0, 4.0], "float32")
    q = hd.PowerSpherical(mu, 2.0, normalize=True)
    assert q.normalize is True
    np.testing.assert_allclose(np.asarray(q.mode()), [0.0, 0.6, 0.8], rtol=1e-6)


def test_vmf_sample_int_shape_and_the_seed_reaches_the_cosine():
    q = hd.VonMisesFisher(np.eye(5)[:1].astype("float32"), np.array([3.0]))
    z1 = np.asarray(q.sample(64, seed=1))
    z2 = np.asarray(q.sample(64, seed=2))
    assert z1.shape == (64, 1, 5)
    # The cosine to mu (first coordinate, mu = e_1) is drawn with the seed.
    assert np.mean(z1[..., 0] == z2[..., 0]) < 0.05
