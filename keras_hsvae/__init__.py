"""keras_hsvae: hyperspherical variational autoencoders for Keras 3."""

from keras_hsvae import distributions, layers, ops

__version__ = "0.1.0"

__all__ = ["distributions", "layers", "ops", "__version__"]
