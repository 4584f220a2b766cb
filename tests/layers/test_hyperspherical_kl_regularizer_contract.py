"""HypersphericalKLRegularizer: exact messages, output shapes, seed in the
config, and the loss a stateless call returns."""

import keras
import numpy as np
import pytest
from backend_utils import to_numpy
from hsc_reference import _ref_penalty

from keras_hsvae.layers import HypersphericalKLRegularizer
from keras_hsvae.ops import hsc


def _mu_sigma(batch=8, n=4, seed=0):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=(batch, n)).astype("float32")
    sigma = (0.5 + rng.random((batch, n))).astype("float32")
    return mu, sigma


@pytest.mark.parametrize(
    "shapes, message",
    [
        (
            [(4, 6), (4, 6), (4, 6)],
            "`HypersphericalKLRegularizer` expects two inputs `[mu, sigma]`. "
            "Received: input_shape=[(4, 6), (4, 6), (4, 6)]",
        ),
        (
            [(4, 6), (4, 5)],
            "`HypersphericalKLRegularizer` expects `[mu, sigma]`, two tensors of "
            "the same shape (batch, n). Received: input_shape=[(4, 6), (4, 5)]",
        ),
        (
            [(8, 4), (1, 4)],
            "`HypersphericalKLRegularizer` expects `[mu, sigma]`, two tensors of "
            "the same shape (batch, n). Received: input_shape=[(8, 4), (1, 4)]",
        ),
        (
            [(4, 1), (4, 1)],
            "The latent size n (last axis of `mu`) must be known and >= 2. "
            "Received: input_shape=[(4, 1), (4, 1)]",
        ),
    ],
)
def test_build_messages_word_for_word(shapes, message):
    with pytest.raises(ValueError) as info:
        HypersphericalKLRegularizer().build(shapes)
    assert str(info.value) == message


def test_a_later_batch_of_two_sizes_is_refused_by_the_layer():
    # `build` saw matching shapes; the next call's sigma has another batch.
    layer = HypersphericalKLRegularizer(seed=0)
    layer(list(_mu_sigma(batch=8)))
    mu, _ = _mu_sigma(batch=8)
    _, sigma = _mu_sigma(batch=2)
    with pytest.raises(ValueError) as info:
        layer([mu, sigma])
    # Keras prefixes errors raised in `call` with the layer's name.
    assert (
        "`HypersphericalKLRegularizer` expects `[mu, sigma]`, two tensors of "
        "the same shape (batch, n). Received: input_shape=[(8, 4), (2, 4)]"
    ) in str(info.value)


def test_output_shape_is_the_shape_of_mu():
    # The batch size known on mu only: the output has mu's shape.
    mu = keras.Input(batch_shape=(8, 4))
    sigma = keras.Input((4,))
    layer = HypersphericalKLRegularizer(seed=0)
    assert tuple(layer([mu, sigma]).shape) == (8, 4)
    assert layer.compute_output_shape([(8, 4), (None, 4)]) == (8, 4)


def test_output_shape_with_terms():
    mu, sigma = _mu_sigma()
    layer = HypersphericalKLRegularizer(return_terms=True, seed=0)
    z, terms = layer([mu, sigma])
    expected = ((8, 4), {"angular": (), "radial": ()})
    assert layer.compute_output_shape([(8, 4), (8, 4)]) == expected
    assert (tuple(z.shape), {k: tuple(v.shape) for k, v in terms.items()}) == expected


def test_seed_is_kept_in_the_config():
    mu, sigma = _mu_sigma()
    layer = HypersphericalKLRegularizer(rescale=False, seed=11)
    config = layer.get_config()
    assert config["seed"] == 11
    clone = HypersphericalKLRegularizer.from_config(config)
    np.testing.assert_array_equal(
        to_numpy(clone([mu, sigma], training=True)),
        to_numpy(layer([mu, sigma], training=True)),
    )


def test_stateless_call_returns_the_loss_of_this_call_only():
    mu_a, sigma_a = _mu_sigma(seed=1)
    mu_b, sigma_b = _mu_sigma(seed=2)
    layer = HypersphericalKLRegularizer(beta=0.5, seed=0)
    layer([mu_a, sigma_a])  # an eager call first: its loss is the layer's
    # The non-trainable state: beta_weight, then the seed generator's state.
    state = [v.value for v in layer.non_trainable_variables]
    assert layer.non_trainable_variables[0] is layer.beta_weight
    state[0] = np.float32(0.25)
    _, _, losses = layer.stateless_call([], state, [mu_b, sigma_b], return_losses=True)
    expected = 0.25 * _ref_penalty(
        mu_b, sigma_b, hsc.prior_targets("compressed", 4), hsc.hsc_gains("all_ones", 4)
    )
    assert len(losses) == 1
    np.testing.assert_allclose(float(to_numpy(losses[0])), expected, rtol=2e-5)


def test_training_draw_is_mu_plus_sigma_times_the_layers_normal_draw():
    # z = mu - eps sigma has the same law: only the seeded draw tells them apart.
    mu, sigma = _mu_sigma(batch=5)
    layer = HypersphericalKLRegularizer(rescale=False, seed=7)
    z = to_numpy(layer([mu, sigma], training=True))
    # The layer's first draw: keras.random.normal from SeedGenerator(7).
    eps = to_numpy(
        keras.random.normal((5, 4), dtype="float32", seed=keras.random.SeedGenerator(7))
    )
    np.testing.assert_allclose(z, mu + eps * sigma, rtol=1e-6, atol=1e-6)
