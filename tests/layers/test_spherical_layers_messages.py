"""SphericalCoordinates and Spherization refuse shapes without a usable last
axis, with their exact messages."""

import keras
import pytest

from keras_hsvae.layers.spherical_coordinates import SphericalCoordinates
from keras_hsvae.layers.spherization import Spherization


def test_coordinates_message():
    message = (
        "`SphericalCoordinates` needs a known last axis of size >= 2. "
        "Received: input_shape=(None, 1)"
    )
    with pytest.raises(ValueError) as info:
        SphericalCoordinates().build((None, 1))
    assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        SphericalCoordinates()(keras.Input((1,)))
    assert message in str(info.value)


def test_spherization_message():
    with pytest.raises(ValueError) as info:
        Spherization().build(())
    assert str(info.value) == (
        "`Spherization` needs inputs with a last axis, shape (..., n). "
        "Received: input_shape=()"
    )
