"""`build_model`: the encoder / decoder pairs `train` puts around each model.

The architectures (and so the layer names that a preset's weights are stored
under) are part of every trained preset: change them only with new presets.
"""

import numbers

import keras

from keras_hsvae import models
from keras_hsvae.models.registry import get_model_class, model_names

ENCODERS = ("mlp", "conv", "resnet")

# The S-VAE paper's MNIST encoder (784-256-128-d), mirrored in the decoder.
MLP_HIDDEN = (256, 128)

# Default size of a vMF shell of `product_svae` when `shell_dims` is not given.
PRODUCT_SHELL_SIZE = 5


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {choices}. Received: {name}={value!r}"
        )
    return value


def is_integer(value):
    """True for Python and numpy integers (`np.int64(3)`), False for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(name, value, minimum=1):
    if not is_integer(value) or value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}"
        )
    return int(value)


def default_shell_dims(latent_dim):
    """Balanced vMF shells for `product_svae`: sizes of 5, remainder last.

    Shells have `PRODUCT_SHELL_SIZE` (5) dimensions; a remainder is merged
    into the last shell (every shell needs at least 2 dimensions).

    Args:
        latent_dim: integer >= 2, the total ambient dimension.

    Returns:
        A list of integers >= 2 summing to `latent_dim`.

    Example:

    >>> default_shell_dims(10), default_shell_dims(12), default_shell_dims(3)
    ([5, 5], [5, 7], [3])
    """
    latent_dim = _check_int("latent_dim", latent_dim, 2)
    count = max(latent_dim // PRODUCT_SHELL_SIZE, 1)
    dims = [PRODUCT_SHELL_SIZE] * count
    dims[-1] += latent_dim - sum(dims)
    return dims


def build_model(name, input_shape, latent_dim, encoder="mlp", **kwargs):
    """Build an untrained model of `keras_hsvae.models` by its registry name.

    The MLP encoder is the S-VAE paper's `flatten-256-128` (ReLU) and the
    decoder mirrors it (`128-256-prod(input_shape)`); the conv and ResNet
    pairs are `conv_encoder` / `conv_decoder` and `resnet_encoder` /
    `resnet_decoder` (28x28x1, 32x32x3 and 64x64x3 images).

    Args:
        name: a name of `keras_hsvae.models.registry.MODELS`: `"beta_vae"`,
            `"svae"` (vMF posterior), `"svae_power"` (Power Spherical
            posterior), `"product_svae"`, `"hsc_vae"`, `"sae"`.
        input_shape: shape of one example, e.g. `(28, 28, 1)`.
        latent_dim: integer, the latent (ambient) dimension.
        encoder: `"mlp"`, `"conv"` or `"resnet"`.
        **kwargs: passed to the model constructor (`beta`, `likelihood`,
            `seed`, `shell_dims` for `product_svae`, `prior` for `hsc_vae`,
            ...). `product_svae` without `shell_dims` uses
            `default_shell_dims(latent_dim)`.

    Returns:
        The model, built (one call on zeros), not compiled.

    Example:

    >>> model = build_model("svae", (6,), 3, seed=0)
    >>> type(model).__name__, model.latent_dim, model.posterior_kind
    ('SVAE', 3, 'vmf')
    """
    _check_choice("name", name, model_names())
    _check_choice("encoder", encoder, ENCODERS)
    latent_dim = _check_int("latent_dim", latent_dim)
    input_shape = tuple(int(d) for d in input_shape)
    cls, fixed = get_model_class(name)
    if encoder == "mlp":
        enc = models.mlp_encoder(input_shape, MLP_HIDDEN)
        dec = models.mlp_decoder(latent_dim, input_shape, MLP_HIDDEN[::-1])
    elif encoder == "conv":
        enc = models.conv_encoder(input_shape)
        dec = models.conv_decoder(latent_dim, input_shape)
    else:
        enc = models.resnet_encoder(input_shape)
        dec = models.resnet_decoder(latent_dim, input_shape)
    kwargs = {**fixed, **kwargs}
    if name == "product_svae":
        shell_dims = kwargs.pop("shell_dims", None) or default_shell_dims(latent_dim)
        if sum(shell_dims) != latent_dim:
            raise ValueError(
                f"`shell_dims` must sum to latent_dim={latent_dim}. "
                f"Received: shell_dims={shell_dims!r}"
            )
        model = cls(enc, dec, shell_dims, **kwargs)
    else:
        model = cls(enc, dec, latent_dim, **kwargs)
    # One call on zeros creates every weight (`BackupAndRestore` needs a
    # built model before `fit`).
    model(keras.ops.zeros((1,) + input_shape), training=False)
    return model
