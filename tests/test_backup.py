"""`callbacks.BackupAndRestore`: a process killed at any point of writing the
backup resumes from a consistent state, and ends where an uninterrupted run
ends.

The fast tests stop a plain Keras model's `fit` by raising at each point of
the write (the state on disk is what a SIGKILL at that point leaves, since the
callback cleans nothing up on the way out). The slow test kills `hsvae train`
processes with SIGKILL and SIGINT at random times.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from keras_hsvae import callbacks, presets, training

EPOCHS = 4
DATA = np.random.default_rng(0).normal(size=(32, 5)).astype("float32")
TARGET = DATA @ np.random.default_rng(1).normal(size=(5, 2)).astype("float32")


class Killed(BaseException):
    """Stands for SIGKILL: not an `Exception`, so nothing catches it."""


class Snapshots(keras.callbacks.Callback):
    """The weights after each epoch (index = epochs finished)."""

    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_train_begin(self, logs=None):
        if not self.weights:
            self.weights[0] = _weights(self.model)

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = _weights(self.model)


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def _fit(model, backup, more=()):
    return model.fit(
        DATA,
        TARGET,
        batch_size=8,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[*more, backup],
    )


def _kill_at(point, epoch, monkeypatch, backup):
    """Make the backup of `epoch` (1-based) die at `point`."""
    real_save, real_replace = backup.model.save_weights, os.replace
    moves = []

    def save_weights(path, overwrite=True):
        if backup._current_epoch == epoch and point == "inside the weights write":
            with open(path, "wb") as file:  # the first bytes of an HDF5 file only
                file.write(b"\x89HDF\r\n\x1a\n")
            raise Killed
        real_save(path, overwrite=overwrite)

    def replace(source, target):
        if backup._current_epoch == epoch:
            moves.append(target)
            if point == "before the weights move" and len(moves) == 1:
                raise Killed
            if point == "between the two moves" and len(moves) == 2:
                raise Killed
        real_replace(source, target)
        if backup._current_epoch == epoch and point == "after both moves":
            if len(moves) == 2:
                raise Killed

    monkeypatch.setattr(backup.model, "save_weights", save_weights)
    monkeypatch.setattr(callbacks.os, "replace", replace)


@pytest.mark.parametrize(
    "point",
    [
        "inside the weights write",
        "before the weights move",
        "between the two moves",
        "after both moves",
    ],
)
def test_a_kill_at_any_point_of_the_write_resumes_consistently(
    tmp_path, monkeypatch, point
):
    reference = _model()
    _fit(reference, callbacks.BackupAndRestore(str(tmp_path / "reference")))

    # The folder `train` uses for an output folder, so that the CLI's count
    # of finished epochs (`training.checkpoint_epoch`) is checked too.
    folder = str(training.backup_dir(tmp_path / "out"))
    model = _model()
    backup = callbacks.BackupAndRestore(folder, delete_checkpoint=False)
    snapshots = Snapshots()
    backup.set_model(model)
    _kill_at(point, 2, monkeypatch, backup)
    with pytest.raises(Killed):
        _fit(model, backup, [snapshots])
    monkeypatch.undo()

    # A new process: a new model and callback. What it restores is one
    # whole epoch's state: the weights of the epoch the counter names.
    committed = 2 if point in ("between the two moves", "after both moves") else 1
    assert training.checkpoint_epoch(tmp_path / "out") == committed
    resumed = _model()
    again = callbacks.BackupAndRestore(folder, delete_checkpoint=False)
    again.set_model(resumed)
    again.on_train_begin()
    assert resumed._initial_epoch == committed
    for restored, saved in zip(_weights(resumed), snapshots.weights[committed]):
        np.testing.assert_array_equal(restored, saved)
    assert sorted(os.listdir(folder)) == ["latest.weights.h5", "training_metadata.json"]

    # Training on ends exactly where the uninterrupted run ended.
    resumed = _model()
    history = _fit(resumed, callbacks.BackupAndRestore(folder))
    assert history.epoch == list(range(committed, EPOCHS))
    for a, b in zip(_weights(resumed), _weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(keras.ops.convert_to_numpy(resumed.optimizer.iterations)) == 16


def test_the_files_are_those_of_keras(tmp_path):
    # A backup written by Keras' own callback resumes with ours.
    folder = str(tmp_path / "backup")
    model = _model()
    snapshots = Snapshots()
    keras_backup = keras.callbacks.BackupAndRestore(folder, delete_checkpoint=False)
    model.fit(DATA, TARGET, epochs=2, verbose=0, callbacks=[keras_backup, snapshots])
    resumed = _model()
    ours = callbacks.BackupAndRestore(folder)
    ours.set_model(resumed)
    ours.on_train_begin()
    assert resumed._initial_epoch == 2
    for restored, saved in zip(_weights(resumed), snapshots.weights[2]):
        np.testing.assert_array_equal(restored, saved)


TRAIN = [
    "train",
    "--model",
    "beta_vae",
    "--dataset",
    "vmf_circle",
    "--latent-dim",
    "3",
    "--batch-size",
    "16",
    "--max-train-examples",
    "64",
    "--epochs",
    "12",
    "--seed",
    "3",
    "--no-shuffle",
    "--verbose",
    "2",
]


def _train(output, env, kill=None, after=None):
    """Run `hsvae train`; with `kill`, send it `after` seconds into training."""
    child = subprocess.Popen(
        [sys.executable, "-m", "keras_hsvae", *TRAIN, "--output", str(output)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    started = None
    lines = []
    os.set_blocking(child.stdout.fileno(), False)
    deadline = time.monotonic() + 600
    while child.poll() is None and time.monotonic() < deadline:
        line = child.stdout.readline()
        if line:
            lines.append(line)
            if started is None and re.search(r"Epoch \d+/", line):
                started = time.monotonic()
        elif kill and started is not None and time.monotonic() - started >= after:
            child.send_signal(kill)
            kill = None
        else:
            time.sleep(0.01)
    if child.poll() is None:
        child.kill()
    child.wait()
    lines.append(child.stdout.read() or "")
    child.stdout.close()
    return child.returncode, "".join(lines)


@pytest.mark.slow
def test_train_killed_at_random_times_ends_as_an_uninterrupted_run(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="3")
    code, log = _train(tmp_path / "reference", env)
    assert code == 0, log

    out = tmp_path / "killed"
    rng = np.random.default_rng(11)
    kills = []
    for attempt in range(6):
        signum = (signal.SIGKILL, signal.SIGINT)[attempt % 2]
        after = float(rng.uniform(0.0, 3.0))
        code, log = _train(out, env, kill=signum, after=after)
        kills.append((signum, round(after, 2), code))
        assert "Traceback" not in log, log
        # Done, or done before the signal came (a resumed run can finish its
        # last epochs inside `after`; the signal then lands at exit).
        if code == 0 or "preset written to" in log:
            break
        # SIGINT: one line and exit 130 (waits for the batch end); SIGKILL: -9.
        assert code in (130, -signal.SIGKILL), log
    else:
        code, log = _train(out, env)
        assert code == 0, log
    assert any(code != 0 for _, _, code in kills), kills

    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["training_arguments"]["epochs"] == 12
    a = presets.load_preset(str(tmp_path / "reference"))
    b = presets.load_preset(str(out))
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(np.array(x), np.array(y), rtol=1e-5, atol=1e-6)
