"""`train` and its steps: load the data, build, fit, evaluate, save.

`train(config)` is the plain-Python entry point behind the model zoo and
`hsvae train`: `load_data` loads the splits with
`keras_hsvae.data.load(..., as_numpy=True)`, `build` makes the model with
`build_model` and compiles it, `fit` runs `model.fit` with Keras' own
callbacks (`BackupAndRestore` for resumption, `BetaSchedule` for the KL
weight), `evaluate` runs `model.evaluate` on the train and test splits and
`save` writes a preset (`keras_hsvae.presets.save_to_preset`) whose metadata
records the training arguments and the final metrics.

(The module is not called `train.py`: `keras_hsvae.training.train` is the
function.)
"""

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import threading
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from keras_hsvae.callbacks import BackupAndRestore, BetaSchedule
from keras_hsvae.training.architectures import build_model
from keras_hsvae.training.config import TrainingConfig
from keras_hsvae.training.distribute import distribution_scope, process_shard
from keras_hsvae.training.graphs import (
    GraphData,
    build_graph_model,
    evaluate_graph,
    is_graph_model,
    load_graph_data,
)

BACKUP_DIR = "backup"
BACKUP_CONFIG = "config.json"
# Written by `callbacks.BackupAndRestore` after each epoch (the last two only
# while a backup is being written).
_BACKUP_STATE = (
    "latest.weights.h5",
    "training_metadata.json",
    BackupAndRestore.PENDING_WEIGHTS,
    BackupAndRestore.PENDING_METADATA,
)

# Models whose constructor takes no `beta` / `likelihood` (no KL / fixed loss).
_NO_BETA = ("sae",)
_NO_LIKELIHOOD = ("sae",)

# BETA_SCHEDULES name -> (`BetaSchedule` kind, direction).
_SCHEDULES = {
    "constant": ("constant", "increase"),
    "linear": ("linear", "increase"),
    "sqrt_up": ("sqrt", "increase"),
    "sqrt_down": ("sqrt", "decrease"),
    "cyclical": ("cyclical", "increase"),
}

# Draws reserved per epoch in a sampler's seed stream; a uint32 counter (JAX)
# then lasts 4095 epochs before it wraps around.
EPOCH_SEED_STRIDE = 2**20


class EpochSeeds(keras.callbacks.Callback):
    """Restart every `SeedGenerator` of the model at a per-epoch position.

    `BackupAndRestore` saves the weights and the optimizer but not the state
    of the samplers' seed generators, so a resumed run would replay the
    noise of its first epochs. With this callback the noise of epoch `e` is
    the stream of the generator's initial state advanced by
    `e * EPOCH_SEED_STRIDE` draws: it depends on the seed and the epoch only,
    and a resumed run draws the same noise as an uninterrupted one.
    """

    def on_train_begin(self, logs=None):
        self._generators = [
            generator
            for layer in self.model._flatten_layers(include_self=True, recursive=True)
            for generator in getattr(layer, "_seed_generators", [])
        ]
        if not hasattr(self, "_initial"):
            self._initial = [
                keras.ops.convert_to_numpy(g.state.value).copy()
                for g in self._generators
            ]

    def on_epoch_begin(self, epoch, logs=None):
        for generator, initial in zip(self._generators, self._initial):
            state = initial.copy()
            state[1] += epoch * EPOCH_SEED_STRIDE
            generator.state.assign(state)


class TrainingData(NamedTuple):
    """The float32 arrays of `load_data`: `train` (possibly cut) and `test`."""

    train: np.ndarray
    test: np.ndarray


def _config(config, kwargs):
    if config is None:
        return TrainingConfig(**kwargs)
    if not isinstance(config, TrainingConfig):
        raise ValueError(
            f"`config` must be a TrainingConfig or None. Received: config={config!r}"
        )
    return dataclasses.replace(config, **kwargs) if kwargs else config


def _load_split(config, split):
    from keras_hsvae import data

    kwargs = {
        "data_dir": config.data_dir,
        "as_numpy": True,
        "download": config.data_dir is None,
    }
    if config.dataset == "dynamic_binarized_mnist":
        kwargs["seed"] = config.seed
    return np.asarray(data.load(config.dataset, split, **kwargs), "float32")


def load_data(config=None, **kwargs):
    """The train and test splits of `config.dataset` as float32 arrays.

    Args:
        config: a `TrainingConfig` (`dataset`, `data_dir`,
            `max_train_examples`, and `seed` for the dynamically binarized
            MNIST), or None to build one from `kwargs`.
        **kwargs: fields of `TrainingConfig` (override those of `config`).

    Returns:
        A `TrainingData(train, test)`.
    """
    config = _config(config, kwargs)
    x_train = _load_split(config, "train")
    if config.max_train_examples is not None:
        x_train = x_train[: config.max_train_examples]
    return TrainingData(x_train, _load_split(config, "test"))


def build(config, input_shape):
    """The untrained, compiled model of `config` for inputs of `input_shape`.

    `build_model(config.model, input_shape, config.latent_dim,
    config.encoder, ...)` with the seed, the likelihood, the initial KL
    weight (`beta_start` under a schedule), `shell_dims` and `model_kwargs`,
    compiled with `Adam(config.learning_rate)`. Call
    `keras.utils.set_random_seed(config.seed)` first for reproducible initial
    weights (`train` does).

    Example:

    >>> model = build(TrainingConfig("svae", "vmf_circle", latent_dim=3), (100,))
    >>> type(model).__name__, model.latent_dim, type(model.optimizer).__name__
    ('SVAE', 3, 'Adam')
    """
    config = config.resolved()
    kwargs = {"seed": config.seed, **config.model_kwargs}
    if config.shell_dims is not None:
        kwargs["shell_dims"] = list(config.shell_dims)
    if config.model not in _NO_BETA:
        kwargs["beta"] = (
            config.beta if config.beta_schedule is None else config.beta_start
        )
    if config.model not in _NO_LIKELIHOOD:
        kwargs["likelihood"] = config.likelihood
    model = build_model(
        config.model, input_shape, config.latent_dim, config.encoder, **kwargs
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    return model


# -- the backup ----------------------------------------------------------------


def backup_dir(output_dir):
    """The folder where `train` keeps the resumable state of `output_dir`."""
    return Path(output_dir) / BACKUP_DIR


def checkpoint_epoch(output_dir):
    """Epochs finished in the backup of `output_dir`, or None without one."""
    folder = backup_dir(output_dir)
    names = ["training_metadata.json"]
    # Killed between the backup's two moves: the new weights are in place and
    # their metadata is still pending (the resumed `fit` finishes the move).
    pending = folder / BackupAndRestore.PENDING_METADATA
    if pending.exists() and not (folder / BackupAndRestore.PENDING_WEIGHTS).exists():
        names.insert(0, BackupAndRestore.PENDING_METADATA)
    for name in names:
        try:
            return int(json.loads((folder / name).read_text())["epoch"])
        except (OSError, ValueError, KeyError):
            continue
    return None


def _check_backup(config):
    """Raise unless the backup of `config.output_dir` (if any) is `config`'s.

    A backup holds the weights and epoch of an unfinished run; resuming it
    with other training arguments would continue the old run and label the
    preset with the new arguments (or fail to load the weights).
    """
    folder = backup_dir(config.output_dir)
    if config.overwrite or not any((folder / name).exists() for name in _BACKUP_STATE):
        return
    how = (
        f"To start over, delete {os.fspath(folder)} or pass overwrite=True "
        "(--overwrite on the command line)"
    )
    path = folder / BACKUP_CONFIG
    if not path.is_file():
        raise ValueError(
            f"{os.fspath(folder)} holds the checkpoint of an unfinished run but no "
            f"{BACKUP_CONFIG} saying with which arguments it was trained, so it "
            f"cannot be resumed safely. {how}."
        )
    saved = TrainingConfig.from_dict(json.loads(path.read_text()))
    changed = saved.differences(config.resolved())
    if changed:
        listed = ", ".join(f"{name}: {old!r} -> {new!r}" for name, old, new in changed)
        raise ValueError(
            f"{os.fspath(folder)} holds the checkpoint of an unfinished run with "
            f"other training arguments ({listed}); resuming it would mix the two "
            f"runs. To resume it, rerun with the old values. {how}."
        )


def _open_backup(config):
    """Check (or with `overwrite`, delete) the backup; write `config` into it."""
    folder = backup_dir(config.output_dir)
    if config.overwrite and folder.exists():
        shutil.rmtree(folder)
    _check_backup(config)
    folder.mkdir(parents=True, exist_ok=True)
    # Written aside and moved in: a process killed mid-write leaves no
    # half-written config.json that would refuse the resume.
    pending = folder / (BACKUP_CONFIG + ".pending")
    pending.write_text(
        json.dumps(config.resolved().to_dict(), indent=2, sort_keys=True)
    )
    os.replace(pending, folder / BACKUP_CONFIG)
    return folder


class _RaisePendingInterrupt(keras.callbacks.Callback):
    """Raise `KeyboardInterrupt` at a batch or epoch end once one is pending."""

    pending = False

    def _raise_if_pending(self, *args, **kwargs):
        if self.pending:
            raise KeyboardInterrupt

    on_train_batch_end = _raise_if_pending
    on_epoch_end = _raise_if_pending


@contextlib.contextmanager
def _interrupts_between_batches():
    """Defer Ctrl-C (SIGINT) inside `fit` to the next batch or epoch end.

    `BackupAndRestore` writes the weights file and then the epoch counter: a
    `KeyboardInterrupt` in between (or inside the HDF5 write) would leave a
    backup that does not load or resumes one epoch off. The handler only
    records the signal and the yielded callback raises at the next batch or
    epoch end (after the backup when it is placed after `BackupAndRestore`).
    A second Ctrl-C interrupts at once. Only installed from the main thread
    over Python's default handler.
    """
    guard = _RaisePendingInterrupt()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield guard
        return

    def handler(signum, frame):
        guard.pending = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if guard.pending:  # Ctrl-C after the last batch: the backup is complete.
        raise KeyboardInterrupt


def fit(model, data, config, callbacks=None):
    """`model.fit` on `data.train` with a backup in `output_dir/backup`.

    The backup (`callbacks.BackupAndRestore`: weights, KL weight,
    optimizer state and epoch, written after every epoch) is kept when `fit`
    ends, for `train` to delete once the preset is written. `config` is
    stored beside it (`backup/config.json`); a backup of other training
    arguments raises a `ValueError` instead of being resumed, unless
    `config.overwrite` (then it is deleted). `EpochSeeds` makes the samplers'
    noise a function of `(seed, epoch)`. Ctrl-C raises `KeyboardInterrupt`
    at the next batch end, never in the middle of a backup.

    Args:
        model: the compiled model of `build(config, ...)`.
        data: a `TrainingData`, or a `GraphData` (graph models: the whole
            training graph, one example per step, not shuffled).
        config: the `TrainingConfig`.
        callbacks: more Keras callbacks, or None.

    Returns:
        The `History` of the (possibly resumed) `fit` call.
    """
    folder = _open_backup(config)
    fit_callbacks = [
        # Restore first, so that the other callbacks see the restored state.
        BackupAndRestore(os.fspath(folder), delete_checkpoint=False),
        EpochSeeds(),
    ]
    if config.beta_schedule is not None:
        kind, direction = _SCHEDULES[config.beta_schedule]
        ramp = config.beta_schedule_epochs or max(config.epochs // 3, 1)
        fit_callbacks.append(
            BetaSchedule(
                kind,
                start=config.beta_start,
                end=config.beta,
                epochs=ramp,
                direction=direction,
                cycle_length=ramp,
            )
        )
    if isinstance(data, GraphData):
        # A graph model: one example, the whole training graph.
        x, y, batch_size, shuffle = data.inputs, data.target, 1, False
    else:
        # Several JAX processes: each trains on its share of every global batch.
        x, batch_size = process_shard(data.train, config.batch_size)
        y, shuffle = None, config.shuffle
    with _interrupts_between_batches() as guard:
        return model.fit(
            x,
            y,
            epochs=config.epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            callbacks=fit_callbacks + [guard] + list(callbacks or []),
            verbose=config.verbose,
        )


def evaluate(model, data, config):
    """The final metrics: `model.evaluate` on the train and test splits.

    `loss`, `reconstruction` and `kl` (and the model's other logged metrics)
    per split, with the posterior mode as the latent (Keras evaluates with
    `training=False`; the KL is exact), plus `epochs` and a sentence saying
    how they were computed.
    """
    metrics = {"epochs": config.epochs}
    for split, x in (("train", data.train), ("test", data.test)):
        values = model.evaluate(
            x, batch_size=max(config.batch_size, 500), verbose=0, return_dict=True
        )
        for key, value in values.items():
            metrics[f"{split}_{key}"] = float(value)
    metrics["evaluation"] = (
        "model.evaluate with training=False: reconstruction (negative log "
        "likelihood summed over pixels) at the posterior mode, exact KL, "
        "loss = reconstruction + beta * KL; means over examples"
    )
    return metrics


def call_string(config):
    """The `keras_hsvae.training.train(...)` call of the training arguments."""
    arguments = config.resolved().training_arguments()
    args = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"keras_hsvae.training.train({args})"


def save(model, config, metrics, output_dir=None, *, train_examples=None):
    """Write the trained model as a preset folder.

    The metadata records `config.training_arguments()`, the model and
    dataset names, `config.training_command` (default `call_string(config)`)
    and `metrics`.

    Args:
        model: the trained model.
        config: the `TrainingConfig` it was trained with.
        metrics: the dict of `evaluate`.
        output_dir: the preset folder; None: `config.output_dir`.
        train_examples: the number of training examples to record, or None.
    """
    from keras_hsvae import presets

    config = config.resolved()
    extra = {"model_name": config.model, "dataset": config.dataset}
    if train_examples is not None:
        extra["train_examples"] = int(train_examples)
    extra["training_arguments"] = config.training_arguments()
    presets.save_to_preset(
        model,
        config.output_dir if output_dir is None else output_dir,
        training_command=config.training_command or call_string(config),
        metrics=metrics,
        extra=extra,
    )


def train(config=None, *args, callbacks=None, **kwargs):
    """Train a model with `fit()`, evaluate it, and save it as a preset.

    `train(config)` with a `TrainingConfig`, or `train(model, dataset, ...,
    **kwargs)` with its fields (positional in field order, as keywords, or
    both: keywords override the fields of a `config`). Keywords that are not
    fields are model constructor arguments (`prior="moderate"`), merged into
    `model_kwargs`.

    Resumable: the run checkpoints into `output_dir/backup` after every epoch
    (weights, KL weight, optimizer state and epoch) together with its
    training arguments (`backup/config.json`); calling `train` again with the
    same arguments after an interruption continues from the last finished
    epoch and stops at `epochs` in all. Calling it with other training
    arguments raises a `ValueError` naming them (pass `overwrite=True` to
    start over). The backup is deleted once the preset is written. The
    samplers' noise is a function of `(seed, epoch)` (`EpochSeeds`), so with
    `shuffle=False` a resumed run ends with the same weights as an
    uninterrupted one; with `shuffle=True` the batch order of the epochs
    after the restart differs (Keras' shuffle state is not saved), only the
    epoch and step counts agree.

    The steps are `load_data`, `build`, `fit`, `evaluate` and `save`; see
    `TrainingConfig` for the arguments. The graph models (`nvgae`, `svgae`,
    ...) train on a whole graph instead (`keras_hsvae.training.graphs`:
    the link split of `seed`, full-graph steps, link AUC / AP). With
    `distribute` the model is built, trained and evaluated data-parallel
    (`keras_hsvae.training.distribute`, `docs/DISTRIBUTED.md`).

    Args:
        config: a `TrainingConfig`, the model name (the first field), or
            None.
        *args: more fields of `TrainingConfig`, in order.
        callbacks: more Keras callbacks for `fit`, or None.
        **kwargs: fields of `TrainingConfig`, and model constructor
            arguments.

    Returns:
        A tuple `(model, history)`: the trained model and the `History` of
        the (last, possibly resumed) `fit` call.

    Example:

    >>> import os, tempfile
    >>> out = tempfile.mkdtemp()
    >>> model, history = train("svae", "vmf_circle", latent_dim=3, epochs=1,
    ...                        max_train_examples=64, batch_size=32,
    ...                        output_dir=out, verbose=0)
    >>> sorted(os.listdir(out))
    ['config.json', 'metadata.json', 'model.weights.h5']
    """
    names = {field.name for field in dataclasses.fields(TrainingConfig)}
    model_kwargs = {key: kwargs.pop(key) for key in list(kwargs) if key not in names}
    if isinstance(config, TrainingConfig):
        if args:
            raise ValueError(
                "Pass either a TrainingConfig or its fields, not both. "
                f"Received: config={config!r}, args={args!r}"
            )
        config = dataclasses.replace(config, **kwargs) if kwargs else config
    else:
        args = args if config is None else (config, *args)
        config = TrainingConfig(*args, **kwargs)
    if model_kwargs:
        config = dataclasses.replace(
            config, model_kwargs={**config.model_kwargs, **model_kwargs}
        )
    config = config.resolved()
    _check_backup(config)  # before the data: a refused resume fails fast

    # First: a JAX process joins its cluster before any computation.
    with distribution_scope(config.distribute):
        keras.utils.set_random_seed(config.seed)
        if is_graph_model(config.model):
            data = load_graph_data(config.dataset, config.data_dir, config.seed)
            model = build_graph_model(config, data)
            train_examples = None
        else:
            data = load_data(config)
            model = build(config, data.train.shape[1:])
            train_examples = data.train.shape[0]
        history = fit(model, data, config, callbacks=callbacks)
        if is_graph_model(config.model):
            metrics = evaluate_graph(model, data, config)
        else:
            metrics = evaluate(model, data, config)
    save(model, config, metrics, train_examples=train_examples)
    shutil.rmtree(backup_dir(config.output_dir), ignore_errors=True)
    if config.verbose:
        print(f"Saved preset to {config.output_dir}")
    return model, history
