"""Tests for the HSC-VAE regularizer: `ops.hsc` and `HypersphericalKLRegularizer`.

The reference is an independent float64 numpy transcription of the papers'
formulas: the O(n^2) masked tail sums of 001 appendix A.2 (without its
+0.001), angles by `arccos`, `np.mean` / `np.std` (population) over the batch.
"""

import math
import os

import keras
import numpy as np
import pytest
from backend_utils import SetBeta, float64, value_and_grad
from hsc_reference import _ref_cosines, _ref_penalty
from keras import ops

from keras_hsvae.layers.hyperspherical_kl_regularizer import (
    HypersphericalKLRegularizer,
)
from keras_hsvae.ops import hsc
from keras_hsvae.ops.sae import rescale_to_radius

# One batch size and latent size for most tests: JAX compiles each eager op
# once per shape, so few distinct shapes keep the suite fast there.
B, N = 16, 8

# ----------------------------------------------------------------- reference


def _mu_sigma(batch, n, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    mu = (rng.normal(size=(batch, n)) + offset).astype("float32")
    sigma = np.logaddexp(0.0, rng.normal(size=(batch, n))).astype("float32")
    return mu, sigma


# ---------------------------------------------------------- priors and gains


@pytest.mark.parametrize("n", [2, 3, 10, 200])
def test_all_ones_profile_is_cosines_of_all_ones_vector(n):
    profile = hsc.all_ones_profile(n)
    np.testing.assert_allclose(profile, _ref_cosines(np.ones((1, n)))[0], rtol=1e-14)
    # The paper's 1/sqrt(k+1), with k counted from the last angle.
    k_from_last = np.arange(n - 1, 0, -1)
    np.testing.assert_allclose(profile, 1 / np.sqrt(k_from_last + 1), rtol=1e-14)


@pytest.mark.parametrize("prior", hsc.PRIORS)
def test_prior_targets(prior):
    n = 6
    t = hsc.prior_targets(prior, n)
    ones_cos = _ref_cosines(np.ones((1, n)))[0]
    expected_a_mk = {"compressed": 1.0, "moderate": ones_cos, "uncompressed": 0.0}
    np.testing.assert_allclose(t["a_mk"], np.broadcast_to(expected_a_mk[prior], n - 1))
    np.testing.assert_allclose(t["b_mk"], ones_cos, rtol=1e-14)
    assert float(t["a_mr"]) == math.sqrt(n) and float(t["b_mr"]) == 0.0
    # sigma targets: the coordinates of sigma = (1, ..., 1), the N(0, I) scale.
    np.testing.assert_allclose(t["a_sk"], ones_cos, rtol=1e-14)
    np.testing.assert_array_equal(t["b_sk"], np.zeros(n - 1))
    assert float(t["a_sr"]) == math.sqrt(n) and float(t["b_sr"]) == 0.0
    assert {k: v.shape for k, v in t.items()} == {
        "a_sk": (n - 1,),
        "b_sk": (n - 1,),
        "a_mk": (n - 1,),
        "b_mk": (n - 1,),
        "a_sr": (),
        "b_sr": (),
        "a_mr": (),
        "b_mr": (),
    }


def test_sigma_targets_met_by_standard_scale():
    n = N
    ones = np.ones((B, n), "float32")
    stats = hsc.hsc_batch_statistics(ones, ones)
    t = hsc.prior_targets("compressed", n)
    for stat, target in [
        ("mean_cos_sigma", "a_sk"),
        ("std_cos_sigma", "b_sk"),
        ("mean_r_sigma", "a_sr"),
        ("std_r_sigma", "b_sr"),
    ]:
        np.testing.assert_allclose(
            ops.convert_to_numpy(stats[stat]), t[target], rtol=1e-6, atol=1e-6
        )


def test_gains():
    n = 5
    profile = 1 / np.sqrt(np.arange(n, 1, -1))
    all_ones = hsc.hsc_gains("all_ones", n)
    constant = hsc.hsc_gains("constant", n)
    custom = hsc.hsc_gains([0.0, 1.0, 2.0, 3.0], n)
    for key in ("alpha_sk", "beta_sk", "alpha_mk", "beta_mk"):
        np.testing.assert_allclose(all_ones[key], profile, rtol=1e-14)
        np.testing.assert_array_equal(constant[key], np.ones(n - 1))
        np.testing.assert_array_equal(custom[key], [0.0, 1.0, 2.0, 3.0])
    for key in ("alpha_sr", "beta_sr", "alpha_mr", "beta_mr"):
        for g in (all_ones, constant, custom):
            assert float(g[key]) == 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: hsc.prior_targets("flat", 3), "compressed.*moderate.*uncompressed"),
        (lambda: hsc.prior_targets("compressed", 1), "Received: n=1"),
        (lambda: hsc.hsc_gains("linear", 3), "all_ones.*constant"),
        (lambda: hsc.hsc_gains([1.0, 2.0, 3.0], 3), "n-1 = 2 entries"),
        (lambda: hsc.hsc_gains([1.0, -2.0], 3), "finite and >= 0"),
        (lambda: hsc.hsc_gains([[1.0, 2.0]], 3), "1-D"),
    ],
)
def test_invalid_priors_and_gains(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------- batch statistics


def test_batch_mean_std_two_pass_accuracy():
    # Large offset, small spread: the one-pass E[x^2] - E[x]^2 in float32
    # loses every digit (eps * 1e8 >> 1e-4); the two-pass form does not.
    rng = np.random.default_rng(0)
    x = (1e4 + 1e-2 * rng.normal(size=(256, 3))).astype("float32")
    mean, std = hsc.batch_mean_std(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(ops.convert_to_numpy(mean), x64.mean(0), rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(std), x64.std(0), rtol=1e-3)


def test_moments_are_additive_and_all_reduce_hook():
    # Shards with a shared shift add up to the moments of the whole batch.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 4)).astype("float32")
    shift = np.full((4,), 0.5, "float32")
    whole = hsc.batch_moments(x, shift=shift)
    parts = [
        hsc.batch_moments(x[:3], shift=shift),
        hsc.batch_moments(x[3:], shift=shift),
    ]
    for i in range(3):
        np.testing.assert_allclose(
            ops.convert_to_numpy(parts[0][i] + parts[1][i]),
            ops.convert_to_numpy(whole[i]),
            rtol=1e-5,
        )
    mean, std = hsc.moments_to_mean_std(*whole, shift=shift)
    np.testing.assert_allclose(ops.convert_to_numpy(mean), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(std), x.std(0), rtol=1e-5)
    # Two identical replicas (all_reduce = sum of two equal copies): the global
    # batch is x twice, whose population mean and std are those of x.
    mean2, std2 = hsc.batch_mean_std(x, all_reduce=lambda t: 2.0 * t)
    np.testing.assert_allclose(ops.convert_to_numpy(mean2), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(std2), x.std(0), rtol=1e-5)


# -------------------------------------------------------------- the penalty


@pytest.mark.parametrize("n", [2, 3, N, 50])
@pytest.mark.parametrize("prior", hsc.PRIORS)
def test_penalty_matches_reference(prior, n):
    mu, sigma = _mu_sigma(B, n, seed=n)
    for gains in ("all_ones", "constant", list(np.linspace(0.5, 2.0, n - 1))):
        targets = hsc.prior_targets(prior, n)
        g = hsc.hsc_gains(gains, n)
        value = float(ops.convert_to_numpy(hsc.hsc_penalty(mu, sigma, targets, g)))
        np.testing.assert_allclose(
            value, _ref_penalty(mu, sigma, targets, g), rtol=2e-5
        )


def test_penalty_float64_matches_reference_tightly():
    n = N
    mu, sigma = _mu_sigma(B, n, seed=8, offset=0.3)
    mu, sigma = mu.astype(np.float64), sigma.astype(np.float64)
    targets = hsc.prior_targets("moderate", n)
    gains = hsc.hsc_gains("all_ones", n)
    with float64():
        value = hsc.hsc_penalty(
            ops.convert_to_tensor(mu, "float64"),
            ops.convert_to_tensor(sigma, "float64"),
            targets,
            gains,
        )
        assert keras.backend.standardize_dtype(value.dtype) == "float64"
        value = float(ops.convert_to_numpy(value))
    np.testing.assert_allclose(
        value, _ref_penalty(mu, sigma, targets, gains), rtol=1e-12
    )


def test_batch_statistics_match_reference():
    mu, sigma = _mu_sigma(B, N, seed=2, offset=0.7)
    stats = hsc.hsc_batch_statistics(mu, sigma)
    for x, name in ((mu, "mu"), (sigma, "sigma")):
        cos = _ref_cosines(x)
        r = np.linalg.norm(x.astype(np.float64), axis=-1)
        expected = {
            f"mean_cos_{name}": cos.mean(0),
            f"std_cos_{name}": cos.std(0),
            f"mean_r_{name}": r.mean(),
            f"std_r_{name}": r.std(),
        }
        for key, value in expected.items():
            np.testing.assert_allclose(
                ops.convert_to_numpy(stats[key]), value, rtol=2e-5, atol=1e-6
            )


def test_penalty_gradients_finite_with_zero_tails():
    n = N
    mu, sigma = _mu_sigma(B, n, seed=3)
    mu[0, 1:] = 0.0  # cos phi_k for k >= 2 has a zero tail
    mu[1, 3:] = 0.0
    mu[2, -1] = 0.0  # last angle: x_{n-1} / sqrt(x_{n-1}^2 + 0)
    mu[4] = 0.0  # no direction at all: radius 0, every tail zero
    sigma[3, 2:] = 0.0
    targets = hsc.prior_targets("compressed", n)
    gains = hsc.hsc_gains("all_ones", n)

    def f(m, s):
        return hsc.hsc_penalty(m, s, targets, gains)

    value, (g_mu, g_sigma) = value_and_grad(f, mu, sigma)
    assert np.isfinite(value)
    assert np.all(np.isfinite(g_mu)) and np.all(np.isfinite(g_sigma))
    assert np.any(g_mu != 0) and np.any(g_sigma != 0)


def test_penalty_gradient_matches_finite_differences():
    n = N
    mu, sigma = _mu_sigma(B, n, seed=4)
    targets = hsc.prior_targets("moderate", n)
    gains = hsc.hsc_gains("all_ones", n)
    _, (g_mu, _) = value_and_grad(
        lambda m, s: hsc.hsc_penalty(m, s, targets, gains), mu, sigma
    )
    h = 1e-6
    for b, j in [(0, 0), (2, 3), (5, 7)]:
        up, down = mu.astype(np.float64), mu.astype(np.float64)
        up[b, j] += h
        down[b, j] -= h
        fd = (
            _ref_penalty(up, sigma, targets, gains)
            - _ref_penalty(down, sigma, targets, gains)
        ) / (2 * h)
        np.testing.assert_allclose(g_mu[b, j], fd, rtol=2e-3, atol=1e-4)


def test_rescale_to_radius():
    # Rows: ordinary, zero (-> e_1), squares underflow, squares overflow.
    z = np.array(
        [[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1e-30, 0.0, -1e-30], [3e30, 4e30, 0.0]],
        "float32",
    )
    out = ops.convert_to_numpy(rescale_to_radius(z, 2.0))
    root2 = math.sqrt(2.0)
    expected = [[1.2, 1.6, 0.0], [2.0, 0.0, 0.0], [root2, 0.0, -root2], [1.2, 1.6, 0.0]]
    np.testing.assert_allclose(out, expected, rtol=1e-6)

    def f(x):
        return ops.sum(rescale_to_radius(x, 2.0)[:, 0])

    _, (grad,) = value_and_grad(f, z[:1])
    # d/dz_j of 2 z_1/||z|| at (3, 4, 0): 2 (delta_1j / 5 - 3 z_j / 125).
    np.testing.assert_allclose(grad[0], [0.256, -0.192, 0.0], rtol=1e-5, atol=1e-7)
    # A zero row (mapped to radius * e_1) has a finite, zero gradient.
    _, (grad,) = value_and_grad(f, z[1:2])
    np.testing.assert_array_equal(grad, np.zeros_like(grad))


def test_nan_inputs_give_nan_not_valid_looking_values():
    # Issue #10: the regularizer returned a finite penalty for a NaN `mu`, and
    # a row with NaN was rescaled to a point of the sphere.
    z = np.array([[3.0, np.nan, 0.0], [np.inf, 1.0, 0.0], [3.0, 4.0, 0.0]], "float32")
    out = ops.convert_to_numpy(rescale_to_radius(z, 1.0))
    assert np.all(np.isnan(out[:2])) and np.allclose(out[2], [0.6, 0.8, 0.0])
    assert ops.convert_to_numpy(rescale_to_radius(z[:0], 1.0)).shape == (0, 3)
    mu = np.full((5, 3), 2.0, "float32")
    mu[0, 1] = np.nan
    targets, gains = hsc.prior_targets("moderate", 3), hsc.hsc_gains("all_ones", 3)
    penalty = hsc.hsc_penalty(mu, np.ones((5, 3), "float32"), targets, gains)
    assert np.isnan(ops.convert_to_numpy(penalty))


# ------------------------------------------------------------------ the layer


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("inference", ["mean", "sample"])
def test_layer_output_on_sphere_and_loss(training, inference):
    n = N
    mu, sigma = _mu_sigma(B, n, seed=5)
    layer = HypersphericalKLRegularizer(beta=0.3, inference=inference, seed=0)
    z = ops.convert_to_numpy(layer([mu, sigma], training=training))
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), math.sqrt(n), rtol=1e-5)
    if not training and inference == "mean":
        unit = mu / np.linalg.norm(mu, axis=-1, keepdims=True)
        np.testing.assert_allclose(z, math.sqrt(n) * unit, rtol=1e-5, atol=1e-6)
    assert len(layer.losses) == 1
    expected = 0.3 * _ref_penalty(
        mu, sigma, hsc.prior_targets("compressed", n), hsc.hsc_gains("all_ones", n)
    )
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(layer.losses[0])), expected, rtol=2e-5
    )


def test_layer_without_rescale_is_reparameterization():
    mu, sigma = _mu_sigma(20000, 2, seed=6, offset=3.0)
    mu[:] = mu[0]
    sigma[:] = sigma[0]
    layer = HypersphericalKLRegularizer(rescale=False, seed=7)
    z = ops.convert_to_numpy(layer([mu, sigma], training=True)).astype(np.float64)
    se = sigma[0] / math.sqrt(len(z))
    np.testing.assert_array_less(np.abs(z.mean(0) - mu[0]), 5 * se)
    np.testing.assert_array_less(np.abs(z.std(0) - sigma[0]), 5 * se)
    np.testing.assert_array_equal(ops.convert_to_numpy(layer([mu, sigma])), mu)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"prior": "flat"},
            "compressed.*moderate.*uncompressed.*Received: prior='flat'",
        ),
        ({"gains": "linear"}, "all_ones.*constant.*Received: gains='linear'"),
        ({"beta": -1}, "Received: beta=-1"),
        ({"rescale": "yes"}, "Received: rescale='yes'"),
        ({"inference": "mode"}, "Received: inference='mode'"),
        ({"seed": 1.5}, "Received: seed=1.5"),
    ],
)
def test_layer_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HypersphericalKLRegularizer(**kwargs)


def test_layer_gains_length_checked_at_build():
    layer = HypersphericalKLRegularizer(gains=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="n-1 = 4 entries"):
        layer.build([(None, 5), (None, 5)])
    with pytest.raises(ValueError, match="two inputs"):
        HypersphericalKLRegularizer().build((None, 5))


def test_config_round_trip():
    layer = HypersphericalKLRegularizer(
        prior="moderate",
        gains=[0.5, 1.0, 2.0],
        beta=0.2,
        rescale=False,
        inference="sample",
        seed=11,
        name="hsc",
    )
    config = layer.get_config()
    clone = HypersphericalKLRegularizer.from_config(config)
    assert clone.get_config() == config
    assert config["gains"] == [0.5, 1.0, 2.0] and config["prior"] == "moderate"
    assert clone.compute_output_shape([(None, 4), (None, 4)]) == (None, 4)


def _hsc_model(n=N, width=12, prior="compressed", beta=1.0, zero_decoder=False):
    inputs = keras.Input((width,))
    h = keras.layers.Dense(16, activation="tanh")(inputs)
    mu = keras.layers.Dense(n, name="mu")(h)
    sigma = keras.layers.Dense(n, activation="softplus", name="sigma")(h)
    z = HypersphericalKLRegularizer(prior=prior, beta=beta, seed=0, name="hsc")(
        [mu, sigma]
    )
    init = "zeros" if zero_decoder else "glorot_uniform"
    outputs = keras.layers.Dense(width, kernel_initializer=init)(z)
    return keras.Model(inputs, outputs)


def test_keras_save_load_round_trip(tmp_path):
    model = _hsc_model(prior="moderate", beta=0.5)
    model.get_layer("hsc").beta_weight.assign(0.25)
    x = np.random.default_rng(0).normal(size=(5, 12)).astype("float32")
    path = os.path.join(tmp_path, "hsc.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)), rtol=1e-6
    )
    layer = loaded.get_layer("hsc")
    assert isinstance(layer, HypersphericalKLRegularizer)
    assert layer.get_config() == model.get_layer("hsc").get_config()
    assert float(ops.convert_to_numpy(layer.beta_weight)) == 0.25
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(loaded.losses[0])),
        float(ops.convert_to_numpy(model.losses[0])),
        rtol=1e-6,
    )


def test_beta_weight_assignable_during_fit():
    # Learning rate 0, zero decoder kernel and one full batch: the loss of
    # each epoch is exactly mean(y^2) + beta_epoch * penalty(mu, sigma).
    model = _hsc_model(zero_decoder=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    layer = model.get_layer("hsc")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 12)).astype("float32")
    y = rng.normal(size=(32, 12)).astype("float32")
    history = model.fit(
        x,
        y,
        batch_size=32,
        epochs=2,
        shuffle=False,
        verbose=0,
        callbacks=[SetBeta(layer, [0.0, 3.0])],
    )
    h = model.layers[1](x)
    mu = ops.convert_to_numpy(model.get_layer("mu")(h))
    sigma = ops.convert_to_numpy(model.get_layer("sigma")(h))
    penalty = _ref_penalty(mu, sigma, layer.targets, hsc.hsc_gains("all_ones", N))
    reconstruction = float(np.mean(y.astype(np.float64) ** 2))
    loss0, loss1 = history.history["loss"]
    np.testing.assert_allclose(loss0, reconstruction, rtol=1e-5)
    np.testing.assert_allclose(loss1, reconstruction + 3.0 * penalty, rtol=1e-4)


def test_fit_pulls_mean_cosines_to_compressed_target():
    n = N
    x = np.random.default_rng(2).normal(size=(256, 12)).astype("float32")

    def distance_to_target(model):
        h = model.layers[1](x)
        stats = hsc.hsc_batch_statistics(
            model.get_layer("mu")(h), model.get_layer("sigma")(h)
        )
        mean_cos = ops.convert_to_numpy(stats["mean_cos_mu"])
        return float(np.mean(np.abs(mean_cos - 1.0)))

    # Same start, with and without the regularizer (beta = 0: autoencoder).
    regularized = _hsc_model(n=n, prior="compressed", beta=1.0)
    control = _hsc_model(n=n, prior="compressed")
    control.set_weights(regularized.get_weights())
    control.get_layer("hsc").beta_weight.assign(0.0)
    before = distance_to_target(regularized)
    distances, losses = [], []
    for model in (regularized, control):
        model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
        history = model.fit(x, x, batch_size=32, epochs=2, shuffle=False, verbose=0)
        distances.append(distance_to_target(model))
        losses.append(history.history["loss"])
    assert np.all(np.isfinite(losses))
    assert losses[0][1] < losses[0][0]
    after, after_control = distances
    print(before, after, after_control)
    assert after < 0.8 * before, (before, after)
    assert after < after_control - 0.1, (after, after_control)


def test_layer_returns_the_terms_of_the_loss_it_adds():
    mu, sigma = _mu_sigma(B, N)
    layer = HypersphericalKLRegularizer(beta=0.5, return_terms=True, seed=0)
    z, terms = layer([mu, sigma], training=True)
    assert tuple(z.shape) == (B, N)
    targets = hsc.prior_targets("compressed", N)
    gains = hsc.hsc_gains("all_ones", N)
    expected = _ref_penalty(mu, sigma, targets, gains)
    total = float(ops.convert_to_numpy(terms["angular"] + terms["radial"]))
    assert total == pytest.approx(expected, rel=1e-5)
    (loss,) = layer.losses
    assert float(ops.convert_to_numpy(loss)) == pytest.approx(0.5 * expected, rel=1e-5)
    # Radial part alone: eqs. (5) of 001 by numpy.
    r_mu = np.linalg.norm(mu.astype(np.float64), axis=-1)
    r_s = np.linalg.norm(sigma.astype(np.float64), axis=-1)
    radial = (r_mu.mean() - targets["a_mr"]) ** 2 + (r_mu.std() - targets["b_mr"]) ** 2
    radial += (r_s.mean() - targets["a_sr"]) ** 2 + (r_s.std() - targets["b_sr"]) ** 2
    assert float(ops.convert_to_numpy(terms["radial"])) == pytest.approx(
        radial, rel=1e-5
    )
    rebuilt = HypersphericalKLRegularizer.from_config(layer.get_config())
    assert rebuilt.return_terms is True
    with pytest.raises(ValueError, match="return_terms=1"):
        HypersphericalKLRegularizer(return_terms=1)
