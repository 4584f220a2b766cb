"""Train a model of `keras_hsvae.models` on a dataset and save it as a preset.

`train(...)` (or `train(TrainingConfig(...))`) runs the steps `load_data`,
`build`, `fit`, `evaluate` and `save`; `TrainingConfig` is the one list of its
arguments, from which `hsvae train`'s options and the preset metadata are
generated. `build_model` makes the architectures by model name
(`MODELS`, from `keras_hsvae.models.registry`).
"""

from keras_hsvae.models.registry import MODELS, model_names
from keras_hsvae.training.architectures import (
    ENCODERS,
    MLP_HIDDEN,
    PRODUCT_SHELL_SIZE,
    build_model,
    default_shell_dims,
)
from keras_hsvae.training.config import (
    BETA_SCHEDULES,
    BINARY_DATASETS,
    LIKELIHOODS,
    TrainingConfig,
)
from keras_hsvae.training.distribute import DISTRIBUTIONS
from keras_hsvae.training.graphs import GraphData, is_graph_model
from keras_hsvae.training.steps import (
    BACKUP_CONFIG,
    BACKUP_DIR,
    EPOCH_SEED_STRIDE,
    EpochSeeds,
    TrainingData,
    backup_dir,
    build,
    call_string,
    checkpoint_epoch,
    evaluate,
    fit,
    load_data,
    save,
    train,
)

__all__ = [
    "BACKUP_CONFIG",
    "BACKUP_DIR",
    "BETA_SCHEDULES",
    "BINARY_DATASETS",
    "DISTRIBUTIONS",
    "ENCODERS",
    "EPOCH_SEED_STRIDE",
    "EpochSeeds",
    "GraphData",
    "LIKELIHOODS",
    "MLP_HIDDEN",
    "MODELS",
    "PRODUCT_SHELL_SIZE",
    "TrainingConfig",
    "TrainingData",
    "backup_dir",
    "build",
    "build_model",
    "call_string",
    "checkpoint_epoch",
    "default_shell_dims",
    "evaluate",
    "fit",
    "is_graph_model",
    "load_data",
    "model_names",
    "save",
    "train",
]
