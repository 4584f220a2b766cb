"""keras_hsvae.training: the model registry, `TrainingConfig`, `train`, and
resumption.

All runs use the synthetic `vmf_circle` data (no files needed), cut to a few
dozen examples.
"""

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_hsvae import models, presets, training
from keras_hsvae.training import TrainingConfig

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
    # The metadata records the training arguments of the config: every
    # field but the paths, the verbosity, the command and `overwrite`.
    recorded = TrainingConfig.from_dict(meta["training_arguments"])
    assert recorded.model == "svae_power" and recorded.epochs == 2
    assert recorded.beta_schedule == "linear" and recorded.seed == SMALL["seed"]
    assert set(meta["training_arguments"]) == set(TRAINING_FIELDS)
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
    with pytest.raises(ValueError, match="either a TrainingConfig or its fields"):
        training.train(TrainingConfig(), "vmf_circle")


# The fields that change the trained model (recorded in the metadata and
# compared on resume); the others only say where and how loudly to run.
TRAINING_FIELDS = (
    "model",
    "dataset",
    "latent_dim",
    "epochs",
    "batch_size",
    "beta",
    "beta_schedule",
    "encoder",
    "likelihood",
    "seed",
    "max_train_examples",
    "learning_rate",
    "beta_start",
    "beta_schedule_epochs",
    "shuffle",
    "shell_dims",
    "model_kwargs",
)
RUN_FIELDS = (
    "output_dir",
    "data_dir",
    "verbose",
    "training_command",
    "overwrite",
    "distribute",
)


def test_config_fields_and_defaults_match_the_train_signature():
    import dataclasses

    fields = [field.name for field in dataclasses.fields(TrainingConfig)]
    assert sorted(fields) == sorted(TRAINING_FIELDS + RUN_FIELDS)
    # Positional order of the former `train(model, dataset, latent_dim, ...)`.
    assert fields[:5] == ["model", "dataset", "latent_dim", "epochs", "batch_size"]
    config = TrainingConfig()
    assert (config.model, config.dataset, config.latent_dim) == (
        "svae",
        "binarized_mnist",
        10,
    )
    assert (config.epochs, config.batch_size, config.learning_rate) == (10, 100, 1e-3)
    assert config.shuffle is True and config.overwrite is False
    assert set(config.training_arguments()) == set(TRAINING_FIELDS)


def test_config_round_trip():
    config = TrainingConfig(
        "product_svae",
        "vmf_circle",
        6,
        epochs=4,
        beta=2.5,
        beta_schedule="cyclical",
        shell_dims=[3, 3],
        model_kwargs={"name": "p"},
        output_dir=Path("runs") / "p",
        overwrite=True,
    )
    as_dict = config.to_dict()
    assert as_dict["shell_dims"] == [3, 3] and as_dict["output_dir"] == "runs/p"
    # Through JSON (the backup's config.json) and back.
    restored = TrainingConfig.from_dict(json.loads(json.dumps(as_dict)))
    assert restored == config and restored.shell_dims == (3, 3)
    assert not config.differences(restored)
    # A subset of keys takes the other defaults (old metadata, recipes).
    assert TrainingConfig.from_dict({"epochs": 3}) == TrainingConfig(epochs=3)
    with pytest.raises(ValueError, match=r"Unknown training arguments \['epoch'\]"):
        TrainingConfig.from_dict({"epoch": 3})
    # `likelihood=None` resolves from the dataset.
    assert TrainingConfig(dataset="binarized_mnist").resolved().likelihood == (
        "bernoulli"
    )
    assert TrainingConfig(dataset="vmf_circle").resolved().likelihood == "gaussian"
    assert config.differences(config.resolved()) == [("likelihood", None, "gaussian")]


def test_config_accepts_numpy_scalars():
    config = TrainingConfig(
        latent_dim=np.int64(10),
        epochs=np.int32(3),
        batch_size=np.uint16(50),
        seed=np.int64(0),
        beta=np.float32(0.5),
        max_train_examples=np.int64(100),
        shuffle=np.bool_(False),
        model="product_svae",
        shell_dims=np.array([5, 5]),
    )
    assert config == TrainingConfig(
        latent_dim=10,
        epochs=3,
        batch_size=50,
        seed=0,
        beta=0.5,
        max_train_examples=100,
        shuffle=False,
        model="product_svae",
        shell_dims=(5, 5),
    )
    assert type(config.epochs) is int and type(config.beta) is float
    json.dumps(config.to_dict())  # plain Python values only


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, "`epochs` must be an integer >= 1. Received: epochs=0"),
        ({"epochs": 2.0}, "`epochs` must be an integer >= 1. Received: epochs=2.0"),
        ({"epochs": True}, "Received: epochs=True"),
        ({"seed": -1}, "`seed` must be an integer >= 0. Received: seed=-1"),
        ({"beta": -1.0}, "`beta` must be a finite number >= 0.0. Received: beta=-1.0"),
        ({"beta": float("nan")}, "Received: beta=nan"),
        ({"learning_rate": 0}, "must be a finite number > 0.0"),
        ({"model": "vae"}, "Received: model='vae'"),
        ({"encoder": "rnn"}, "Received: encoder='rnn'"),
        ({"verbose": 3}, "Received: verbose=3"),
        ({"max_train_examples": 0}, "an integer >= 1 or None"),
        ({"shuffle": "yes"}, "Received: shuffle='yes'"),
        ({"dataset": ""}, "Received: dataset=''"),
        ({"shell_dims": [5, 5]}, "model='product_svae' only"),
        ({"model": "product_svae", "shell_dims": [2, 2]}, "must sum to latent_dim=10"),
        ({"model": "product_svae", "shell_dims": [9, 1]}, "integers >= 2"),
        ({"model_kwargs": {"beta": 2.0}}, "must not repeat a training argument"),
        ({"model_kwargs": {"prior": object()}}, "a dict of JSON values"),
    ],
)
def test_config_errors_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        TrainingConfig(**kwargs)


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

    # The same arguments, as a config this time: the run resumes.
    start = RecordStart()
    resumed, history = training.train(
        TrainingConfig("beta_vae", output_dir=out, **kwargs), callbacks=[start]
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


def test_resume_with_other_arguments_is_refused(tmp_path):
    from keras_hsvae.callbacks import beta_weight_variables

    kwargs = {**SMALL, "epochs": 3, "shuffle": False}
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="interrupted after epoch 0"):
        training.train(
            "beta_vae", output_dir=out, callbacks=[Interrupt(epoch=0)], **kwargs
        )
    saved = json.loads((out / "backup" / "config.json").read_text())
    expected = TrainingConfig("beta_vae", output_dir=out, **kwargs).resolved()
    assert TrainingConfig.from_dict(saved) == expected

    # The issue's `--beta 4.0 --seed 7`, and another latent size: refused
    # before any data is loaded, with one line naming each change.
    changed = {**kwargs, "beta": 4.0, "seed": 7, "latent_dim": 4}
    with pytest.raises(ValueError) as info:
        training.train("beta_vae", output_dir=out, **changed)
    message = str(info.value)
    assert "\n" not in message
    for change in ("beta: 1.0 -> 4.0", "seed: 3 -> 7", "latent_dim: 3 -> 4"):
        assert change in message
    assert "epochs:" not in message and "batch_size:" not in message
    assert str(out / "backup") in message
    assert "overwrite=True" in message and "--overwrite" in message
    assert "rerun with the old values" in message
    assert json.loads((out / "backup" / "config.json").read_text()) == saved

    # A backup without its config.json (older versions) cannot be checked.
    (out / "backup" / "config.json").unlink()
    with pytest.raises(ValueError, match="no config.json"):
        training.train("beta_vae", output_dir=out, **kwargs)

    # overwrite=True starts over with the new arguments.
    changed = {**kwargs, "beta": 4.0, "seed": 7}
    model, history = training.train(
        "beta_vae", output_dir=out, overwrite=True, **changed
    )
    assert history.epoch == [0, 1, 2]
    assert [float(keras.ops.convert_to_numpy(v)) for v in beta_weight_variables(model)]
    assert all(
        float(keras.ops.convert_to_numpy(v)) == 4.0
        for v in beta_weight_variables(model)
    )
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["training_arguments"]["beta"] == 4.0
    assert meta["training_arguments"]["seed"] == 7
    assert not (out / "backup").exists()


def test_model_names_are_read_from_the_registry_when_used(monkeypatch):
    from keras_hsvae import cli
    from keras_hsvae.models import registry

    # A name registered after `TrainingConfig` was defined (as a newly
    # registered posterior adds `svae_<name>`).
    monkeypatch.setitem(registry._FIXED, "beta_vae_again", ("BetaVAE", {}))
    assert TrainingConfig(model="beta_vae_again").model == "beta_vae_again"
    args = cli.build_parser().parse_args(
        ["train", "--model", "beta_vae_again", "--output", "x"]
    )
    assert TrainingConfig.from_args(args).model == "beta_vae_again"
    model = training.build_model("beta_vae_again", (6,), 2)
    assert type(model).__name__ == "BetaVAE"
