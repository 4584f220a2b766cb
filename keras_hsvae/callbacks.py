"""Training callbacks: the KL-weight (beta) schedule, the non-finite loss stop
and a backup that survives a killed process."""

import json
import math
import os

import keras

SCHEDULES = ("constant", "linear", "sqrt", "cyclical")
DIRECTIONS = ("increase", "decrease")


def _check_number(name, value, minimum=0.0, integer=False):
    ok = not isinstance(value, bool)
    if ok:
        try:
            ok = math.isfinite(float(value)) and float(value) >= minimum
            if integer:
                ok = ok and int(value) == value
        except (TypeError, ValueError):
            ok = False
    if not ok:
        kind = "an integer" if integer else "a float"
        raise ValueError(
            f"`{name}` must be {kind} >= {minimum:g}. Received: {name}={value!r}"
        )
    return int(value) if integer else float(value)


def beta_weight_variables(model):
    """Every `beta_weight` variable of the layers of `model` (model included)."""
    variables, seen = [], set()
    for layer in model._flatten_layers(include_self=True, recursive=True):
        variable = getattr(layer, "beta_weight", None)
        if variable is not None and id(variable) not in seen:
            seen.add(id(variable))
            variables.append(variable)
    return variables


@keras.saving.register_keras_serializable(package="keras_hsvae")
class BetaSchedule(keras.callbacks.Callback):
    """Set the KL weight `beta` of every latent layer at each epoch start.

    Every layer of the model with a `beta_weight` variable (the posterior
    layers of `keras_hsvae.layers`, the models of `keras_hsvae.models`) gets
    `beta(epoch)` (epochs counted from 0). With `t = min(epoch / epochs, 1)`:

    - `"constant"`: `end` at every epoch.
    - `"linear"`: `f(t) = t` (KL warm-up over `epochs` epochs).
    - `"sqrt"`: `f(t) = sqrt(t)`, the sqrt(epoch) stage of the HSC-VAE paper
      (001, 4.1 and A.9); afterwards constant.
    - `"cyclical"`: `t = min((epoch % cycle_length) / (ratio * cycle_length), 1)`
      and `f(t) = t`, restarting every `cycle_length` epochs (Fu et al., 2019).

    `direction="increase"`: `beta = start + (end - start) * f(t)` (from
    `start` to `end`); `direction="decrease"`: `beta = end - (end - start) *
    f(t)` (from `end` down to `start`, same curve shape).

    Args:
        schedule: one of `"constant"`, `"linear"`, `"sqrt"`, `"cyclical"`.
        start: float >= 0, the low value.
        end: float >= 0, the high value.
        epochs: integer >= 1, length of the ramp (not used by `"cyclical"`).
        direction: `"increase"` or `"decrease"`.
        cycle_length: integer >= 1, epochs per cycle for `"cyclical"`.
        ratio: float in (0, 1], fraction of a cycle spent ramping.
        verbose: if 1, print beta at each epoch start.

    Example:

    >>> schedule = BetaSchedule("linear", start=0.0, end=1.0, epochs=4)
    >>> [schedule.beta(e) for e in range(6)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    >>> BetaSchedule("sqrt", epochs=4, direction="decrease").beta(1)
    0.5
    """

    def __init__(
        self,
        schedule="constant",
        start=0.0,
        end=1.0,
        epochs=100,
        direction="increase",
        cycle_length=10,
        ratio=0.5,
        verbose=0,
    ):
        super().__init__()
        if schedule not in SCHEDULES:
            raise ValueError(
                f"`schedule` must be one of {SCHEDULES}. "
                f"Received: schedule={schedule!r}"
            )
        if direction not in DIRECTIONS:
            raise ValueError(
                f"`direction` must be one of {DIRECTIONS}. "
                f"Received: direction={direction!r}"
            )
        self.schedule = schedule
        self.direction = direction
        self.start = _check_number("start", start)
        self.end = _check_number("end", end)
        self.epochs = _check_number("epochs", epochs, 1, integer=True)
        self.cycle_length = _check_number("cycle_length", cycle_length, 1, integer=True)
        self.ratio = _check_number("ratio", ratio)
        if not 0 < self.ratio <= 1:
            raise ValueError(f"`ratio` must be in (0, 1]. Received: ratio={ratio!r}")
        self.verbose = verbose

    def _shape(self, epoch):
        if self.schedule == "constant":
            return 1.0
        if self.schedule == "cyclical":
            position = epoch % self.cycle_length
            return min(position / (self.ratio * self.cycle_length), 1.0)
        t = min(epoch / self.epochs, 1.0)
        return math.sqrt(t) if self.schedule == "sqrt" else t

    def beta(self, epoch):
        """The KL weight at `epoch` (counted from 0), a Python float."""
        f = self._shape(int(epoch))
        if self.schedule == "constant" or self.direction == "increase":
            return self.start + (self.end - self.start) * f
        return self.end - (self.end - self.start) * f

    def on_epoch_begin(self, epoch, logs=None):
        value = self.beta(epoch)
        variables = beta_weight_variables(self.model)
        if not variables:
            raise ValueError(
                "BetaSchedule found no layer with a `beta_weight` variable in "
                f"model {self.model.name!r}."
            )
        for variable in variables:
            variable.assign(value)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: BetaSchedule sets beta to {value:.6g}.")

    def get_config(self):
        return {
            "schedule": self.schedule,
            "start": self.start,
            "end": self.end,
            "epochs": self.epochs,
            "direction": self.direction,
            "cycle_length": self.cycle_length,
            "ratio": self.ratio,
            "verbose": self.verbose,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class NonFiniteLossError(ValueError):
    """Training stopped because the loss became NaN or infinite."""


class TerminateOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop `fit` at the first batch whose loss is NaN or inf, saying why.

    Keras' `TerminateOnNaN` stops with "Batch 3: Invalid loss, terminating
    training"; this raises `NonFiniteLossError` (a `ValueError`) naming the
    epoch, the batch, the logged terms that are not finite (reconstruction,
    kl, regularizer, ...) and the likely source: NaN or Inf values in the
    data when the reconstruction term went first (one NaN pixel turns every
    weight into NaN), the encoder's posterior parameters when only the KL or
    regularizer did. The models of `keras_hsvae.models` add it to every
    `fit`. It reads the logs after each batch, so it makes the host wait for
    each step, as `TerminateOnNaN` does.
    """

    def __init__(self):
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        self.model.stop_training = True
        bad = {
            key: float(value)
            for key, value in logs.items()
            if key != "loss" and not math.isfinite(float(value))
        }
        terms = ", ".join(f"{k}={v}" for k, v in bad.items()) or "none logged"
        if "reconstruction" in bad:
            source = (
                "NaN or Inf values in the data, most likely (`fit` checks numpy "
                "arrays, not datasets or generators), or diverging weights: "
                "check the inputs, then lower the learning rate"
            )
        elif bad:
            source = (
                "the latent layer: the posterior parameters (the encoder's "
                "outputs) became non-finite; lower the learning rate or clip "
                "gradients (`clipnorm`)"
            )
        else:
            source = "a loss term that is not logged; check the inputs and weights"
        raise NonFiniteLossError(
            f"Training stopped: the loss is {float(loss)} at epoch "
            f"{self._epoch + 1}, batch {batch + 1}. Non-finite terms: {terms}. "
            f"Likely source: {source}."
        )


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` that a killed process cannot break.

    Keras writes the weights file over the last one and then the epoch
    counter: a process killed inside the weights write (SIGKILL, out of
    memory) leaves a file that does not load, and one killed between the two
    writes resumes with the weights of one epoch and the counter of the
    epoch before (it trains that epoch twice). Here each backup is first
    written beside the committed one (`pending.weights.h5`,
    `pending_training_metadata.json`) and then moved over it with two
    `os.replace` calls, weights first. At the start of `fit` a pending
    metadata file without its pending weights means the process died
    between the two moves: the move is finished. Any other pending file is
    an unfinished backup and is deleted; the committed pair is intact.

    Same arguments as `keras.callbacks.BackupAndRestore`, except
    `double_checkpoint` (not needed) and `save_freq`, which must be
    `"epoch"`. The files are those of Keras (`latest.weights.h5`,
    `training_metadata.json`), so a backup of either callback resumes with
    the other. A killed process is covered; a power cut also needs the
    operating system to have written its buffers, which is not forced.

    Example:

    >>> import tempfile
    >>> backup = BackupAndRestore(tempfile.mkdtemp())
    >>> os.path.basename(backup._weights_path)
    'latest.weights.h5'
    """

    PENDING_WEIGHTS = "pending.weights.h5"
    PENDING_METADATA = "pending_training_metadata.json"

    def __init__(self, backup_dir, delete_checkpoint=True):
        super().__init__(
            backup_dir, save_freq="epoch", delete_checkpoint=delete_checkpoint
        )
        self._pending_weights_path = os.path.join(backup_dir, self.PENDING_WEIGHTS)
        self._pending_metadata_path = os.path.join(backup_dir, self.PENDING_METADATA)

    def on_train_begin(self, logs=None):
        self.recover()
        super().on_train_begin(logs)

    def recover(self):
        """Finish or drop a backup that a killed process left half written."""
        if os.path.exists(self._pending_weights_path):
            # Died before the weights move: the committed pair is whole.
            for path in (self._pending_weights_path, self._pending_metadata_path):
                if os.path.exists(path):
                    os.remove(path)
        elif os.path.exists(self._pending_metadata_path):
            # Died between the two moves: the weights are already the new ones.
            os.replace(self._pending_metadata_path, self._training_metadata_path)

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._pending_weights_path, overwrite=True)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        with open(self._pending_metadata_path, "w") as file:
            file.write(json.dumps(metadata))
        os.replace(self._pending_weights_path, self._weights_path)
        os.replace(self._pending_metadata_path, self._training_metadata_path)
