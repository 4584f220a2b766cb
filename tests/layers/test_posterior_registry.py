"""`register_posterior`, `get_posterior` and the product's name checks, with
their exact messages."""

import keras
import pytest

from keras_hsvae import layers as hl
from keras_hsvae.layers.posteriors import base


class _RegistryProbe(hl.VonMisesFisherPosterior):
    """A vMF posterior under another name, registered by the test below."""


@pytest.fixture
def private_registry(monkeypatch):
    """The posterior registry, restored after the test (and Keras' too)."""
    monkeypatch.setattr(base, "_POSTERIORS", dict(base._POSTERIORS))
    yield
    keras.saving.get_custom_objects().pop("keras_hsvae>_RegistryProbe", None)


def test_register_posterior_makes_a_named_serializable_layer(private_registry):
    cls = hl.register_posterior("test_registry_probe", spherical=True)(_RegistryProbe)
    assert cls is _RegistryProbe
    assert keras.saving.get_registered_name(cls) == "keras_hsvae>_RegistryProbe"
    assert "test_registry_probe" in hl.list_posteriors(spherical=True)
    assert "test_registry_probe" not in hl.list_posteriors(spherical=False)
    layer = hl.get_posterior("test_registry_probe", dim=4, seed=3)
    assert type(layer) is _RegistryProbe and layer.dim == 4
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert type(restored) is _RegistryProbe and restored.get_config() == (
        layer.get_config()
    )


def test_spherical_true_refuses_a_gaussian_name():
    choices = hl.list_posteriors(spherical=True)
    assert "vmf" in choices and "gaussian" not in choices
    with pytest.raises(ValueError) as info:
        hl.get_posterior("gaussian", dim=3, spherical=True)
    assert str(info.value) == (
        f"`posterior` must be one of {choices} or a posterior layer. "
        "Received: posterior='gaussian'"
    )


@pytest.mark.parametrize("spherical", [None, False])
def test_spherical_false_or_none_accepts_every_name(spherical):
    vmf = hl.get_posterior("vmf", dim=3, spherical=spherical)
    gaussian = hl.get_posterior("gaussian", dim=3, spherical=spherical)
    assert type(vmf) is hl.VonMisesFisherPosterior and vmf.dim == 3
    assert type(gaussian) is hl.GaussianPosterior and gaussian.dim == 3


def test_an_instance_is_returned_as_is_when_it_fits():
    vmf = hl.VonMisesFisherPosterior(dim=3)
    gaussian = hl.GaussianPosterior(dim=2)
    assert hl.get_posterior(vmf) is vmf
    assert hl.get_posterior(vmf, dim=3, spherical=True) is vmf
    assert hl.get_posterior(gaussian, dim=2) is gaussian
    assert hl.get_posterior(gaussian, spherical=False) is gaussian


def test_an_instance_that_does_not_fit_is_refused():
    gaussian = hl.GaussianPosterior(dim=2)
    with pytest.raises(ValueError) as info:
        hl.get_posterior(gaussian, spherical=True)
    choices = hl.list_posteriors(spherical=True)
    assert str(info.value) == (
        f"Expected a spherical posterior (one of {choices}). Received: "
        f"posterior={gaussian!r}"
    )
    vmf = hl.VonMisesFisherPosterior(dim=3)
    with pytest.raises(ValueError) as info:
        hl.get_posterior(vmf, dim=4)
    assert str(info.value) == (
        "The posterior's `dim` (3) must equal the latent size 4. "
        f"Received: posterior={vmf!r}"
    )


@pytest.mark.parametrize("posterior", [["vmf"], ["vmf", "vmf", "vmf"]])
def test_product_needs_one_name_per_shell(posterior):
    with pytest.raises(ValueError) as info:
        hl.ProductPosterior([3, 2], posterior=posterior)
    assert str(info.value) == (
        f"`posterior` must be one of {hl.list_posteriors(spherical=True)} or a "
        f"list of them, one per shell (2). Received: posterior={posterior!r}"
    )


def test_product_shell_dims_message():
    with pytest.raises(ValueError) as info:
        hl.ProductVonMisesFisherPosterior([3, 1])
    assert str(info.value) == (
        "`shell_dims` must be a non-empty list of integers >= 2 (each the "
        "ambient size m_i of a shell S^{m_i - 1}). Received: shell_dims=[3, 1]"
    )
