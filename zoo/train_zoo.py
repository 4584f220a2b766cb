"""Train the zoo's long runs: resumable, one epoch at a time, round-robin.

Recipes are data (`zoo/recipes.json`): one entry per preset with the model
class and constructor arguments, the data and its binarization, optimizer,
batch size, maximum epochs, early-stopping look-ahead, KL warm-up and seed.

    python zoo/train_zoo.py run nvae_mnist_d10            # until finished
    python zoo/train_zoo.py run nvae_mnist_d10 --epochs 2 # at most 2 more
    python zoo/train_zoo.py run --queue A B C --chunk 10  # round-robin
    python zoo/train_zoo.py run --queue --all
    python zoo/train_zoo.py status [--markdown]

Rerunning the same command resumes every run from its checkpoint; a
finished run (early-stopped or at its maximum epochs) is skipped.

Per epoch `e` (counted from 0) a run:

1. sets the KL weight (linear warm-up: `e / kl_warmup_epochs`, capped at 1;
   or the recipe's `beta_schedule`, the arguments of
   `keras_hsvae.callbacks.BetaSchedule`), the model's sampler seeds (the
   stream of their initial state advanced by
   `e * EPOCH_SEED_STRIDE`, as `keras_hsvae.training.EpochSeeds`) and the
   data's epoch (`DynamicBinarization`: batches and Bernoulli draws are
   functions of `(seed, e)`), then runs `model.fit` for one epoch;
2. evaluates the validation split with `model.evaluate` (posterior mode,
   exact KL): `val_loss = reconstruction + kl`, the negative ELBO with the
   mode in place of a posterior draw and beta = 1 whatever the warm-up. It
   is NOT the ELBO (which averages over posterior draws); it is the
   deterministic early-stopping criterion. Models without a KL term use
   `reconstruction + regularizer` (HSC-VAE, unweighted) or `reconstruction`
   (SAE). Every `ll_every` epochs the
   importance-sampled log-likelihood of the first `ll_examples` validation
   images with `ll_samples` draws (`keras_hsvae.evaluation`) is added for
   the LL-against-epoch curve;
3. keeps the weights with the lowest `val_loss` (or, with the recipe's
   `"monitor": "val_log_likelihood"`, the highest validation
   log-likelihood, which exists every `ll_every` epochs); stops when
   `patience` epochs pass without improvement (counted only once the
   warm-up is over) or at `max_epochs`. A recipe with `"select": "last"` (a fixed-length
   protocol such as the HSC-VAE paper's 300 epochs) keeps the last epoch's
   weights instead and never stops early;
4. checkpoints into `zoo/runs/<name>/`: `state.json` (the commit point,
   written last by `os.replace`) names epoch-stamped `weights-EEEE.npz`
   (`model.get_weights()`), `optimizer-EEEE.npz` (`optimizer.variables`,
   restored by assignment after `optimizer.build`) and `best-EEEE.npz`; the
   history is `history.jsonl`. Files no longer named by `state.json` are
   deleted. A run killed at any point resumes from the last state.json and
   ends with the weights of an uninterrupted run.

When a run finishes, its best weights are written as the preset folder
`zoo/<name>/` (`keras_hsvae.presets.save_to_preset`) with `history.jsonl`,
and its checkpoint files other than the best weights are deleted.

`--queue` runs each active run for `--chunk` epochs in turn, each chunk in a
fresh child process (so the chunk uses the library as it is when the chunk
starts, and a failing chunk only costs that chunk). A run whose recipe lists
`wait_for_kwargs` that the model class does not accept yet is skipped until
it does. Creating `zoo/runs/STOP` ends the queue after the current chunk.

Data: MNIST from `keras_hsvae.data.load` (`$KERAS_HSVAE_DATA`, else
`../shared/datasets` beside the repository). Dynamic runs split the 60,000
training images with a seeded permutation into 50,000 for training and
10,000 for validation; the validation images are binarized once
(`binarize(x, validation_binarization_seed)`). Static runs
(`binarized_mnist`) use that dataset's own train / validation splits.
Grey-level runs (`"binarization": "none"`, MNIST or Fashion-MNIST with a
squared-error or p-norm loss) split the same way and keep the grey levels;
their batches are shuffled per epoch as the dynamic ones (`SeededBatches`).
"""

import argparse
import contextlib
import fcntl
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

# A persistent XLA cache: each chunk of the queue is a new process, and
# recompiling the same train step costs tens of seconds on a small CPU.
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR",
    os.fspath(Path.home() / ".cache" / "keras_hsvae_zoo" / "jax"),
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "1")

ROOT = Path(__file__).resolve().parents[1]
ZOO_DIR = ROOT / "zoo"
RECIPES_FILE = ZOO_DIR / "recipes.json"
RUNS_DIR = ZOO_DIR / "runs"

# Child exit codes of `run NAME --epochs N` used by the queue.
EXIT_WAITING = 3
EXIT_BUSY = 4

# Seconds the queue sleeps when no run could make progress in a round.
IDLE_SLEEP = 120

# Mirrors `keras_hsvae.training.EPOCH_SEED_STRIDE` (used if it is missing).
DEFAULT_EPOCH_SEED_STRIDE = 2**20

# Grey-level datasets (`"binarization": "none"`), loaded as [0, 1] floats.
GREY_DATASETS = ("mnist", "fashion_mnist")


def data_dir():
    """`$KERAS_HSVAE_DATA`, else `../shared/datasets` beside the repository."""
    return os.environ.get("KERAS_HSVAE_DATA") or str(
        ROOT.parent / "shared" / "datasets"
    )


def load_recipes(path=RECIPES_FILE):
    with open(path) as f:
        recipes = json.load(f)
    return {k: v for k, v in recipes.items() if not k.startswith("_")}


# --------------------------------------------------------------------------
# Files


def _write_atomic(path, write):
    """Call `write(tmp_path)` then move the file into place with os.replace."""
    path = Path(path)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    write(tmp)
    os.replace(tmp, path)


def _write_json(path, value):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(value, f, indent=2, sort_keys=True)
            f.write("\n")

    _write_atomic(path, write)


def _save_arrays(path, arrays):
    import numpy as np

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, *arrays)

    _write_atomic(path, write)


def _load_arrays(path):
    import numpy as np

    with np.load(path) as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def read_state(run_dir):
    path = Path(run_dir) / "state.json"
    if not path.exists():
        return None
    with open(path) as f:
        return json.load(f)


def read_history(run_dir):
    path = Path(run_dir) / "history.jsonl"
    if not path.exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_history(run_dir, records):
    def write(tmp):
        with open(tmp, "w") as f:
            for record in records:
                f.write(json.dumps(record, sort_keys=True) + "\n")

    _write_atomic(Path(run_dir) / "history.jsonl", write)


def _remove_unreferenced(run_dir, state):
    keep = {state.get(k) for k in ("weights", "optimizer", "best")}
    for path in Path(run_dir).iterdir():
        stale_tmp = path.name.startswith(".tmp-")
        checkpoint = path.suffix == ".npz" and path.name not in keep
        if stale_tmp or checkpoint:
            path.unlink()


@contextlib.contextmanager
def _run_lock(run_dir):
    """An exclusive lock on the run folder; yields False if another holds it."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(run_dir) / ".lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------
# Data


def split_train_validation(n, num_validation, seed):
    """Sorted train / validation indices from a seeded permutation of `n`."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[num_validation:]), np.sort(order[:num_validation])


def _load_cached(name, split):
    """`keras_hsvae.data.load(name, split)` as float32, cached as a .npy.

    The cache (`$ZOO_CACHE_DIR`, else `~/.cache/keras_hsvae_zoo`) saves the
    seconds of a tf.data pass in every chunk of the queue; delete it to
    reload.
    """
    import numpy as np

    from keras_hsvae import data

    cache = Path(
        os.environ.get("ZOO_CACHE_DIR") or Path.home() / ".cache" / "keras_hsvae_zoo"
    )
    path = cache / f"{name}-{split}.npy"
    if path.exists():
        return np.load(path)
    x = data.load(name, split, data_dir=data_dir(), download=False, as_numpy=True)
    x = np.asarray(x, dtype="float32")
    cache.mkdir(parents=True, exist_ok=True)

    def write(tmp):
        with open(tmp, "wb") as f:
            np.save(f, x)

    _write_atomic(path, write)
    return x


def load_data(recipe):
    """`(x_train, x_validation)`: train grey levels (or 0/1) and fixed val."""
    import numpy as np

    from keras_hsvae import data

    dataset = recipe["dataset"]
    if dataset.startswith("npz:"):
        # Tests: an .npz with `x_train` grey levels in [0, 1].
        with np.load(dataset[4:]) as f:
            x = f["x_train"].astype("float32")
    elif dataset == "binarized_mnist":
        x_train = _load_cached("binarized_mnist", "train")
        return x_train, _load_cached("binarized_mnist", "validation")
    elif dataset in GREY_DATASETS:
        x = _load_cached(dataset, "train")
    else:
        raise ValueError(f"Unknown recipe dataset. Received: dataset={dataset!r}")
    validation = recipe["validation"]
    train_idx, val_idx = split_train_validation(
        len(x), validation["size"], validation["split_seed"]
    )
    if is_grey(recipe):
        return x[train_idx], x[val_idx]
    x_val = data.binarize(x[val_idx], seed=validation["binarization_seed"])
    return x[train_idx], x_val


def is_grey(recipe):
    """Whether a recipe trains on grey levels (`"binarization": "none"`)."""
    return recipe.get("binarization") == "none"


def training_batches(recipe, x_train):
    """The seeded, per-epoch shuffled batches `model.fit` reads."""
    from keras_hsvae.data import DynamicBinarization

    cls = seeded_batches_class() if is_grey(recipe) else DynamicBinarization
    return cls(x_train, recipe["batch_size"], seed=recipe["seed"], shuffle=True)


def seeded_batches_class():
    """`SeededBatches`, defined on first use (`status` needs no Keras)."""
    from keras_hsvae.data import DynamicBinarization

    class SeededBatches(DynamicBinarization):
        """`DynamicBinarization`'s seeded batches, grey levels as they are.

        The same per-epoch order (`np.random.default_rng([seed, epoch])`) and
        epoch bookkeeping, without the Bernoulli draw: for squared-error and
        p-norm models trained on grey images.
        """

        def __getitem__(self, index):
            if not 0 <= index < len(self):
                raise IndexError(
                    f"Batch index out of range [0, {len(self)}). "
                    f"Received: index={index}"
                )
            rows = self.order()[index * self.batch_size : (index + 1) * self.batch_size]
            self._read.add(index)
            return self.x[rows]

    return SeededBatches


# --------------------------------------------------------------------------
# Model


def model_kwargs(recipe):
    """Constructor kwargs, and the `wait_for_kwargs` the class lacks (if any)."""
    import inspect

    from keras_hsvae import models

    cls = getattr(models, recipe["model"])
    # Named parameters only: `**kwargs` goes to keras.Model, not a model option.
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = dict(recipe.get("model_kwargs", {}))
    missing = [k for k in recipe.get("wait_for_kwargs", []) if k not in accepted]
    return cls, kwargs, missing


def build(recipe):
    """The recipe's untrained model: `build_model`'s MLP (784-256-128)."""
    import keras

    from keras_hsvae import models

    cls, kwargs, missing = model_kwargs(recipe)
    if missing:
        raise RuntimeError(
            f"{recipe['model']} does not accept {missing} yet (wait_for_kwargs)."
        )
    input_shape = tuple(recipe["input_shape"])
    hidden = tuple(recipe["hidden"])
    if recipe["model"] == "ProductSVAE":
        latent_dim = sum(kwargs["shell_dims"])
    else:
        latent_dim = recipe["latent_dim"]
    encoder = models.mlp_encoder(input_shape, hidden)
    decoder = models.mlp_decoder(latent_dim, input_shape, hidden[::-1])
    kwargs["seed"] = recipe["seed"]
    if recipe["model"] == "ProductSVAE":
        shell_dims = kwargs.pop("shell_dims")
        model = cls(encoder, decoder, shell_dims, **kwargs)
    else:
        model = cls(encoder, decoder, latent_dim, **kwargs)
    model(keras.ops.zeros((1,) + input_shape), training=False)
    return model


class _EpochSeeds:
    """Sets the model's seed generators to their epoch-`e` position."""

    def __init__(self, model):
        import keras

        try:
            from keras_hsvae.training import EPOCH_SEED_STRIDE as stride
        except ImportError:
            stride = DEFAULT_EPOCH_SEED_STRIDE
        self.stride = stride
        self.generators = [
            generator
            for layer in model._flatten_layers(include_self=True, recursive=True)
            for generator in getattr(layer, "_seed_generators", [])
        ]
        self.initial = [
            keras.ops.convert_to_numpy(g.state.value).copy() for g in self.generators
        ]

    def set_epoch(self, epoch):
        for generator, initial in zip(self.generators, self.initial):
            state = initial.copy()
            state[1] += epoch * self.stride
            generator.state.assign(state)


def kl_weight(recipe, epoch):
    """The KL (or regularizer) weight of epoch `epoch`, counted from 0.

    A recipe's `beta_schedule` holds `keras_hsvae.callbacks.BetaSchedule`
    arguments (e.g. the HSC-VAE's sqrt stage); otherwise the weight is the
    model's `beta` after a linear warm-up of `kl_warmup_epochs` epochs.
    """
    if "beta_schedule" in recipe:
        from keras_hsvae.callbacks import BetaSchedule

        return float(BetaSchedule(**recipe["beta_schedule"]).beta(epoch))
    warmup = recipe.get("kl_warmup_epochs", 0)
    beta = recipe.get("model_kwargs", {}).get("beta", 1.0)
    if not warmup:
        return float(beta)
    return float(beta) * min(epoch / warmup, 1.0)


def _set_kl_weight(model, value):
    from keras_hsvae.callbacks import beta_weight_variables

    for variable in beta_weight_variables(model):
        variable.assign(value)


def validation_loss(val):
    """The early-stopping criterion from `model.evaluate`'s dict.

    `reconstruction + kl` (beta = 1 whatever the schedule) for the VAEs;
    `reconstruction + regularizer` (unweighted) for the HSC-VAE, which has
    a regularizer in hyperspherical coordinates instead of a KL term;
    `reconstruction` for the SAE, which has neither.
    """
    extra = val.get("kl", val.get("regularizer", 0.0))
    return float(val["reconstruction"] + extra)


def criterion(recipe, record):
    """The number a run minimizes to select its weights, or None this epoch.

    `val_loss` by default. A recipe with `"monitor": "val_log_likelihood"`
    selects by the importance-sampled validation log-likelihood (negated),
    which exists only every `ll["every"]` epochs (None in between): the
    quantity the zoo reports, and smoother than `val_loss`, whose epoch-to-
    epoch noise (about 0.7 nats for the S-VAE at d = 40) outlasted a 50-epoch
    look-ahead while the log-likelihood still improved (session 9).
    """
    monitor = recipe.get("monitor", "val_loss")
    if monitor == "val_loss":
        return record["val_loss"]
    if monitor == "val_log_likelihood":
        value = record.get("val_log_likelihood")
        return None if value is None else -float(value)
    raise ValueError(
        "`monitor` must be 'val_loss' or 'val_log_likelihood'. "
        f"Received: monitor={monitor!r}"
    )


def _best_text(state):
    if state["best_epoch"] is None:
        return "none yet"
    return f"{state['best_val_loss']:.3f} at {state['best_epoch'] + 1}"


def _restore_optimizer(optimizer, model, arrays):
    optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    if len(variables) != len(arrays):
        raise ValueError(
            f"Optimizer checkpoint has {len(arrays)} arrays for "
            f"{len(variables)} variables."
        )
    for variable, value in zip(variables, arrays):
        variable.assign(value)


# --------------------------------------------------------------------------
# Training


def train_run(name, recipe, run_dir, max_new_epochs=None, log=print):
    """Train run `name` for at most `max_new_epochs` epochs (None: to the end).

    Returns:
        `"finished"`, `"trained"` (stopped by `max_new_epochs`), `"waiting"`
        (the model class lacks a `wait_for_kwargs` argument) or `"busy"`.
    """
    run_dir = Path(run_dir)
    state = read_state(run_dir)
    if state is not None and state.get("finished"):
        log(f"[{name}] finished ({state['finished']}) at epoch {state['epoch']}: skip")
        return "finished"
    _, _, missing = model_kwargs(recipe)
    if missing:
        log(f"[{name}] waiting: {recipe['model']} does not accept {missing} yet")
        return "waiting"
    with _run_lock(run_dir) as locked:
        if not locked:
            log(f"[{name}] busy: another process holds {run_dir}/.lock")
            return "busy"
        return _train_locked(name, recipe, run_dir, max_new_epochs, log)


def _train_locked(name, recipe, run_dir, max_new_epochs, log):
    import keras

    from keras_hsvae.evaluation import importance_sampled_log_likelihood

    state = read_state(run_dir)
    if state is not None and state.get("finished"):
        return "finished"
    if state is not None and state["recipe"] != recipe:
        # A run keeps the recipe it started with; delete the run to change it.
        log(f"[{name}] recipes.json differs from the run's recipe: using the run's")
        recipe = state["recipe"]
    started = time.time()
    x_train, x_val = load_data(recipe)
    keras.utils.set_random_seed(recipe["seed"])
    model = build(recipe)
    seeds = _EpochSeeds(model)  # initial sampler states, before any restore
    optimizer = keras.optimizers.Adam(recipe["optimizer"]["learning_rate"])
    # jit_compile=False: eager steps, for the tiny test recipes only.
    model.compile(optimizer=optimizer, jit_compile=recipe.get("jit_compile", True))
    if state is None:
        state = {
            "name": name,
            "recipe": recipe,
            "epoch": 0,
            "best_epoch": None,
            "best_val_loss": None,
            "epochs_without_improvement": 0,
            "kl_weight": kl_weight(recipe, 0),
            "finished": None,
            "weights": None,
            "optimizer": None,
            "best": None,
            "train_seconds": 0.0,
            "backend": keras.backend.backend(),
        }
        optimizer.build(model.trainable_variables)
        history = []
    else:
        model.set_weights(_load_arrays(run_dir / state["weights"]))
        _restore_optimizer(optimizer, model, _load_arrays(run_dir / state["optimizer"]))
        # Drop records of epochs after the last committed state.
        history = [r for r in read_history(run_dir) if r["epoch"] < state["epoch"]]
    state["sampler_initial_states"] = [s.tolist() for s in seeds.initial]
    data = training_batches(recipe, x_train)
    setup_seconds = time.time() - started
    log(
        f"[{name}] epoch {state['epoch']}: {len(x_train)} train / {len(x_val)} "
        f"validation images, setup {setup_seconds:.1f} s, backend "
        f"{keras.backend.backend()}"
    )
    end = recipe["max_epochs"]
    if max_new_epochs is not None:
        end = min(end, state["epoch"] + max_new_epochs)
    warmup = recipe.get("kl_warmup_epochs", 0)
    ll = recipe.get("ll", {})
    for epoch in range(state["epoch"], end):
        beta = kl_weight(recipe, epoch)
        _set_kl_weight(model, beta)
        seeds.set_epoch(epoch)
        data.epoch = epoch
        t0 = time.time()
        # shuffle=False: the batches are already in the seeded order of `data`
        # (fit would reorder them with Python's global `random`).
        fit = model.fit(data, epochs=1, shuffle=False, verbose=0)
        t1 = time.time()
        val = model.evaluate(x_val, batch_size=500, verbose=0, return_dict=True)
        val_loss = validation_loss(val)
        record = {
            "epoch": epoch,
            "kl_weight": beta,
            **{f"train_{k}": float(v[-1]) for k, v in fit.history.items()},
            **{f"val_{k}": float(v) for k, v in val.items()},
            "val_loss": val_loss,
            "train_seconds": round(t1 - t0, 3),
        }
        if ll and (epoch + 1) % ll["every"] == 0:
            t2 = time.time()
            record["val_log_likelihood"] = importance_sampled_log_likelihood(
                model,
                x_val[: ll["examples"]],
                num_samples=ll["samples"],
                seed=ll.get("seed", 0),
            )
            record["ll_seconds"] = round(time.time() - t2, 3)
        record["eval_seconds"] = round(time.time() - t1, 3)
        if not math.isfinite(val_loss):
            raise FloatingPointError(f"[{name}] non-finite val_loss at epoch {epoch}")
        tag = f"{epoch + 1:04d}"
        score = criterion(recipe, record)
        # Runs started before `monitor` existed select by val_loss.
        best_score = state.get("best_score", state["best_val_loss"])
        if recipe.get("select") == "last" or (
            score is not None and (best_score is None or score < best_score)
        ):
            state["best_score"] = score
            state["best_val_loss"] = val_loss
            state["best_epoch"] = epoch
            state["best"] = f"best-{tag}.npz"
            _save_arrays(run_dir / state["best"], model.get_weights())
        # No selection yet (a log-likelihood criterion before its first value).
        last_best = -1 if state["best_epoch"] is None else state["best_epoch"]
        state["epochs_without_improvement"] = epoch - last_best
        state["epoch"] = epoch + 1
        state["kl_weight"] = beta
        state["train_seconds"] = round(state["train_seconds"] + time.time() - t0, 3)
        if (
            epoch + 1 >= warmup
            and state["epochs_without_improvement"] >= recipe["patience"]
        ):
            state["finished"] = "early_stopped"
        elif epoch + 1 >= recipe["max_epochs"]:
            state["finished"] = "max_epochs"
        state["weights"] = f"weights-{tag}.npz"
        state["optimizer"] = f"optimizer-{tag}.npz"
        _save_arrays(run_dir / state["weights"], model.get_weights())
        _save_arrays(
            run_dir / state["optimizer"],
            [keras.ops.convert_to_numpy(v) for v in optimizer.variables],
        )
        history.append(record)
        _write_history(run_dir, history)
        _write_json(run_dir / "state.json", state)  # the commit point
        _remove_unreferenced(run_dir, state)
        log(
            f"[{name}] epoch {epoch + 1}: train loss {record['train_loss']:.3f}, "
            f"val_loss {val_loss:.3f} (best {_best_text(state)}), "
            f"beta {beta:.3f}, {t1 - t0:.1f} s + "
            f"{record['eval_seconds']:.1f} s eval"
            + (
                f", val LL {record['val_log_likelihood']:.3f}"
                if "val_log_likelihood" in record
                else ""
            )
        )
        if state["finished"]:
            break
    if state.get("finished"):
        _export(name, recipe, run_dir, model, state, history, log)
        return "finished"
    return "trained"


def _export(name, recipe, run_dir, model, state, history, log):
    """Write the preset `zoo/<name>/` from the best weights."""
    from keras_hsvae import presets

    model.set_weights(_load_arrays(run_dir / state["best"]))
    _set_kl_weight(model, kl_weight(recipe, recipe["max_epochs"]))
    preset_dir = Path(recipe.get("preset_dir") or ZOO_DIR / name)
    if not preset_dir.is_absolute():
        preset_dir = ROOT / preset_dir
    best = next(r for r in history if r["epoch"] == state["best_epoch"])
    presets.save_to_preset(
        model,
        preset_dir,
        training_command=f"python zoo/train_zoo.py run {name}",
        metrics={
            "epochs": state["epoch"],
            "best_epoch": state["best_epoch"] + 1,
            "stopped": state["finished"],
            **{k: v for k, v in best.items() if k.startswith("val_")},
            "evaluation": "validation split; val_loss = reconstruction + kl "
            "from model.evaluate (posterior mode, exact KL), not the ELBO",
        },
        extra={"preset_name": name, "recipe": recipe},
    )
    _write_history(preset_dir, history)
    # Keep only the best weights: the run can no longer be resumed.
    state["weights"] = state["optimizer"] = None
    _write_json(run_dir / "state.json", state)
    _remove_unreferenced(run_dir, state)
    log(f"[{name}] wrote preset {preset_dir}")


# --------------------------------------------------------------------------
# Queue and status


def run_queue(names, chunk, args, log=print):
    """Round-robin: each active run trains `chunk` epochs in a child process."""
    stop = Path(args.runs_dir) / "STOP"
    (Path(args.runs_dir) / "queue.pid").write_text(f"{os.getpid()}\n")
    while True:
        recipes = load_recipes(args.recipes)
        active = [
            n
            for n in names
            if not (read_state(Path(args.runs_dir) / n) or {}).get("finished")
        ]
        if not active:
            log("queue: every run finished")
            return 0
        progressed = False
        for name in active:
            if stop.exists():
                log(f"queue: {stop} exists, stopping")
                return 0
            if name not in recipes:
                log(f"queue: no recipe {name!r}, skipped")
                continue
            command = [
                sys.executable,
                os.fspath(Path(__file__).resolve()),
                "run",
                name,
                "--epochs",
                str(chunk),
                "--recipes",
                os.fspath(args.recipes),
                "--runs-dir",
                os.fspath(args.runs_dir),
            ]
            log(f"queue: {name} for {chunk} epochs")
            rc = subprocess.run(command).returncode
            if rc == 0:
                progressed = True
            elif rc not in (EXIT_WAITING, EXIT_BUSY):
                log(f"queue: {name} failed (exit {rc}); retried next round")
            write_status(args.runs_dir, recipes)
        if not progressed:
            log(f"queue: no run progressed; sleeping {IDLE_SLEEP} s")
            time.sleep(IDLE_SLEEP)


def status_rows(runs_dir, recipes):
    rows = []
    for name in recipes:
        state = read_state(Path(runs_dir) / name)
        history = read_history(Path(runs_dir) / name)
        if state is None:
            rows.append({"name": name, "epoch": 0, "status": "not started"})
            continue
        times = [r["train_seconds"] + r.get("eval_seconds", 0) for r in history]
        lls = [r for r in history if "val_log_likelihood" in r]
        rows.append(
            {
                "name": name,
                "epoch": state["epoch"],
                "status": state["finished"] or "in progress",
                "best_epoch": (
                    "-" if state["best_epoch"] is None else state["best_epoch"] + 1
                ),
                "best_val_loss": (
                    "-"
                    if state["best_val_loss"] is None
                    else round(state["best_val_loss"], 3)
                ),
                "seconds_per_epoch": round(sum(times[-10:]) / len(times[-10:]), 1),
                "last_val_ll": (
                    f"{lls[-1]['val_log_likelihood']:.2f} @ {lls[-1]['epoch'] + 1}"
                    if lls
                    else "-"
                ),
            }
        )
    return rows


def status_markdown(runs_dir, recipes):
    keys = [
        "name",
        "status",
        "epoch",
        "best_epoch",
        "best_val_loss",
        "last_val_ll",
        "seconds_per_epoch",
    ]
    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    for row in status_rows(runs_dir, recipes):
        lines.append("| " + " | ".join(str(row.get(k, "-")) for k in keys) + " |")
    return "\n".join(lines) + "\n"


def write_status(runs_dir, recipes):
    text = (
        "# Zoo runs: status (written by `zoo/train_zoo.py` after every chunk)\n\n"
        f"Updated {time.strftime('%Y-%m-%d %H:%M:%S %Z')}. best_val_loss = "
        "validation reconstruction + KL at the posterior mode (nats); "
        "last_val_ll = importance-sampled LL of the first validation images.\n\n"
        + status_markdown(runs_dir, recipes)
    )
    _write_atomic(Path(runs_dir) / "STATUS.md", lambda tmp: Path(tmp).write_text(text))


# --------------------------------------------------------------------------
# Command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train runs (resumable)")
    run.add_argument("names", nargs="*")
    run.add_argument("--all", action="store_true", help="every recipe")
    run.add_argument(
        "--queue", action="store_true", help="round-robin in chunks of --chunk"
    )
    run.add_argument("--chunk", type=int, default=10)
    run.add_argument(
        "--epochs", type=int, default=None, help="at most this many more epochs"
    )
    status = sub.add_parser("status", help="print the runs' progress")
    status.add_argument("--markdown", action="store_true")
    for p in (run, status):
        p.add_argument("--recipes", type=Path, default=RECIPES_FILE)
        p.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    args = parser.parse_args(argv)

    def log(message):
        print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)

    recipes = load_recipes(args.recipes)
    if args.command == "status":
        if args.markdown:
            print(status_markdown(args.runs_dir, recipes), end="")
        else:
            for row in status_rows(args.runs_dir, recipes):
                print(json.dumps(row))
        return 0
    names = list(recipes) if args.all else args.names
    unknown = [n for n in names if n not in recipes]
    if not names or unknown:
        parser.error(f"unknown or no run names {unknown}; valid: {sorted(recipes)}")
    if args.queue:
        args.runs_dir.mkdir(parents=True, exist_ok=True)
        return run_queue(names, args.chunk, args, log)
    results = []
    for name in names:
        results.append(
            train_run(name, recipes[name], args.runs_dir / name, args.epochs, log)
        )
    if len(names) == 1 and results[0] == "waiting":
        return EXIT_WAITING
    if len(names) == 1 and results[0] == "busy":
        return EXIT_BUSY
    return 0


if __name__ == "__main__":
    sys.exit(main())
