"""keras_hsvae: hyperspherical variational autoencoders for Keras 3."""

from keras_hsvae import callbacks, data, distributions, layers, models, ops

__version__ = "0.1.0"

__all__ = [
    "callbacks",
    "data",
    "distributions",
    "layers",
    "models",
    "ops",
    "__version__",
]
