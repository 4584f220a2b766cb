"""keras_hsvae: hyperspherical variational autoencoders for Keras 3."""

from keras_hsvae import data, distributions, layers, ops

__version__ = "0.1.0"

__all__ = ["data", "distributions", "layers", "ops", "__version__"]
