"""Posterior layers: config/saving round trips, add_loss values, fit, beta control."""

import keras
import numpy as np
import pytest
from backend_utils import SetBeta, to_numpy, value_and_grad
from mp_reference import vmf_kl

from keras_hsvae import layers as hl

LAYERS = {
    "vmf": lambda **kw: hl.VonMisesFisherPosterior(dim=5, seed=1, **kw),
    "power_spherical": lambda **kw: hl.PowerSphericalPosterior(dim=5, seed=1, **kw),
    "product": lambda **kw: hl.ProductVonMisesFisherPosterior([3, 2], seed=1, **kw),
}


def _features(n=16, f=8, seed=0):
    return np.random.default_rng(seed).normal(size=(n, f)).astype("float32")


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_config_round_trip(name):
    layer = LAYERS[name](beta=0.5, inference="sample")
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_keras_file_round_trip(name, tmp_path):
    inputs = keras.Input((8,))
    z = LAYERS[name]()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3)(z))
    x = _features()
    before = to_numpy(model.predict(x, verbose=0))
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(
        to_numpy(restored.predict(x, verbose=0)), before, rtol=1e-6
    )


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_outputs_lie_on_the_spheres_and_one_loss_is_added(name):
    layer = LAYERS[name]()
    x = _features()
    for training in (True, False):
        z = to_numpy(layer(x, training=training))
        assert z.shape == (16, 5)
        if name == "product":
            np.testing.assert_allclose(np.linalg.norm(z[:, :3], axis=1), 1, atol=1e-5)
            np.testing.assert_allclose(np.linalg.norm(z[:, 3:], axis=1), 1, atol=1e-5)
        else:
            np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1, atol=1e-5)
        assert len(layer.losses) == 1


def test_vmf_added_loss_is_beta_times_mean_kl():
    layer = hl.VonMisesFisherPosterior(dim=7, beta=0.3, seed=0)
    x = _features(8, 4)
    layer(x, training=True)
    params = layer.parameters(x)
    kappa = to_numpy(params["concentration"]).astype(np.float64)
    ref = 0.3 * np.mean([float(vmf_kl(7, k)) for k in kappa])
    assert float(to_numpy(layer.losses[0])) == pytest.approx(ref, rel=1e-5)
    # Mode at inference is the normalized mean direction.
    np.testing.assert_allclose(
        to_numpy(layer(x, training=False)),
        to_numpy(params["mean_direction"]),
        rtol=1e-6,
    )
    assert np.all(kappa >= 1.0)  # softplus + offset 1


def test_product_kl_is_sum_of_shell_kls():
    layer = hl.ProductVonMisesFisherPosterior([4, 3, 2], seed=0)
    x = _features(6, 5)
    layer(x, training=True)
    params = layer.parameters(x)
    per_shell = [to_numpy(k) for k in layer.kl_per_shell(x)]
    for dim, kappa, kl in zip([4, 3, 2], params["concentration"], per_shell):
        ref = [float(vmf_kl(dim, float(k))) for k in to_numpy(kappa)]
        np.testing.assert_allclose(kl, ref, rtol=1e-5)
    total = float(to_numpy(layer.losses[0]))
    assert total == pytest.approx(float(np.mean(np.sum(per_shell, axis=0))), rel=1e-5)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_beta_can_be_changed_by_a_callback_during_fit(name):
    # The only loss is beta * KL: after the callback sets beta to 0 the
    # epoch's loss must be exactly 0, on every backend.
    inputs = keras.Input((8,))
    layer = LAYERS[name]()
    model = keras.Model(inputs, layer(inputs))
    # The KL does not depend on the mean direction: freeze that head so that
    # Keras does not warn about variables without gradients.
    for sub in layer._flatten_layers():
        if sub.name == "mean_direction":
            sub.trainable = False
    model.compile(optimizer=keras.optimizers.SGD(0.0))

    x = _features(32)
    zero_at_epoch_1 = SetBeta(layer, [layer.beta, 0.0])
    history = model.fit(
        x, epochs=2, batch_size=16, verbose=0, callbacks=[zero_at_epoch_1]
    )
    assert history.history["loss"][0] > 0.0
    assert history.history["loss"][1] == 0.0


def test_training_step_reduces_a_reconstruction_loss():
    keras.utils.set_random_seed(0)
    x = _features(64)
    inputs = keras.Input((8,))
    z = hl.VonMisesFisherPosterior(dim=4, beta=0.01, seed=3)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(8)(z))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(x, x, epochs=5, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_score_correction_output_and_gradients():
    layer = hl.VonMisesFisherPosterior(dim=6, return_score_correction=True, seed=2)
    x = _features(5, 3)
    layer(x)  # build

    def fn(features):
        z, c = layer(features, training=True)
        return keras.ops.sum(z, axis=-1) + c

    out, (grad,) = value_and_grad(fn, x)
    assert out.shape == (5,) and np.all(np.isfinite(grad))
    z, c = layer(x, training=False)
    np.testing.assert_array_equal(to_numpy(c), np.zeros(5))


def test_zero_features_give_a_finite_direction_and_gradient():
    layer = hl.VonMisesFisherPosterior(dim=3, kernel_initializer="zeros", seed=0)
    x = np.zeros((2, 4), "float32")
    z = to_numpy(layer(x, training=False))
    np.testing.assert_allclose(z, [[1, 0, 0], [1, 0, 0]])
    out, (grad,) = value_and_grad(lambda f: layer(f, training=True), x)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"dim": 1}, "dim=1"),
        ({"dim": 3.5}, "dim=3.5"),
        ({"dim": 3, "beta": -1.0}, "beta=-1.0"),
        ({"dim": 3, "beta": float("nan")}, "beta=nan"),
        ({"dim": 3, "inference": "median"}, "inference='median'"),
        ({"dim": 3, "concentration_offset": -2}, "concentration_offset=-2"),
        ({"dim": 3, "max_proposals": 0}, "max_proposals=0"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hl.VonMisesFisherPosterior(**kwargs)


@pytest.mark.parametrize("name", sorted(LAYERS) + ["gaussian"])
def test_built_layer_called_without_batch_axis_gives_one_line(name):
    make = LAYERS.get(name, lambda: hl.GaussianPosterior(dim=5, seed=1))
    layer = make()
    layer(_features())  # built on (16, 8)
    with pytest.raises(ValueError) as info:
        layer(_features()[0])
    message = str(info.value)
    assert "\n" not in message.strip()
    assert "expected min_ndim=2, found ndim=1" in message
    assert layer.name in message


def test_product_bad_arguments():
    with pytest.raises(ValueError, match="shell_dims"):
        hl.ProductVonMisesFisherPosterior([])
    with pytest.raises(ValueError, match="shell_dims"):
        hl.ProductVonMisesFisherPosterior([3, 1])


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras cannot export a TF SavedModel from the PyTorch backend",
)
def test_sampling_layers_export_as_saved_model(tmp_path):
    import tensorflow as tf

    inputs = keras.Input((8,))
    z = hl.VonMisesFisherPosterior(dim=6, inference="sample", seed=0)(inputs)
    shells = hl.ProductVonMisesFisherPosterior([3, 2], inference="sample", seed=1)
    power = hl.PowerSphericalPosterior(dim=4, inference="sample", seed=2)
    model = keras.Model(inputs, [z, shells(inputs), power(inputs)])
    model.export(str(tmp_path / "sm"), format="tf_saved_model", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "sm"))
    for batch in (1, 7):
        out = served.serve(_features(batch))
        np.testing.assert_allclose(np.linalg.norm(out[0], axis=1), 1, atol=1e-5)
        assert tuple(out[1].shape) == (batch, 5)
        np.testing.assert_allclose(np.linalg.norm(out[2], axis=1), 1, atol=1e-5)
