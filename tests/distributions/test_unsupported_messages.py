"""The `NotImplementedError` of an unsupported method names the class, the
method and the supported ones, word for word (`Distribution._unsupported`)."""

import pytest

from keras_hsvae.distributions.base import CONTRACT, Distribution


class Bare(Distribution):
    def __init__(self):
        super().__init__(3, "float32", (), "Bare")


class Partial(Distribution):
    supported_methods = ("mean", "entropy")

    def __init__(self):
        super().__init__(3, "float32", (), "Partial")


def _call(dist, method):
    args = {"log_prob": ([1.0, 0.0, 0.0],)}.get(method, ())
    return getattr(dist, method)(*args)


@pytest.mark.parametrize("method", CONTRACT)
def test_message_names_class_method_and_none_supported(method):
    with pytest.raises(NotImplementedError) as info:
        _call(Bare(), method)
    assert str(info.value) == (
        f"Bare does not provide `{method}()`. Supported methods of Bare: none."
    )


@pytest.mark.parametrize("method", ["sample", "log_prob", "mode"])
def test_message_lists_the_supported_methods(method):
    with pytest.raises(NotImplementedError) as info:
        _call(Partial(), method)
    assert str(info.value) == (
        f"Partial does not provide `{method}()`. "
        "Supported methods of Partial: mean, entropy."
    )


def test_prob_goes_through_log_prob():
    # prob = exp(log_prob): the base class's prob raises log_prob's error.
    with pytest.raises(NotImplementedError, match=r"`log_prob\(\)`"):
        Bare().prob([1.0, 0.0, 0.0])


def test_unregistered_kl_names_both_types():
    with pytest.raises(NotImplementedError) as info:
        Bare().kl_divergence(Partial())
    assert str(info.value).startswith(
        "No KL divergence registered for q=Bare, p=Partial. Registered pairs: "
    )
    assert "(VonMisesFisher, HypersphericalUniform)" in str(info.value)
