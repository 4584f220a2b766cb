"""`TrainingConfig`: the one list of the arguments of `train`.

Each field carries its type, default, help text and constraints (choices,
minimum); the validation, the `hsvae train` options (`add_arguments`), the
preset metadata (`training_arguments`) and the resume check of `train` are
generated from the fields. A new training option is one new field here.
"""

import argparse
import dataclasses
import json
import math
import numbers
import os
import types
import typing

import numpy as np

from keras_hsvae.data._graphs import GRAPH_DATASETS
from keras_hsvae.models.registry import graph_model_names, model_names
from keras_hsvae.training.architectures import ENCODERS, is_integer
from keras_hsvae.training.distribute import DISTRIBUTIONS

BETA_SCHEDULES = (None, "constant", "linear", "sqrt_up", "sqrt_down", "cyclical")

LIKELIHOODS = (None, "bernoulli", "gaussian")

# Datasets whose pixels are 0/1: a Bernoulli likelihood by default.
BINARY_DATASETS = ("binarized_mnist", "dynamic_binarized_mnist")


def _all_model_names():
    return model_names() + graph_model_names()


def _option(
    default,
    help,
    *,
    choices=None,
    minimum=None,
    above=None,
    flag=None,
    cli=True,
    cli_required=False,
    affects_training=True,
    factory=None,
):
    """A `dataclasses.field` with the metadata the config generates from.

    Args:
        default: the default value (or None with `factory`).
        help: one line of help text (the `hsvae train --help` entry).
        choices: the allowed values, a function returning them (read when
            validating or building a parser: registries can grow), or None.
        minimum: numbers: the smallest allowed value (inclusive), or None.
        above: numbers: a value the field must exceed (exclusive), or None.
        flag: the command-line option; None: `--field-name`.
        cli: whether `hsvae train` has an option for the field.
        cli_required: whether that option is required.
        affects_training: False for fields that do not change the trained
            model (paths, verbosity): they are not recorded as training
            arguments and a resumed run may change them.
        factory: a `default_factory` for mutable defaults.
    """
    metadata = {
        "help": help,
        "choices": choices,
        "minimum": minimum,
        "above": above,
        "flag": flag,
        "cli": cli,
        "cli_required": cli_required,
        "affects_training": affects_training,
    }
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _kind(field):
    """`(base type, optional)` of a field annotation like `int | None`."""
    annotation = field.type
    optional = False
    if isinstance(annotation, types.UnionType):
        args = typing.get_args(annotation)
        optional = type(None) in args
        (annotation,) = [arg for arg in args if arg is not type(None)]
    return typing.get_origin(annotation) or annotation, optional


def _choices(field):
    """The allowed values of a field, or None."""
    choices = field.metadata["choices"]
    return tuple(choices()) if callable(choices) else choices


def _describe(field):
    """The constraint of a field in words: "an integer >= 1 or None"."""
    base, optional = _kind(field)
    meta = field.metadata
    choices = _choices(field)
    if choices is not None:
        text = f"one of {choices}"
    elif base is int:
        text = f"an integer >= {meta['minimum']}"
    elif base is float:
        bound = (
            f">= {meta['minimum']}" if meta["above"] is None else f"> {meta['above']}"
        )
        text = f"a finite number {bound}"
    elif base is bool:
        text = "True or False"
    elif base is str:
        text = "a non-empty string or path"
    elif base is tuple:
        text = f"a non-empty list of integers >= {meta['minimum']}"
    else:
        text = "a dict of JSON values (strings, numbers, lists, dicts)"
    if optional and choices is None:
        text += " or None"
    return text


def _to_python(value):
    """numpy scalars -> Python scalars (`np.int64(10)` -> `10`)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """The arguments of `keras_hsvae.training.train`, validated.

    The field order is the positional order of `train`. Fields marked
    `affects_training=False` (the paths, `verbose`, `training_command`,
    `overwrite`) do not change the trained model.

    Args:
        model: a name of `keras_hsvae.models.registry.MODELS`, or of
            `GRAPH_MODELS` (`nvgae`, `svgae`, ...: trained on a graph
            dataset, see `keras_hsvae.training.graphs`; `likelihood`,
            `max_train_examples` and `distribute` must stay unset).
        dataset: a name of `keras_hsvae.data.list_datasets()`.
        latent_dim: integer >= 1 (>= 2 for the hyperspherical models).
        epochs: integer >= 1, total number of epochs.
        batch_size: integer >= 1.
        beta: number >= 0, the KL weight (the schedule's final/high value).
        beta_schedule: None (fixed `beta`), `"constant"`, `"linear"`
            (warm-up from `beta_start` to `beta`), `"sqrt_up"` /
            `"sqrt_down"` (the HSC-VAE sqrt(epoch) stage, rising from
            `beta_start` to `beta` or falling from `beta` to `beta_start`),
            or `"cyclical"`; see `keras_hsvae.callbacks.BetaSchedule`.
        encoder: `"mlp"`, `"conv"` or `"resnet"` (see `build_model`).
        likelihood: `"bernoulli"`, `"gaussian"`, or None: Bernoulli for the
            binarized datasets, Gaussian otherwise. Ignored by `"sae"`.
        output_dir: folder for the preset and the resumable backup.
        seed: integer >= 0, seeds Python, numpy and the backend
            (`keras.utils.set_random_seed`) and the model's sampler.
        data_dir: local dataset folder for `keras_hsvae.data.load`; with
            None, `$KERAS_HSVAE_DATA` and tensorflow-datasets are tried.
        verbose: `fit` verbosity (0: silent, 1: progress bars, 2: a line
            per epoch).
        max_train_examples: integer or None, keep only the first examples
            of the train split (for quick runs).
        learning_rate: Adam learning rate, > 0.
        beta_start: number >= 0, the schedule's low value.
        beta_schedule_epochs: ramp length / cycle length in epochs; None:
            `max(epochs // 3, 1)` (the HSC-VAE paper's 100 of 300 epochs).
        training_command: the command to record in the preset metadata;
            None records the equivalent `keras_hsvae.training.train(...)`
            call.
        shuffle: shuffle the train split before each epoch.
        shell_dims: `product_svae` only: the shell sizes (integers >= 2
            summing to `latent_dim`); None: `default_shell_dims`.
        model_kwargs: more constructor arguments of the model (JSON
            values), e.g. `{"prior": "moderate"}` for `hsc_vae`.
        overwrite: start over when `output_dir` holds the backup of an
            unfinished run (it is deleted) instead of resuming it.
        distribute: None (one device), `"mirrored"` (TensorFlow:
            `tf.distribute.MirroredStrategy` over the local devices) or
            `"data_parallel"` (JAX: `keras.distribution.DataParallel` over
            the devices of every process). `batch_size` stays the global
            batch; the trained model equals the one-device model to float
            tolerance, so a run may resume with another choice. See
            `keras_hsvae.training.distribute`.

    Example:

    >>> config = TrainingConfig("svae", "vmf_circle", latent_dim=np.int64(3))
    >>> config.latent_dim, config.resolved().likelihood
    (3, 'gaussian')
    >>> TrainingConfig.from_dict(config.to_dict()) == config
    True
    >>> TrainingConfig(epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be an integer >= 1. Received: epochs=0
    """

    model: str = _option(
        "svae", "model name (keras_hsvae.models.registry)", choices=_all_model_names
    )
    dataset: str = _option("binarized_mnist", "dataset name (keras_hsvae.data)")
    latent_dim: int = _option(10, "latent (ambient) dimension", minimum=1)
    epochs: int = _option(10, "total number of epochs", minimum=1)
    batch_size: int = _option(100, "examples per step", minimum=1)
    beta: float = _option(1.0, "KL weight (the schedule's end value)", minimum=0.0)
    beta_schedule: str | None = _option(
        None, "KL-weight schedule (none: fixed beta)", choices=BETA_SCHEDULES
    )
    encoder: str = _option("mlp", "encoder / decoder pair", choices=ENCODERS)
    likelihood: str | None = _option(
        None,
        "decoder likelihood (none: bernoulli for binarized data, else gaussian)",
        choices=LIKELIHOODS,
    )
    output_dir: str = _option(
        "runs/svae",
        "output folder (preset + resumable backup)",
        flag="--output",
        cli_required=True,
        affects_training=False,
    )
    seed: int = _option(0, "seed of the weights, the sampler and the data", minimum=0)
    data_dir: str | None = _option(None, "local dataset folder", affects_training=False)
    verbose: int = _option(
        1, "fit verbosity", choices=(0, 1, 2), affects_training=False
    )
    max_train_examples: int | None = _option(
        None, "keep only the first examples of the train split", minimum=1
    )
    learning_rate: float = _option(1e-3, "Adam learning rate", above=0.0)
    beta_start: float = _option(0.0, "the schedule's start value", minimum=0.0)
    beta_schedule_epochs: int | None = _option(
        None, "ramp / cycle length in epochs (none: epochs // 3)", minimum=1
    )
    training_command: str | None = _option(
        None,
        "command recorded in the preset metadata",
        cli=False,
        affects_training=False,
    )
    shuffle: bool = _option(True, "shuffle the train split before each epoch")
    shell_dims: tuple[int, ...] | None = _option(
        None, "product_svae shell sizes, summing to --latent-dim", minimum=2
    )
    model_kwargs: dict = _option(
        None,
        'more model constructor arguments as JSON, e.g. \'{"prior": "moderate"}\'',
        factory=dict,
    )
    overwrite: bool = _option(
        False,
        "delete the backup of an unfinished run in the output folder and start over",
        affects_training=False,
    )
    distribute: str | None = _option(
        None,
        "data parallelism: mirrored (TensorFlow) or data_parallel (JAX)",
        choices=DISTRIBUTIONS,
        affects_training=False,
    )

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = _to_python(getattr(self, field.name))
            if field.name == "shell_dims" and isinstance(
                value, list | tuple | np.ndarray
            ):
                value = tuple(_to_python(v) for v in value)
            elif field.name in ("output_dir", "data_dir") and value is not None:
                value = os.fspath(value) if isinstance(value, os.PathLike) else value
            elif field.name == "model_kwargs" and isinstance(value, dict):
                value = dict(value)
            object.__setattr__(self, field.name, value)
        self.validate()
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if _kind(field)[0] is float and value is not None:
                object.__setattr__(self, field.name, float(value))

    # -- validation -----------------------------------------------------------

    def validate(self):
        """Raise a `ValueError` naming the first bad field and its value."""
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not _valid(field, value):
                raise ValueError(
                    f"`{field.name}` must be {_describe(field)}. "
                    f"Received: {field.name}={value!r}"
                )
        if self.shell_dims is not None:
            if self.model != "product_svae":
                raise ValueError(
                    "`shell_dims` is an argument of model='product_svae' only. "
                    f"Received: shell_dims={list(self.shell_dims)} with "
                    f"model={self.model!r}"
                )
            if sum(self.shell_dims) != self.latent_dim:
                raise ValueError(
                    f"`shell_dims` must sum to latent_dim={self.latent_dim}. "
                    f"Received: shell_dims={list(self.shell_dims)}"
                )
        self._validate_graph()
        handled = {field.name for field in dataclasses.fields(self)}
        repeated = sorted(handled & set(self.model_kwargs))
        if repeated:
            raise ValueError(
                f"`model_kwargs` must not repeat a training argument ({repeated}): "
                f"pass it directly. Received: model_kwargs={self.model_kwargs!r}"
            )
        return self

    def _validate_graph(self):
        """Graph models train on a whole graph: refuse what does not apply."""
        graph_model = self.model in graph_model_names()
        graph_data = self.dataset in GRAPH_DATASETS
        if graph_model and not graph_data:
            raise ValueError(
                f"`dataset` must be a graph ({', '.join(GRAPH_DATASETS)}) for "
                f"model={self.model!r}. Received: dataset={self.dataset!r}"
            )
        if graph_data and not graph_model:
            raise ValueError(
                f"Dataset {self.dataset!r} is a graph: train a graph model "
                f"({', '.join(graph_model_names())}). Received: model={self.model!r}"
            )
        if not graph_model:
            return
        # One example is the whole graph: no batches, shuffling or cut.
        for name in ("likelihood", "max_train_examples", "distribute"):
            if getattr(self, name) is not None:
                raise ValueError(
                    f"`{name}` does not apply to the graph model {self.model!r}: "
                    f"leave it unset. Received: {name}={getattr(self, name)!r}"
                )

    # -- conversions ----------------------------------------------------------

    def resolved(self):
        """A copy with the defaults that depend on other fields filled in.

        `likelihood=None` becomes `"bernoulli"` for the binarized datasets
        and `"gaussian"` otherwise.
        """
        if self.likelihood is not None or self.model in graph_model_names():
            return self
        binary = self.dataset in BINARY_DATASETS
        return dataclasses.replace(
            self, likelihood="bernoulli" if binary else "gaussian"
        )

    def to_dict(self):
        """Every field as JSON data (`shell_dims` as a list)."""
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = json.loads(json.dumps(value))
            out[field.name] = value
        return out

    @classmethod
    def from_dict(cls, config):
        """The config of `to_dict()` (or of a subset of its keys).

        Raises:
            ValueError: for a key that is not a field.
        """
        names = [field.name for field in dataclasses.fields(cls)]
        unknown = sorted(set(config) - set(names))
        if unknown:
            raise ValueError(
                f"Unknown training arguments {unknown}. Valid names: {names}. "
                f"Received: config={dict(config)!r}"
            )
        return cls(**config)

    def training_arguments(self):
        """The fields that change the trained model, as JSON data.

        What the preset metadata records and what a resumed run must repeat;
        `output_dir`, `data_dir`, `verbose`, `training_command` and
        `overwrite` are left out.
        """
        config = self.to_dict()
        return {
            field.name: config[field.name]
            for field in dataclasses.fields(self)
            if field.metadata["affects_training"]
        }

    def differences(self, other):
        """`[(name, self value, other value)]` of the training arguments."""
        mine, theirs = self.training_arguments(), other.training_arguments()
        return [
            (name, mine[name], theirs[name])
            for name in mine
            if mine[name] != theirs[name]
        ]

    # -- command line ---------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser):
        """Add one option per field to an `argparse` parser (`hsvae train`).

        Defaults are not set on the parser (`argparse.SUPPRESS`): an option
        left out takes the field's default in `from_args`.
        """
        for field in dataclasses.fields(cls):
            meta = field.metadata
            if not meta["cli"]:
                continue
            base, _ = _kind(field)
            kwargs = {"dest": field.name, "default": argparse.SUPPRESS}
            if base is bool:
                kwargs["action"] = argparse.BooleanOptionalAction
            elif _choices(field) is not None:
                choices = [c for c in _choices(field) if c is not None]
                kwargs["choices"] = choices
                kwargs["type"] = type(choices[0])
            elif base is int:
                kwargs["type"] = _integer_parser(meta["minimum"])
            elif base is float:
                kwargs["type"] = _number_parser(meta["minimum"], meta["above"])
            elif base is tuple:
                kwargs["type"] = _integer_parser(meta["minimum"])
                kwargs["nargs"] = "+"
                kwargs["metavar"] = "DIM"
            elif base is dict:
                kwargs["type"] = _json_object
                kwargs["metavar"] = "JSON"
            help_text = meta["help"]
            if meta["cli_required"]:
                kwargs["required"] = True
            elif field.default not in (None, dataclasses.MISSING):
                help_text += f" (default: {field.default})"
            kwargs["help"] = help_text
            flag = meta["flag"] or "--" + field.name.replace("_", "-")
            parser.add_argument(flag, **kwargs)
        return parser

    @classmethod
    def from_args(cls, namespace):
        """The config of the options `add_arguments` parsed into `namespace`."""
        values = vars(namespace)
        return cls(
            **{
                field.name: values[field.name]
                for field in dataclasses.fields(cls)
                if field.metadata["cli"] and field.name in values
            }
        )


def _valid(field, value):
    base, optional = _kind(field)
    meta = field.metadata
    if value is None:
        return optional
    if _choices(field) is not None:
        return value in _choices(field)
    if base is int:
        return is_integer(value) and value >= meta["minimum"]
    if base is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if not math.isfinite(value):
            return False
        if meta["above"] is not None:
            return value > meta["above"]
        return value >= meta["minimum"]
    if base is bool:
        return isinstance(value, bool)
    if base is str:
        return isinstance(value, str) and bool(value)
    if base is tuple:
        return (
            isinstance(value, tuple)
            and len(value) > 0
            and all(is_integer(v) and v >= meta["minimum"] for v in value)
        )
    # dict: string keys and JSON values, so that it round-trips.
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return False
    try:
        return json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        return False


def _integer_parser(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {text!r}"
            )
        return value

    return parse


def _number_parser(minimum, above):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (
            value > above if above is not None else value >= minimum
        )
        if not ok:
            bound = f"> {above}" if above is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(
                f"expected a finite number {bound}, got {text!r}"
            )
        return value

    return parse


def _json_object(text):
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value
