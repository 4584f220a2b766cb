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


# Image shapes of the conv and ResNet builders, and how many stride-2 stages
# take each to its smallest feature map (7x7 for 28, 4x4 for 32 and 64).
IMAGE_SHAPES = {(28, 28, 1): 2, (32, 32, 3): 3, (64, 64, 3): 4}


def _check_image_shape(shape):
    shape = tuple(shape)
    if shape not in IMAGE_SHAPES:
        raise ValueError(
            f"The conv and ResNet builders support {sorted(IMAGE_SHAPES)}. "
            f"Received: shape={shape!r}"
        )
    return shape


def _stage_filters(filters, stages):
    """`filters` repeated/truncated to one entry per stage."""
    filters = tuple(filters)
    return tuple(filters[min(i, len(filters) - 1)] for i in range(stages))


def conv_encoder(input_shape=(28, 28, 1), filters=(32, 64), units=128, name="encoder"):
    """A small conv encoder (stride-2 convs, then `Dense(units)`).

    One stride-2 conv per stage: 2 stages for 28x28x1, 3 for 32x32x3 and 4
    for 64x64x3 (`filters` is repeated to that length).

    >>> conv_encoder((32, 32, 3)).output.shape
    (None, 128)
    >>> conv_encoder((64, 64, 3)).output.shape
    (None, 128)
    """
    shape = _check_image_shape(input_shape)
    inputs = keras.Input(shape)
    h = inputs
    for f in _stage_filters(filters, IMAGE_SHAPES[shape]):
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
    >>> conv_decoder(4, (64, 64, 3)).output.shape
    (None, 64, 64, 3)
    """
    shape = _check_image_shape(output_shape)
    stages = IMAGE_SHAPES[shape]
    side = shape[0] // 2**stages
    filters = _stage_filters(filters, stages)
    inputs = keras.Input((int(latent_dim),))
    h = keras.layers.Dense(side * side * filters[0], activation="relu")(inputs)
    h = keras.layers.Reshape((side, side, filters[0]))(h)
    for f in filters:
        h = keras.layers.Conv2DTranspose(
            f, 3, strides=2, padding="same", activation="relu"
        )(h)
    outputs = keras.layers.Conv2D(shape[-1], 3, padding="same")(h)
    return keras.Model(inputs, outputs, name=name)


def _residual_block(h, filters, name):
    """Pre-activation residual block (He et al. 2016): BN-ReLU-conv twice."""
    shortcut = h
    if h.shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, name=f"{name}_project")(h)
    for i in range(2):
        h = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(h)
        h = keras.layers.Activation("relu", name=f"{name}_relu{i}")(h)
        h = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv{i}")(h)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


def resnet_encoder(
    input_shape=(32, 32, 3),
    filters=(32, 64, 128, 256),
    blocks_per_stage=1,
    units=256,
    name="encoder",
):
    """A ResNet encoder (the HSC-VAE papers use a ResNet-type architecture).

    A 3x3 stem conv, then per stage `blocks_per_stage` residual blocks and a
    stride-2 conv (2 stages for 28x28x1, 3 for 32x32x3, 4 for 64x64x3), then
    BN-ReLU, global average pooling and `Dense(units)`.

    >>> resnet_encoder((64, 64, 3)).output.shape
    (None, 256)
    """
    shape = _check_image_shape(input_shape)
    filters = _stage_filters(filters, IMAGE_SHAPES[shape])
    inputs = keras.Input(shape)
    h = keras.layers.Conv2D(filters[0], 3, padding="same", name="stem")(inputs)
    for i, f in enumerate(filters):
        for j in range(blocks_per_stage):
            h = _residual_block(h, f, name=f"stage{i}_block{j}")
        h = keras.layers.Conv2D(f, 3, strides=2, padding="same", name=f"down{i}")(h)
    h = keras.layers.BatchNormalization(name="final_bn")(h)
    h = keras.layers.Activation("relu", name="final_relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dense(units, activation="relu", name="features")(h)
    return keras.Model(inputs, h, name=name)


def resnet_decoder(
    latent_dim,
    output_shape=(32, 32, 3),
    filters=(256, 128, 64, 32),
    blocks_per_stage=1,
    name="decoder",
):
    """A ResNet decoder mirroring `resnet_encoder`.

    `Dense` to the smallest feature map, then per stage a stride-2
    transposed conv and `blocks_per_stage` residual blocks, then BN-ReLU and
    a 3x3 conv to the image channels (logits or means: no activation).

    >>> resnet_decoder(8, (28, 28, 1)).output.shape
    (None, 28, 28, 1)
    """
    shape = _check_image_shape(output_shape)
    stages = IMAGE_SHAPES[shape]
    filters = _stage_filters(filters, stages)
    side = shape[0] // 2**stages
    inputs = keras.Input((int(latent_dim),))
    h = keras.layers.Dense(side * side * filters[0], name="project")(inputs)
    h = keras.layers.Reshape((side, side, filters[0]))(h)
    for i, f in enumerate(filters):
        h = keras.layers.Conv2DTranspose(
            f, 3, strides=2, padding="same", name=f"up{i}"
        )(h)
        for j in range(blocks_per_stage):
            h = _residual_block(h, f, name=f"stage{i}_block{j}")
    h = keras.layers.BatchNormalization(name="final_bn")(h)
    h = keras.layers.Activation("relu", name="final_relu")(h)
    outputs = keras.layers.Conv2D(shape[-1], 3, padding="same", name="output")(h)
    return keras.Model(inputs, outputs, name=name)
