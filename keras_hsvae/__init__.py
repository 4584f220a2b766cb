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
from keras_hsvae._jax_check import warn_if_miscompiling as _warn_if_miscompiling
from keras_hsvae.presets import load_preset as from_preset

_warn_if_miscompiling()

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
