"""Layers `SphericalCoordinates`, `Centerization`, `Spherization`.

Generic harness (config and `.keras` round trips, a training step, shapes)
and seeded correctness against float64 numpy references.
"""

import math

import keras
import numpy as np
import pytest
from backend_utils import to_numpy

from keras_hsvae.layers.centerization import Centerization
from keras_hsvae.layers.spherical_coordinates import SphericalCoordinates
from keras_hsvae.layers.spherization import Spherization

LAYERS = {
    "coordinates_cosines": lambda: SphericalCoordinates(name="sc"),
    "coordinates_angles": lambda: SphericalCoordinates(output_mode="angles"),
    "centerization": lambda: Centerization(),
    "spherization": lambda: Spherization(radius=2.5),
}


def _inputs(shape=(8, 5), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _reference(name, x):
    """float64 numpy references, written independently of the library."""
    x = x.astype(np.float64)
    n = x.shape[-1]
    tails = np.cumsum((x**2)[..., ::-1], axis=-1)[..., ::-1]
    radius = np.sqrt(tails[..., 0])
    if name == "coordinates_cosines":
        return [radius, x[..., :-1] / np.sqrt(tails[..., :-1])]
    if name == "coordinates_angles":
        cos = x[..., :-1] / np.sqrt(tails[..., :-1])
        angles = np.arccos(np.clip(cos, -1, 1))
        angles[..., n - 2] = np.where(
            x[..., n - 1] >= 0, angles[..., n - 2], 2 * np.pi - angles[..., n - 2]
        )
        return [radius, angles]
    if name == "centerization":
        return [x - x.mean(axis=-1, keepdims=True)]
    return [2.5 * x / np.linalg.norm(x, axis=-1, keepdims=True)]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_config_round_trip(name):
    layer = LAYERS[name]()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert type(restored) is type(layer) and restored.get_config() == config


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_seeded_values_match_reference(name):
    x = _inputs(seed=1)
    outs = [to_numpy(o) for o in _as_list(LAYERS[name]()(x))]
    refs = _reference(name, x)
    assert len(outs) == len(refs)
    for out, ref in zip(outs, refs):
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_compute_output_shape_matches_call(name):
    layer = LAYERS[name]()
    x = _inputs((3, 2, 6))
    outs = _as_list(layer(x))
    shapes = layer.compute_output_shape((3, 2, 6))
    shapes = [shapes] if isinstance(shapes[0], int) else list(shapes)
    assert [tuple(o.shape) for o in outs] == [tuple(s) for s in shapes]
    symbolic = _as_list(LAYERS[name]()(keras.Input((6,))))
    expected = _as_list(LAYERS[name]().compute_output_shape((None, 6)))
    if isinstance(expected[0], int) or expected[0] is None:
        expected = [tuple(expected)]
    assert [tuple(s.shape) for s in symbolic] == [tuple(e) for e in expected]


def _model(name):
    inputs = keras.Input((5,))
    out = _as_list(LAYERS[name]()(keras.layers.Dense(5, name="dense")(inputs)))
    return keras.Model(inputs, out if len(out) > 1 else out[0])


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_keras_file_round_trip(name, tmp_path):
    model = _model(name)
    x = _inputs(seed=2)
    before = [to_numpy(o) for o in _as_list(model.predict(x, verbose=0))]
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    after = [to_numpy(o) for o in _as_list(restored.predict(x, verbose=0))]
    for a, b in zip(after, before):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    layer = restored.layers[-1]
    assert layer.get_config() == model.layers[-1].get_config()


def test_training_step_through_all_three_layers():
    # Dense -> Centerization -> Spherization -> SphericalCoordinates -> Dense.
    inputs = keras.Input((6,))
    z = keras.layers.Dense(5)(inputs)
    z = Spherization(radius=2.0)(Centerization()(z))
    radius, cosines = SphericalCoordinates()(z)
    features = keras.layers.Concatenate()([keras.layers.Reshape((1,))(radius), cosines])
    model = keras.Model(inputs, keras.layers.Dense(1)(features))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    x = _inputs((16, 6), seed=3)
    y = x[:, :1]
    before = [to_numpy(w).copy() for w in model.trainable_weights]
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert math.isfinite(history.history["loss"][0])
    after = [to_numpy(w) for w in model.trainable_weights]
    assert all(np.all(np.isfinite(w)) for w in after)
    assert any(not np.allclose(a, b) for a, b in zip(after, before))
    # The radius is fixed at 2 by Spherization: a constant feature.
    probe = keras.Model(inputs, radius)
    np.testing.assert_allclose(to_numpy(probe.predict(x, verbose=0)), 2.0, rtol=1e-5)


def test_degenerate_inputs_stay_finite():
    x = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 4.0], [1.0, 0.0, 0.0]], "float32")
    z = to_numpy(Spherization()(Centerization()(x)))
    np.testing.assert_array_equal(z[:2], 0.0)  # documented: zero vector out
    radius, cosines = (to_numpy(o) for o in SphericalCoordinates()(x))
    np.testing.assert_allclose(radius, [0.0, 4 * math.sqrt(3), 1.0], rtol=1e-6)
    np.testing.assert_allclose(cosines[0], [1.0, 1.0])  # zero tails: cos = 1
    np.testing.assert_allclose(cosines[2], [1.0, 1.0])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SphericalCoordinates(output_mode="cos"), "output_mode='cos'"),
        (lambda: Spherization(radius=0.0), "radius=0.0"),
        (lambda: Spherization(radius=-2), "radius=-2"),
        (lambda: Spherization(radius=float("nan")), "radius=nan"),
        (lambda: Spherization(radius="big"), "radius='big'"),
        (lambda: Spherization(radius="1"), "radius='1'"),
    ],
)
def test_invalid_arguments_are_quoted(make, message):
    with pytest.raises(ValueError, match="Received: " + message):
        make()


def test_coordinates_need_a_known_last_axis_of_two_or_more():
    with pytest.raises(ValueError, match=r"Received: input_shape=\(None, 1\)"):
        SphericalCoordinates()(keras.Input((1,)))
