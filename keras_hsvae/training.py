"""Train a model of `keras_hsvae.models` on a dataset and save it as a preset.

`train(...)` is the plain-Python entry point behind the model zoo (and the
command line that wraps it): it builds the model with `build_model`, loads the
data with `keras_hsvae.data.load(..., as_numpy=True)`, runs `model.fit` with
Keras' own callbacks (`BackupAndRestore` for resumption, `BetaSchedule` for
the KL weight), evaluates on the train and test splits and writes a preset
(`keras_hsvae.presets.save_to_preset`) whose metadata records the call and the
final metrics.
"""

import json
import os
from pathlib import Path

import keras
import numpy as np

from keras_hsvae import models
from keras_hsvae.callbacks import BetaSchedule

# Model names -> (class name in keras_hsvae.models, fixed constructor kwargs).
# `HSCVAE` and `SAE` are looked up when a model is built, so the registry
# works with library versions that do not have them yet.
MODELS = {
    "beta_vae": ("BetaVAE", {}),
    "svae": ("SVAE", {"posterior": "vmf"}),
    "svae_power": ("SVAE", {"posterior": "power_spherical"}),
    "product_svae": ("ProductSVAE", {}),
    "hsc_vae": ("HSCVAE", {}),
    "sae": ("SAE", {}),
}

ENCODERS = ("mlp", "conv", "resnet")

BETA_SCHEDULES = (None, "constant", "linear", "sqrt_up", "sqrt_down", "cyclical")

# The S-VAE paper's MNIST encoder (784-256-128-d), mirrored in the decoder.
MLP_HIDDEN = (256, 128)

# Default size of a vMF shell of `product_svae` when `shell_dims` is not given.
PRODUCT_SHELL_SIZE = 5

# Models whose constructor takes no `beta` / `likelihood` (no KL / fixed loss).
_NO_BETA = ("sae",)
_NO_LIKELIHOOD = ("sae",)

# Datasets whose pixels are 0/1: a Bernoulli likelihood by default.
_BINARY_DATASETS = ("binarized_mnist", "dynamic_binarized_mnist")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {choices}. Received: {name}={value!r}"
        )
    return value


def _check_int(name, value, minimum=1, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}"
        )
    return value


def _model_class(name):
    class_name, _ = MODELS[name]
    cls = getattr(models, class_name, None)
    if cls is None:
        raise ValueError(
            f"Model {name!r} needs `keras_hsvae.models.{class_name}`, which this "
            f"version of keras_hsvae does not have. Received: name={name!r}"
        )
    return cls


def default_shell_dims(latent_dim):
    """Balanced vMF shells for `product_svae`: sizes of 5, remainder last.

    Shells have `PRODUCT_SHELL_SIZE` (5) dimensions; a remainder is merged
    into the last shell (every shell needs at least 2 dimensions).

    Args:
        latent_dim: integer >= 2, the total ambient dimension.

    Returns:
        A list of integers >= 2 summing to `latent_dim`.

    Example:

    >>> default_shell_dims(10), default_shell_dims(12), default_shell_dims(3)
    ([5, 5], [5, 7], [3])
    """
    _check_int("latent_dim", latent_dim, 2)
    count = max(latent_dim // PRODUCT_SHELL_SIZE, 1)
    dims = [PRODUCT_SHELL_SIZE] * count
    dims[-1] += latent_dim - sum(dims)
    return dims


def build_model(name, input_shape, latent_dim, encoder="mlp", **kwargs):
    """Build an untrained model of `keras_hsvae.models` by its registry name.

    The MLP encoder is the S-VAE paper's `flatten-256-128` (ReLU) and the
    decoder mirrors it (`128-256-prod(input_shape)`); the conv and ResNet
    pairs are `conv_encoder` / `conv_decoder` and `resnet_encoder` /
    `resnet_decoder` (28x28x1, 32x32x3 and 64x64x3 images).

    Args:
        name: one of `MODELS`: `"beta_vae"`, `"svae"` (vMF posterior),
            `"svae_power"` (Power Spherical posterior), `"product_svae"`,
            `"hsc_vae"`, `"sae"`.
        input_shape: shape of one example, e.g. `(28, 28, 1)`.
        latent_dim: integer, the latent (ambient) dimension.
        encoder: `"mlp"`, `"conv"` or `"resnet"`.
        **kwargs: passed to the model constructor (`beta`, `likelihood`,
            `seed`, `shell_dims` for `product_svae`, `prior` for `hsc_vae`,
            ...). `product_svae` without `shell_dims` uses
            `default_shell_dims(latent_dim)`.

    Returns:
        The model, built (one call on zeros), not compiled.

    Example:

    >>> model = build_model("svae", (6,), 3, seed=0)
    >>> type(model).__name__, model.latent_dim, model.posterior_kind
    ('SVAE', 3, 'vmf')
    """
    _check_choice("name", name, tuple(MODELS))
    _check_choice("encoder", encoder, ENCODERS)
    _check_int("latent_dim", latent_dim)
    input_shape = tuple(int(d) for d in input_shape)
    cls = _model_class(name)
    if encoder == "mlp":
        enc = models.mlp_encoder(input_shape, MLP_HIDDEN)
        dec = models.mlp_decoder(latent_dim, input_shape, MLP_HIDDEN[::-1])
    elif encoder == "conv":
        enc = models.conv_encoder(input_shape)
        dec = models.conv_decoder(latent_dim, input_shape)
    else:
        enc = models.resnet_encoder(input_shape)
        dec = models.resnet_decoder(latent_dim, input_shape)
    kwargs = {**MODELS[name][1], **kwargs}
    if name == "product_svae":
        shell_dims = kwargs.pop("shell_dims", None) or default_shell_dims(latent_dim)
        if sum(shell_dims) != latent_dim:
            raise ValueError(
                f"`shell_dims` must sum to latent_dim={latent_dim}. "
                f"Received: shell_dims={shell_dims!r}"
            )
        model = cls(enc, dec, shell_dims, **kwargs)
    else:
        model = cls(enc, dec, latent_dim, **kwargs)
    # One call on zeros creates every weight (`BackupAndRestore` needs a
    # built model before `fit`).
    model(keras.ops.zeros((1,) + input_shape), training=False)
    return model


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


def _beta_callback(schedule, beta, beta_start, ramp_epochs):
    if schedule is None:
        return None
    kind, direction = {
        "constant": ("constant", "increase"),
        "linear": ("linear", "increase"),
        "sqrt_up": ("sqrt", "increase"),
        "sqrt_down": ("sqrt", "decrease"),
        "cyclical": ("cyclical", "increase"),
    }[schedule]
    return BetaSchedule(
        kind,
        start=beta_start,
        end=beta,
        epochs=ramp_epochs,
        direction=direction,
        cycle_length=ramp_epochs,
    )


def _load_split(dataset, split, data_dir, seed):
    from keras_hsvae import data

    kwargs = {"data_dir": data_dir, "as_numpy": True, "download": data_dir is None}
    if dataset == "dynamic_binarized_mnist":
        kwargs["seed"] = seed
    return np.asarray(data.load(dataset, split, **kwargs), "float32")


def _call_string(arguments):
    args = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"keras_hsvae.training.train({args})"


def train(
    model="svae",
    dataset="binarized_mnist",
    latent_dim=10,
    epochs=10,
    batch_size=100,
    beta=1.0,
    beta_schedule=None,
    encoder="mlp",
    likelihood=None,
    output_dir="runs/svae",
    seed=0,
    data_dir=None,
    verbose=1,
    max_train_examples=None,
    learning_rate=1e-3,
    beta_start=0.0,
    beta_schedule_epochs=None,
    training_command=None,
    shuffle=True,
    callbacks=None,
    **model_kwargs,
):
    """Train a model with `fit()`, evaluate it, and save it as a preset.

    Resumable: the run checkpoints into `output_dir/backup` after every epoch
    (`keras.callbacks.BackupAndRestore`: weights, KL weight, optimizer state
    and epoch); calling `train` again with the same arguments after an
    interruption continues from the last finished epoch and stops at `epochs`
    in all. The backup is deleted when training ends. The samplers' noise is
    a function of `(seed, epoch)` (`EpochSeeds`), so with `shuffle=False` a
    resumed run ends with the same weights as an uninterrupted one; with
    `shuffle=True` the batch order of the epochs after the restart differs
    (Keras' shuffle state is not saved), only the epoch and step counts agree.

    The final metrics are `model.evaluate` on the (possibly truncated) train
    split and on the test split: `loss`, `reconstruction` and `kl` (and the
    model's other logged metrics), with the posterior mode as the latent
    (Keras evaluates with `training=False`; the KL is exact).

    Args:
        model: a name of `MODELS` (see `build_model`).
        dataset: a name of `keras_hsvae.data.list_datasets()`.
        latent_dim: integer >= 1 (>= 2 for the hyperspherical models).
        epochs: integer >= 1, total number of epochs.
        batch_size: integer >= 1.
        beta: float >= 0, the KL weight (the schedule's final/high value).
        beta_schedule: None (fixed `beta`), `"constant"`, `"linear"`
            (warm-up from `beta_start` to `beta`), `"sqrt_up"` / `"sqrt_down"`
            (the HSC-VAE sqrt(epoch) stage, rising from `beta_start` to `beta`
            or falling from `beta` to `beta_start`), or `"cyclical"`; see
            `keras_hsvae.callbacks.BetaSchedule`.
        encoder: `"mlp"`, `"conv"` or `"resnet"`.
        likelihood: `"bernoulli"`, `"gaussian"`, or None: Bernoulli for the
            binarized datasets, Gaussian otherwise. Ignored by `"sae"`.
        output_dir: folder for the preset and the backup.
        seed: integer, seeds Python, numpy and the backend
            (`keras.utils.set_random_seed`) and the model's sampler.
        data_dir: local dataset folder for `keras_hsvae.data.load`; with
            None, `$KERAS_HSVAE_DATA` and tensorflow-datasets are tried.
        verbose: `fit` verbosity (1: progress bars, 2: a line per epoch).
        max_train_examples: integer or None, keep only the first examples of
            the train split (for quick runs).
        learning_rate: Adam learning rate.
        beta_start: float >= 0, the schedule's low value.
        beta_schedule_epochs: ramp length / cycle length in epochs; None:
            `max(epochs // 3, 1)` (the HSC-VAE paper's 100 of 300 epochs).
        training_command: the command to record in the metadata; None records
            the equivalent `keras_hsvae.training.train(...)` call.
        shuffle: shuffle the train split before each epoch.
        callbacks: more Keras callbacks for `fit`, or None.
        **model_kwargs: more constructor arguments for `build_model` (e.g.
            `shell_dims`, `prior`).

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
    from keras_hsvae import presets

    arguments = {
        "model": model,
        "dataset": dataset,
        "latent_dim": latent_dim,
        "epochs": epochs,
        "batch_size": batch_size,
        "beta": beta,
        "beta_schedule": beta_schedule,
        "encoder": encoder,
        "likelihood": likelihood,
        "seed": seed,
        "max_train_examples": max_train_examples,
        "learning_rate": learning_rate,
        "beta_start": beta_start,
        "beta_schedule_epochs": beta_schedule_epochs,
        "shuffle": shuffle,
        **model_kwargs,
    }
    _check_choice("model", model, tuple(MODELS))
    _check_choice("beta_schedule", beta_schedule, BETA_SCHEDULES)
    _check_int("epochs", epochs)
    _check_int("batch_size", batch_size)
    _check_int("seed", seed, 0)
    _check_int("max_train_examples", max_train_examples, allow_none=True)
    ramp = _check_int(
        "beta_schedule_epochs",
        beta_schedule_epochs or max(epochs // 3, 1),
    )
    if likelihood is None:
        likelihood = "bernoulli" if dataset in _BINARY_DATASETS else "gaussian"
        arguments["likelihood"] = likelihood
    output_dir = Path(output_dir)

    keras.utils.set_random_seed(seed)
    x_train = _load_split(dataset, "train", data_dir, seed)
    if max_train_examples is not None:
        x_train = x_train[:max_train_examples]
    x_test = _load_split(dataset, "test", data_dir, seed)

    kwargs = {"seed": seed, **model_kwargs}
    if model not in _NO_BETA:
        kwargs["beta"] = beta if beta_schedule is None else beta_start
    if model not in _NO_LIKELIHOOD:
        kwargs["likelihood"] = likelihood
    net = build_model(model, x_train.shape[1:], latent_dim, encoder, **kwargs)
    net.compile(optimizer=keras.optimizers.Adam(learning_rate))

    # Restore first, so that the other callbacks see the restored state.
    fit_callbacks = [
        keras.callbacks.BackupAndRestore(os.fspath(output_dir / "backup")),
        EpochSeeds(),
    ]
    schedule = _beta_callback(beta_schedule, beta, beta_start, ramp)
    if schedule is not None:
        fit_callbacks.append(schedule)
    history = net.fit(
        x_train,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        callbacks=fit_callbacks + list(callbacks or []),
        verbose=verbose,
    )

    metrics = {"epochs": epochs}
    for split, x in (("train", x_train), ("test", x_test)):
        values = net.evaluate(
            x, batch_size=max(batch_size, 500), verbose=0, return_dict=True
        )
        for key, value in values.items():
            metrics[f"{split}_{key}"] = float(value)
    metrics["evaluation"] = (
        "model.evaluate with training=False: reconstruction (negative log "
        "likelihood summed over pixels) at the posterior mode, exact KL, "
        "loss = reconstruction + beta * KL; means over examples"
    )
    presets.save_to_preset(
        net,
        output_dir,
        training_command=training_command or _call_string(arguments),
        metrics=metrics,
        extra={
            "model_name": model,
            "dataset": dataset,
            "train_examples": int(x_train.shape[0]),
            "training_arguments": json.loads(json.dumps(arguments, default=repr)),
        },
    )
    if verbose:
        print(f"Saved preset to {os.fspath(output_dir)}")
    return net, history
