"""keras_hsvae: hyperspherical variational autoencoders for Keras 3."""

from keras_hsvae import (
    callbacks,
    data,
    distributions,
    layers,
    models,
    ops,
    presets,
    samplers,
    training,
)
from keras_hsvae.presets import load_preset as from_preset

__version__ = "0.1.0"

__all__ = [
    "callbacks",
    "data",
    "distributions",
    "layers",
    "models",
    "from_preset",
    "ops",
    "presets",
    "samplers",
    "training",
    "__version__",
]
