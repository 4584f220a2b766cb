"""Encoder and decoder builders (plain functional Keras models)."""

import math

import keras


def mlp_encoder(input_shape, hidden=(256, 128), activation="relu", name="encoder"):
    """An MLP encoder: flatten, then `Dense(h, activation)` per `h` in `hidden`.

    The S-VAE paper uses `784-256-128`. The output is the feature vector the
    posterior layer of a model maps to latent parameters.

    >>> mlp_encoder((28, 28, 1)).output.shape
    (None, 128)
    """
    inputs = keras.Input(tuple(input_shape))
    h = keras.layers.Flatten()(inputs)
    for units in hidden:
        h = keras.layers.Dense(units, activation=activation)(h)
    return keras.Model(inputs, h, name=name)


def mlp_decoder(
    latent_dim, output_shape, hidden=(128, 256), activation="relu", name="decoder"
):
    """An MLP decoder from `latent_dim` to logits/means of `output_shape`.

    >>> mlp_decoder(5, (28, 28, 1)).output.shape
    (None, 28, 28, 1)
    """
    inputs = keras.Input((int(latent_dim),))
    h = inputs
    for units in hidden:
        h = keras.layers.Dense(units, activation=activation)(h)
    h = keras.layers.Dense(math.prod(output_shape))(h)
    outputs = keras.layers.Reshape(tuple(output_shape))(h)
    return keras.Model(inputs, outputs, name=name)


def _check_image_shape(shape):
    if tuple(shape) not in ((28, 28, 1), (32, 32, 3)):
        raise ValueError(
            "The conv builders support (28, 28, 1) and (32, 32, 3). "
            f"Received: shape={tuple(shape)!r}"
        )


def conv_encoder(input_shape=(28, 28, 1), filters=(32, 64), units=128, name="encoder"):
    """A small conv encoder (stride-2 convs, then `Dense(units)`).

    >>> conv_encoder((32, 32, 3)).output.shape
    (None, 128)
    """
    _check_image_shape(input_shape)
    inputs = keras.Input(tuple(input_shape))
    h = inputs
    for f in filters:
        h = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model(inputs, h, name=name)


def conv_decoder(
    latent_dim, output_shape=(28, 28, 1), filters=(64, 32), name="decoder"
):
    """A small transposed-conv decoder mirroring `conv_encoder`.

    >>> conv_decoder(4, (28, 28, 1)).output.shape
    (None, 28, 28, 1)
    """
    _check_image_shape(output_shape)
    side = output_shape[0] // 4
    inputs = keras.Input((int(latent_dim),))
    h = keras.layers.Dense(side * side * filters[0], activation="relu")(inputs)
    h = keras.layers.Reshape((side, side, filters[0]))(h)
    for f in filters:
        h = keras.layers.Conv2DTranspose(
            f, 3, strides=2, padding="same", activation="relu"
        )(h)
    outputs = keras.layers.Conv2D(output_shape[-1], 3, padding="same")(h)
    return keras.Model(inputs, outputs, name=name)
