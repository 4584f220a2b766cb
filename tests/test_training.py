"""keras_hsvae.training: the model registry, `train`, and resumption.

All runs use the synthetic `vmf_circle` data (no files needed), cut to a few
dozen examples.
"""

import json

import keras
import numpy as np
import pytest

from keras_hsvae import models, presets, training

SMALL = {
    "dataset": "vmf_circle",
    "latent_dim": 3,
    "batch_size": 16,
    "max_train_examples": 48,
    "seed": 3,
    "verbose": 0,
}
STEPS_PER_EPOCH = 3  # 48 examples / 16


class Interrupt(keras.callbacks.Callback):
    """Raise at the end of epoch `epoch` (after the backup was written)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.weights = [np.array(w) for w in self.model.get_weights()]
            raise RuntimeError(f"interrupted after epoch {epoch}")


class RecordStart(keras.callbacks.Callback):
    """The weights when training (re)starts, after `BackupAndRestore`."""

    def on_train_begin(self, logs=None):
        self.weights = [np.array(w) for w in self.model.get_weights()]


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


AVAILABLE = [
    name
    for name, (cls, _) in training.MODELS.items()
    if getattr(models, cls, None) is not None
]


@pytest.mark.parametrize("name", AVAILABLE)
def test_build_model_registry(name):
    model = training.build_model(name, (6,), 4, seed=0)
    class_name, fixed = training.MODELS[name]
    assert type(model).__name__ == class_name
    assert model.built and model.latent_dim == 4
    if name == "product_svae":
        assert model.shell_dims == [4]
    for key, value in fixed.items():
        assert model.get_config()[key] == value
    # The S-VAE paper's MLP: flatten-256-128 and the mirror image.
    dense = [layer.units for layer in model.encoder.layers if hasattr(layer, "units")]
    assert dense == [256, 128]
    dense = [layer.units for layer in model.decoder.layers if hasattr(layer, "units")]
    assert dense == [128, 256, 6]


def test_build_model_conv_and_errors():
    model = training.build_model("beta_vae", (28, 28, 1), 2, encoder="conv")
    assert model.decoder.output_shape == (None, 28, 28, 1)
    with pytest.raises(ValueError, match="Received: name='vae'"):
        training.build_model("vae", (6,), 2)
    with pytest.raises(ValueError, match="Received: encoder='rnn'"):
        training.build_model("svae", (6,), 2, encoder="rnn")
    with pytest.raises(ValueError, match=r"Received: shell_dims=\[2, 2\]"):
        training.build_model("product_svae", (6,), 5, shell_dims=[2, 2])


def test_default_shell_dims():
    assert training.default_shell_dims(2) == [2]
    assert training.default_shell_dims(10) == [5, 5]
    assert training.default_shell_dims(14) == [5, 9]


def test_train_writes_a_loadable_preset(tmp_path):
    out = tmp_path / "run"
    model, history = training.train(
        "svae_power", epochs=2, beta_schedule="linear", output_dir=out, **SMALL
    )
    assert history.epoch == [0, 1]
    assert not (out / "backup").exists()
    meta = json.loads((out / "metadata.json").read_text())
    for split in ("train", "test"):
        for key in ("loss", "reconstruction", "kl"):
            assert np.isfinite(meta["metrics"][f"{split}_{key}"])
    assert meta["train_examples"] == 48 and meta["dataset"] == "vmf_circle"
    assert meta["training_arguments"]["likelihood"] == "gaussian"
    assert meta["training_command"].startswith("keras_hsvae.training.train(")
    # Linear warm-up over max(2 // 3, 1) = 1 epoch from 0 to 1: beta = 1 at
    # epoch 1, and the saved model carries it.
    restored = presets.load_preset(out, expected_class=models.SVAE)
    assert restored.posterior_kind == "power_spherical"
    assert float(restored.posterior.beta_weight.numpy()) == 1.0
    x = np.random.default_rng(0).normal(size=(4, 100)).astype("float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored.embed(x)),
        keras.ops.convert_to_numpy(model.embed(x)),
    )
    # The test metrics are those of evaluate() on the test split.
    from keras_hsvae import data

    x_test = data.load("vmf_circle", "test", as_numpy=True)
    values = model.evaluate(x_test, batch_size=500, verbose=0, return_dict=True)
    np.testing.assert_allclose(
        meta["metrics"]["test_kl"], float(values["kl"]), rtol=1e-5
    )


def test_train_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Received: beta_schedule='sqrt'"):
        training.train(beta_schedule="sqrt", output_dir=tmp_path, **SMALL)
    with pytest.raises(ValueError, match="Received: epochs=0"):
        training.train(epochs=0, output_dir=tmp_path, **SMALL)


@pytest.mark.parametrize("shuffle", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_interrupted_run_resumes_to_the_same_end(tmp_path, shuffle):
    # beta_vae: the Gaussian sampler traces fast; the mechanism (backup,
    # restore, per-epoch seeds) is the same for every model.
    kwargs = {**SMALL, "epochs": 3, "shuffle": shuffle}
    reference, ref_history = training.train(
        "beta_vae", output_dir=tmp_path / "reference", **kwargs
    )
    assert ref_history.epoch == [0, 1, 2]

    out = tmp_path / "interrupted"
    interrupt = Interrupt(epoch=1)
    with pytest.raises(RuntimeError, match="interrupted after epoch 1"):
        training.train("beta_vae", output_dir=out, callbacks=[interrupt], **kwargs)
    backup = json.loads((out / "backup" / "training_metadata.json").read_text())
    assert backup["epoch"] == 2
    assert not (out / "metadata.json").exists()

    start = RecordStart()
    resumed, history = training.train(
        "beta_vae", output_dir=out, callbacks=[start], **kwargs
    )
    # Only the last epoch ran, from exactly the interrupted state, and the
    # optimizer's step counter was restored with it.
    assert history.epoch == [2]
    for restored, saved in zip(start.weights, interrupt.weights):
        np.testing.assert_array_equal(restored, saved)
    iterations = int(keras.ops.convert_to_numpy(resumed.optimizer.iterations))
    assert iterations == 3 * STEPS_PER_EPOCH
    assert iterations == int(keras.ops.convert_to_numpy(reference.optimizer.iterations))
    assert not (out / "backup").exists()
    assert (out / "model.weights.h5").exists()
    if not shuffle:
        # Same batches and the same per-epoch sampler noise: the same weights.
        for a, b in zip(_weights(resumed), _weights(reference)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
