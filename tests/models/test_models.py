"""Tests for `keras_hsvae.models` (tiny models, few samples)."""

import os

import keras
import numpy as np
import pytest
from conftest import make_tiny_model

from keras_hsvae.callbacks import BetaSchedule
from keras_hsvae.models import (
    SVAE,
    BetaVAE,
    ProductSVAE,
    conv_decoder,
    conv_encoder,
    mlp_decoder,
    mlp_encoder,
    resnet_decoder,
    resnet_encoder,
)

SHAPE = (4, 4, 1)


def _data(n=32, seed=0):
    return (np.random.default_rng(seed).random((n,) + SHAPE) > 0.5).astype("float32")


def _model(kind, likelihood="bernoulli", **kwargs):
    if kind == "sae":
        kwargs.pop("beta", None)
        return make_tiny_model("sae", p=1.5, **kwargs)
    return make_tiny_model(kind, likelihood=likelihood, **kwargs)


KINDS = ["beta", "vmf", "power_spherical", "product", "hsc", "sae"]
KEYS = {
    "beta": {"loss", "reconstruction", "kl"},
    "vmf": {"loss", "reconstruction", "kl", "concentration"},
    "power_spherical": {"loss", "reconstruction", "kl", "concentration"},
    "product": {
        "loss",
        "reconstruction",
        "kl",
        "concentration",
        "kl_shell_0",
        "kl_shell_1",
    },
    "hsc": {"loss", "reconstruction", "regularizer", "angular", "radial"},
    "sae": {"loss", "reconstruction"},
}


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("kind", KINDS)
def test_fit_logs_and_shapes(kind, likelihood):
    if kind == "sae" and likelihood == "gaussian":
        pytest.skip("SAE has one loss (the p-norm), tested with the other case")
    model = _model(kind, likelihood)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    x = _data()
    history = model.fit(x, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == KEYS[kind]
    assert np.all(np.isfinite(history.history["loss"]))
    z = keras.ops.convert_to_numpy(model.embed(x[:5]))
    assert z.shape == (5, model.latent_dim)
    if kind in ("vmf", "power_spherical"):
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)
    if kind == "product":
        np.testing.assert_allclose(np.linalg.norm(z[:, :3], axis=-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(np.linalg.norm(z[:, 3:], axis=-1), 1.0, atol=1e-5)
    if kind == "hsc":
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), np.sqrt(3), rtol=1e-5)
    if kind == "sae":
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(z.sum(axis=-1), 0.0, atol=1e-5)
    assert isinstance(model.encode(x[:5]), dict)
    assert tuple(model.reconstruct(x[:5]).shape) == (5,) + SHAPE
    generated = keras.ops.convert_to_numpy(model.generate(4, seed=0))
    assert generated.shape == (4,) + SHAPE
    if likelihood == "bernoulli" and kind != "sae":
        assert generated.min() >= 0 and generated.max() <= 1


@pytest.mark.parametrize("kind", ["beta", "vmf"])
def test_loss_decreases(kind):
    # Trivially learnable: every sample is the same binary image.
    x = np.tile(_data(1), (32, 1, 1, 1))
    model = _model(kind)
    model.compile(optimizer=keras.optimizers.Adam(2e-2))
    loss = model.fit(x, epochs=6, batch_size=16, verbose=0).history["loss"]
    assert np.all(np.isfinite(loss))
    assert loss[-1] < loss[0]


def test_generate_with_sampler():
    model = _model("vmf")
    model(_data(2))
    out = model.generate(2, seed=0, sampler=lambda n, seed: keras.ops.ones((n, 3)))
    assert tuple(out.shape) == (2,) + SHAPE


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trips(kind, tmp_path):
    model = _model(kind, beta=0.5)
    model.compile(optimizer="adam")
    x = _data(16)
    model.fit(x, epochs=1, batch_size=16, verbose=0)
    expected = keras.ops.convert_to_numpy(model.embed(x))

    rebuilt = model.__class__.from_config(model.get_config())
    assert rebuilt.get_config() == model.get_config()
    rebuilt(x[:2])
    path = os.path.join(tmp_path, "m.weights.h5")
    model.save_weights(path)
    rebuilt.load_weights(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt.embed(x)), expected)

    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.embed(x)), expected)


def test_beta_schedule_reaches_model():
    model = _model("product")
    model.compile(optimizer="adam")
    model.fit(
        _data(16),
        epochs=2,
        verbose=0,
        callbacks=[BetaSchedule("linear", start=0.0, end=0.4, epochs=4)],
    )
    beta = keras.ops.convert_to_numpy(model.posterior.beta_weight)
    assert float(beta) == pytest.approx(0.1)


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
@pytest.mark.parametrize("family", ["conv", "resnet"])
def test_image_builders(family, shape):
    if family == "conv":
        enc, dec = conv_encoder(shape), conv_decoder(4, shape)
    else:
        enc = resnet_encoder(shape, filters=(8, 16), units=16)
        dec = resnet_decoder(4, shape, filters=(16, 8))
    model = SVAE(enc, dec, 4, seed=0)
    x = np.random.default_rng(0).random((2,) + shape).astype("float32")
    assert tuple(model.reconstruct(x).shape) == (2,) + shape


def test_resnet_blocks_are_residual():
    # With every conv kernel of a block set to zero the block is the identity
    # (the shortcut alone): the defining property of a residual block.
    enc = resnet_encoder((28, 28, 1), filters=(8,), units=4)
    for layer in enc.layers:
        if "_conv" in layer.name:
            layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
            layer.bias.assign(np.zeros(layer.bias.shape, "float32"))
    stem = enc.get_layer("stem").output
    block = enc.get_layer("stage0_block0_add").output
    probe = keras.Model(enc.input, [stem, block])
    x = np.random.default_rng(1).random((2, 28, 28, 1)).astype("float32")
    a, b = (keras.ops.convert_to_numpy(t) for t in probe(x))
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_bad_arguments():
    enc, dec = mlp_encoder(SHAPE, (4,)), mlp_decoder(3, SHAPE, (4,))
    with pytest.raises(ValueError, match="likelihood='poisson'"):
        BetaVAE(enc, dec, 3, likelihood="poisson")
    with pytest.raises(ValueError, match="latent_dim=0"):
        BetaVAE(enc, dec, 0)
    with pytest.raises(ValueError, match="latent_dim=1"):
        SVAE(enc, dec, 1)
    with pytest.raises(ValueError, match="posterior='normal'"):
        SVAE(enc, dec, 3, posterior="normal")
    with pytest.raises(ValueError, match=r"shell_dims=\[3, 1\]"):
        ProductSVAE(enc, dec, [3, 1])
    with pytest.raises(ValueError, match="beta=-1"):
        SVAE(enc, dec, 3, beta=-1)
    with pytest.raises(ValueError, match="encoder='mlp'"):
        SVAE("mlp", dec, 3)
    with pytest.raises(ValueError, match=r"shape=\(8, 8, 1\)"):
        conv_encoder((8, 8, 1))
    with pytest.raises(ValueError, match=r"shape=\(64, 64, 1\)"):
        resnet_decoder(3, (64, 64, 1))
    model = SVAE(enc, dec, 3)
    with pytest.raises(ValueError, match="n=0"):
        model.generate(0)
    # Issue #10: seed=-1 was an OverflowError on JAX only (valid elsewhere).
    with pytest.raises(ValueError, match=r"`seed` must be an int >= 0.*seed=-1"):
        model.generate(2, seed=-1)
    with pytest.raises(ValueError, match=r"`seed` must be an int >= 0.*seed=-1"):
        model.prior_distribution().sample((2,), seed=-1)
    with pytest.raises(ValueError, match=r"seed=-3"):
        SVAE(enc, dec, 3, seed=-3)


# The three ways a code is made: rescaled to the sphere (vmf; beta, product
# and power_spherical share it or have no scaling), HSC's radii, SAE's projection.
@pytest.mark.parametrize("kind", ["vmf", "hsc", "sae"])
def test_one_example_empty_batch_and_nan_inputs_at_inference(kind):
    # Issue #10: one image without its batch axis gave an 819-line error; an
    # empty batch failed on TensorFlow and PyTorch only ("Cannot compute the
    # max of an empty tensor"); a NaN pixel gave a valid-looking SAE code.
    model = _model(kind)
    x = _data(4)
    with pytest.raises(ValueError, match=r"batch axis: x\[None\]") as info:
        model.embed(x[0])
    assert len(str(info.value).splitlines()) == 1
    with pytest.raises(ValueError, match=r"Received: x.shape=\(4, 4, 5, 1\)"):
        model.reconstruct(np.zeros((4, 4, 5, 1), "float32"))
    assert keras.ops.convert_to_numpy(model.embed(x[:0])).shape == (0, model.latent_dim)
    x[0, 1, 2, 0] = np.nan
    z = keras.ops.convert_to_numpy(model.embed(x))
    out = keras.ops.convert_to_numpy(model.decode(z))
    assert np.all(np.isnan(z[0])) and np.all(np.isnan(out[0]))
    assert np.all(np.isfinite(z[1:])) and np.all(np.isfinite(out[1:]))


def test_fit_refuses_arrays_a_bernoulli_model_cannot_see():
    # Issue #10: uint8 0..255 or [-1, 1] data trained "normally" (loss 379);
    # a NaN pixel turned every weight into NaN. Checked before training.
    model = _model("beta")
    model.compile(optimizer="adam")
    x = _data(8)
    for bad, seen in ((x * 255, r"\[0, 255\]"), (2 * x - 1, r"\[-1, 1\]")):
        with pytest.raises(ValueError, match=rf"in {seen}\. Scale it.*x / 255") as e:
            model.fit(bad, epochs=1, verbose=0)
        assert 'likelihood="gaussian"' in str(e.value)
    x[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="contains NaN or Inf values"):
        model.fit(x, epochs=1, verbose=0)


def _generator(batches):
    yield from batches


class _Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


@pytest.mark.parametrize("kind", ["tf.data", "generator", "py_dataset"])
def test_fit_refuses_batches_a_bernoulli_model_cannot_see(kind):
    # Issue #10: datasets and generators were not checked at all.
    tf = pytest.importorskip("tensorflow") if kind == "tf.data" else None

    def wrap(x):
        batches = [(x[:4],), (x[4:],)]
        if kind == "tf.data":
            return tf.data.Dataset.from_tensor_slices(x).batch(4)
        if kind == "generator":
            return _generator(batches)
        return _Batches(batches)

    x = _data(8)
    model = _model("beta")
    model.compile(optimizer="adam")
    for bad, seen in ((x * 255, r"\[0, 255\]"), (2 * x - 1, r"\[-1, 1\]")):
        with pytest.raises(ValueError, match=rf"in {seen}\. Scale it.*x / 255"):
            model.fit(wrap(bad), epochs=1, verbose=0, shuffle=False)
    nan = x.copy()
    nan[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="contains NaN or Inf values"):
        model.fit(wrap(nan), epochs=1, verbose=0, shuffle=False)
    history = model.fit(wrap(x), epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][-1])


def test_dataset_check_passes_the_batches_on_unchanged():
    tf = pytest.importorskip("tensorflow")
    from keras_hsvae.models._data_checks import checked_data
    from keras_hsvae.models.likelihoods import get_likelihood

    x = _data(10)
    y = np.arange(10, dtype="float32")

    def dataset():  # each iteration of one shuffled dataset has a new order
        return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10, seed=3).batch(4)

    checked = checked_data(dataset(), get_likelihood("bernoulli"))
    expected = [(a.numpy(), b.numpy()) for a, b in dataset()]
    got = [(a.numpy(), b.numpy()) for a, b in checked]
    assert len(got) == len(expected) == 3
    for (ea, eb), (ga, gb) in zip(expected, got):
        np.testing.assert_array_equal(ga, ea)
        np.testing.assert_array_equal(gb, eb)
