"""Tests for `GaussianPosterior`, the beta-VAE baseline latent layer."""

import os

import keras
import numpy as np
import pytest
from backend_utils import SetBeta, float64, value_and_grad
from keras import ops

from keras_hsvae.layers.gaussian_posterior import GaussianPosterior
from keras_hsvae.ops.hsc import gaussian_kl_to_standard_normal, log_softplus

BACKEND = keras.backend.backend()


def _softplus64(x):
    x = np.asarray(x, np.float64)
    return np.logaddexp(0.0, x)


def _numpy_parameters(layer, features):
    """Mean and scale from the layer's weights, in float64 numpy."""
    f = np.asarray(features, np.float64)
    wm, bm = (np.asarray(w, np.float64) for w in layer.mean_dense.get_weights())
    ws, bs = (np.asarray(w, np.float64) for w in layer.scale_dense.get_weights())
    return f @ wm + bm, f @ ws + bs


def _numpy_kl(mean, pre_scale):
    """KL(N(mean, sigma^2) || N(0, I)), sigma = softplus(pre), float64."""
    sigma = _softplus64(pre_scale)
    return 0.5 * np.sum(mean**2 + sigma**2 - 1.0 - np.log(sigma**2), axis=-1)


def _features(batch=6, width=5, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, width)).astype("float32")


def test_parameters_match_dense_heads():
    layer = GaussianPosterior(3, seed=0)
    x = _features()
    params = layer.parameters(x)
    mean, pre = _numpy_parameters(layer, x)
    # atol: the dense weights come from Keras' global seed state (they depend
    # on the tests run before), so a mean entry can land near 0, where float32
    # rounding (~1e-7 absolute) is a large relative error.
    np.testing.assert_allclose(
        ops.convert_to_numpy(params["mean"]), mean, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(params["stddev"]), _softplus64(pre), rtol=1e-5, atol=1e-6
    )


def test_kl_matches_closed_form_and_added_loss():
    layer = GaussianPosterior(4, beta=0.25, seed=0)
    x = _features(batch=8)
    z = layer(x)  # inference, eager: the loss is in layer.losses on all backends
    mean, pre = _numpy_parameters(layer, x)
    expected = _numpy_kl(mean, pre)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.kl(x)), expected, rtol=1e-5)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(layer.losses[0])),
        0.25 * expected.mean(),
        rtol=1e-5,
    )
    # inference="mean": the output is the posterior mean.
    np.testing.assert_allclose(ops.convert_to_numpy(z), mean, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="TFP is a TensorFlow oracle")
def test_kl_matches_tfp():
    from tensorflow_probability import distributions as tfd

    layer = GaussianPosterior(5, seed=0)
    x = _features(batch=7, width=3, seed=3)
    params = layer.parameters(x)
    q = tfd.Normal(params["mean"], params["stddev"])
    p = tfd.Normal(0.0, 1.0)
    expected = np.sum(np.asarray(tfd.kl_divergence(q, p)), axis=-1)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.kl(x)), expected, rtol=1e-5)


def test_kl_finite_where_softplus_underflows():
    layer = GaussianPosterior(2, seed=0)
    x = _features(batch=3, width=4)
    layer.build(x.shape)
    kernel, _ = layer.scale_dense.get_weights()
    # Pre-softplus scale of -200: softplus underflows to 0 in float32.
    layer.scale_dense.set_weights([np.zeros_like(kernel), np.full((2,), -200.0)])
    mean, _ = _numpy_parameters(layer, x)
    # log sigma^2 = 2 log softplus(-200) = -400 - exp(-200) = -400 in float64.
    expected = 0.5 * np.sum(mean**2 - 1.0 + 400.0, axis=-1)
    kl = ops.convert_to_numpy(layer.kl(x))
    assert np.all(np.isfinite(kl))
    np.testing.assert_allclose(kl, expected, rtol=1e-6)
    assert np.all(ops.convert_to_numpy(layer.parameters(x)["stddev"]) == 0.0)

    # Gradient of the KL in the pre-softplus scale x at x = -200 (ops level):
    # d/dx [-(1/2) 2 log softplus(x)] = -softplus'(x)/softplus(x) -> -1.
    def kl_of_pre_scale(pre):
        return gaussian_kl_to_standard_normal(mean32, 2.0 * log_softplus(pre))

    mean32 = mean.astype("float32")
    pre = np.full((3, 2), -200.0, "float32")
    value, (grad,) = value_and_grad(kl_of_pre_scale, pre)
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    np.testing.assert_allclose(grad, -1.0, rtol=1e-6)


def test_log_softplus_matches_mpmath():
    import mpmath as mp

    xs = [-800.0, -200.0, -30.5, -30.0, -29.5, -5.0, 0.0, 3.0, 40.0]
    with mp.workdps(50):
        expected = [float(mp.log(mp.log1p(mp.exp(mp.mpf(x))))) for x in xs]
    with float64():
        got = ops.convert_to_numpy(
            log_softplus(ops.convert_to_tensor(np.array(xs), "float64"))
        )
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    got32 = ops.convert_to_numpy(log_softplus(np.array(xs, "float32")))
    np.testing.assert_allclose(got32, expected, rtol=2e-6)


def test_sampling_moments():
    n_draws = 20000
    layer = GaussianPosterior(3, seed=123)
    x = np.repeat(_features(batch=1, width=4, seed=5), n_draws, axis=0)
    z = ops.convert_to_numpy(layer(x, training=True)).astype(np.float64)
    mean, pre = _numpy_parameters(layer, x[:1])
    sigma = _softplus64(pre)[0]
    # Mean within 5 standard errors; std within 5 standard errors (~s/sqrt(2N)).
    np.testing.assert_array_less(
        np.abs(z.mean(axis=0) - mean[0]), 5 * sigma / np.sqrt(n_draws)
    )
    np.testing.assert_array_less(
        np.abs(z.std(axis=0) - sigma), 5 * sigma / np.sqrt(2 * n_draws)
    )
    # Standardized draws are uncorrelated across latent dims.
    corr = np.corrcoef(((z - mean) / sigma).T)
    np.testing.assert_array_less(np.abs(corr - np.eye(3)), 5 / np.sqrt(n_draws))


def test_inference_modes():
    x = _features()
    mean_layer = GaussianPosterior(3, inference="mean", seed=1)
    sample_layer = GaussianPosterior(3, inference="sample", seed=1)
    mean_layer(x)
    sample_layer(x)
    sample_layer.set_weights(mean_layer.get_weights())
    mu = ops.convert_to_numpy(mean_layer.parameters(x)["mean"])
    np.testing.assert_allclose(ops.convert_to_numpy(mean_layer(x)), mu, rtol=1e-6)
    assert not np.allclose(ops.convert_to_numpy(sample_layer(x)), mu)
    assert not np.allclose(ops.convert_to_numpy(mean_layer(x, training=True)), mu)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dim": 0}, "Received: dim=0"),
        ({"dim": 2, "beta": -1}, "Received: beta=-1"),
        ({"dim": 2, "beta": float("nan")}, "Received: beta=nan"),
        ({"dim": 2, "inference": "mode"}, "Received: inference='mode'"),
        ({"dim": 2, "seed": "x"}, "Received: seed='x'"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GaussianPosterior(**kwargs)


def test_config_round_trip():
    layer = GaussianPosterior(7, beta=0.5, inference="sample", seed=3, name="post")
    config = layer.get_config()
    clone = GaussianPosterior.from_config(config)
    assert clone.get_config() == config
    for key, value in {"dim": 7, "beta": 0.5, "inference": "sample", "seed": 3}.items():
        assert config[key] == value
    assert clone.compute_output_shape((None, 11)) == (None, 7)


def _tiny_model(beta=1.0, zero_decoder=False):
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, activation="tanh")(inputs)
    z = GaussianPosterior(3, beta=beta, seed=0, name="posterior")(h)
    init = "zeros" if zero_decoder else "glorot_uniform"
    outputs = keras.layers.Dense(6, kernel_initializer=init)(z)
    return keras.Model(inputs, outputs)


def test_keras_save_load_round_trip(tmp_path):
    model = _tiny_model(beta=0.5)
    model.get_layer("posterior").beta_weight.assign(0.125)
    x = _features(batch=4, width=6)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)), rtol=1e-6
    )
    layer = loaded.get_layer("posterior")
    assert isinstance(layer, GaussianPosterior)
    assert float(ops.convert_to_numpy(layer.beta_weight)) == 0.125
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(loaded.losses[0])),
        float(ops.convert_to_numpy(model.losses[0])),
        rtol=1e-6,
    )


def test_beta_weight_assignable_during_fit():
    # Learning rate 0 and a zero decoder kernel: weights stay fixed and the
    # reconstruction loss is mean(y^2) whatever z is, so each epoch's loss is
    # mean(y^2) + beta_epoch * mean KL exactly.
    model = _tiny_model(zero_decoder=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    layer = model.get_layer("posterior")
    x = _features(batch=16, width=6, seed=1)
    y = _features(batch=16, width=6, seed=2)
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=2,
        shuffle=False,
        verbose=0,
        callbacks=[SetBeta(layer, [0.0, 2.5])],
    )
    encoder_output = model.layers[1](x)
    mean_kl = float(ops.convert_to_numpy(ops.mean(layer.kl(encoder_output))))
    reconstruction = float(np.mean(y.astype(np.float64) ** 2))
    loss0, loss1 = history.history["loss"]
    np.testing.assert_allclose(loss0, reconstruction, rtol=1e-5)
    np.testing.assert_allclose(loss1, reconstruction + 2.5 * mean_kl, rtol=1e-5)
    assert float(ops.convert_to_numpy(layer.beta_weight)) == 2.5


def test_fit_reduces_loss():
    keras.utils.set_random_seed(0)  # unseeded initializers otherwise
    model = _tiny_model(beta=0.1)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = _features(batch=64, width=6, seed=4)
    history = model.fit(x, x, batch_size=16, epochs=2, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[1] < losses[0]
