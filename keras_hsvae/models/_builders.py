"""Deprecated module path: see `keras_hsvae.models.builders`."""

from keras_hsvae.models.builders import *  # noqa: F401,F403
