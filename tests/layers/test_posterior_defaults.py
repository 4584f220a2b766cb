"""Posterior layers: defaults, the arguments they pass on (score correction,
initializer, proposals), the prior's dtype and the `score_correction` check."""

import math

import numpy as np
import pytest
from backend_utils import float64, to_numpy

from keras_hsvae import layers as hl

SPHERICAL = [hl.VonMisesFisherPosterior, hl.PowerSphericalPosterior]


def _features(n=4, f=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, f)).astype("float32")


@pytest.mark.parametrize("cls", [hl.VonMisesFisherPosterior, hl.GaussianPosterior])
def test_score_correction_must_be_a_bool(cls):
    with pytest.raises(ValueError) as info:
        cls(3, score_correction=1)
    assert str(info.value) == (
        "`score_correction` must be a bool. Received: score_correction=1"
    )


@pytest.mark.parametrize("cls", SPHERICAL)
def test_spherical_default_beta_is_one(cls):
    layer = cls(dim=3, seed=0)
    assert layer.beta == 1.0 and layer.get_config()["beta"] == 1.0
    assert float(to_numpy(layer.beta_weight)) == 1.0


def test_spherical_score_correction_argument_is_used():
    layer = hl.VonMisesFisherPosterior(dim=3, score_correction=True, seed=0)
    assert layer.score_correction is True
    assert layer.get_config()["score_correction"] is True
    x = _features()
    z, c = layer(x, training=False)
    mu = to_numpy(layer.parameters(x)["mean_direction"])
    np.testing.assert_allclose(to_numpy(z), mu, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(to_numpy(c), np.zeros(4))
    assert layer.compute_output_shape((4, 6)) == ((4, 3), (4,))


def test_product_passes_initializer_and_proposals_on():
    layer = hl.ProductPosterior(
        [3, 2],
        posterior=["vmf", "power_spherical"],
        max_proposals=5,
        kernel_initializer="ones",
        seed=0,
    )
    assert [shell.max_proposals for shell in layer.shells] == [5, 5]
    assert [shell.get_config()["max_proposals"] for shell in layer.shells] == [5, 5]
    # The initializer survives a config round trip: the clone's heads are ones.
    clone = hl.ProductPosterior.from_config(layer.get_config())
    clone.build((4, 6))
    kernels = [w for w in clone.weights if w.name == "kernel"]
    assert len(kernels) == 4
    for kernel in kernels:
        np.testing.assert_array_equal(to_numpy(kernel), 1.0)


@pytest.mark.parametrize("cls", SPHERICAL)
def test_prior_has_the_dtype_asked_for(cls):
    with float64():
        prior = cls(dim=3).prior("float64")
        assert prior.dtype == "float64"
        entropy = to_numpy(prior.entropy())
    assert entropy.dtype == np.float64
    np.testing.assert_allclose(entropy, math.log(4 * math.pi), rtol=1e-15)


class _PriorAsked(Exception):
    pass


class _RecordingPosterior(hl.PowerSphericalPosterior):
    """Records the dtype the base class asks the prior in, and stops there."""

    def prior(self, dtype="float32"):
        raise _PriorAsked(dtype)


def test_kl_asks_for_the_prior_in_the_posterior_dtype():
    with float64():
        layer = _RecordingPosterior(dim=3, dtype="float64", seed=0)
        with pytest.raises(_PriorAsked) as info:
            layer.kl(_features().astype("float64"))
    assert info.value.args == ("float64",)
