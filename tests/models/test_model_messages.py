"""The exact messages of the models' refusals and their small public helpers.

Each message is the one line a user reads instead of a Keras traceback, so
it is compared word for word (`re.escape`).
"""

import re

import keras
import numpy as np
import pytest
from conftest import make_tiny_model, tiny_data

from keras_hsvae.models import SAE, SVAE, AutoEncoder, mlp_decoder, mlp_encoder
from keras_hsvae.models.likelihoods import PNorm, get_likelihood
from keras_hsvae.models.registry import MODELS, get_model_class


def _raises(error, message):
    return pytest.raises(error, match=f"^{re.escape(message)}$")


def test_decode_names_z_for_non_numeric_codes():
    model = make_tiny_model("beta")
    with _raises(ValueError, "`z` must be a numeric array. Received: z='abc'"):
        model.decode("abc")


def test_generate_checks_the_seed_on_every_backend():
    model = make_tiny_model("beta")
    message = (
        "`seed` must be an int >= 0 (and < 2**32), a `keras.random.SeedGenerator`, "
        "a seed tensor of shape (2,) or None. Received: seed='bad'"
    )
    with _raises(ValueError, message):
        model.generate(2, seed="bad")
    # Checked before a user's sampler sees it.
    with _raises(ValueError, message):
        model.generate(
            2, seed="bad", sampler=lambda n, seed: np.zeros((n, 3), "float32")
        )


class _Deterministic(AutoEncoder):
    """An auto-encoder that keeps the base `posterior_distribution`."""

    REGULARIZED = False
    LOGGED = ()

    def latent(self, features, training=None):
        return {"z": features}


def test_base_posterior_distribution_message():
    model = _Deterministic(mlp_encoder((4,), (2,)), mlp_decoder(2, (4,), (3,)), 2)
    with _raises(
        NotImplementedError, "_Deterministic has no posterior density: use `embed(x)`."
    ):
        model.posterior_distribution(np.zeros((1, 4), "float32"))


def test_prior_distribution_messages_of_hsc_vae_and_sae():
    with _raises(
        NotImplementedError,
        "HSCVAE has no normalized prior density: its regularizer is KL-like, not a "
        "KL (SPEC section 2). Use `embed`, `generate` and reconstruction metrics "
        "instead of likelihoods.",
    ):
        make_tiny_model("hsc").prior_distribution()
    with _raises(
        NotImplementedError,
        "SAE has no prior density; `generate` uses Algorithm 1 of 003 "
        "(draw, centerize, spherize).",
    ):
        make_tiny_model("sae").prior_distribution()


def test_sae_needs_two_latent_dimensions():
    with _raises(
        ValueError, "`latent_dim` must be an integer >= 2. Received: latent_dim=1"
    ):
        SAE(mlp_encoder((4,), (3,)), mlp_decoder(1, (4,), (3,)), 1)


def test_svae_refuses_a_euclidean_posterior_name():
    with pytest.raises(ValueError) as info:
        SVAE(
            mlp_encoder((4,), (3,)), mlp_decoder(3, (4,), (3,)), 3, posterior="gaussian"
        )
    # The names offered are the spherical ones registered so far (other test
    # files register more): the built-in two, never the Gaussian.
    found = re.fullmatch(
        r"`posterior` must be one of \((.*)\) or a posterior layer\. "
        r"Received: posterior='gaussian'",
        str(info.value),
    )
    assert found is not None, str(info.value)
    names = [name.strip().strip("'") for name in found.group(1).split(",")]
    assert {"power_spherical", "vmf"} <= set(names)
    assert "gaussian" not in names


def test_unknown_model_name_lists_the_names():
    names = tuple(MODELS)
    assert names[:6] == (
        "beta_vae",
        "svae",
        "svae_power",
        "product_svae",
        "hsc_vae",
        "sae",
    )
    with _raises(ValueError, f"`model` must be one of {names}. Received: model='nope'"):
        get_model_class("nope")


def test_model_names_repr_is_the_table():
    table = dict(MODELS.items())
    assert table["svae_power"] == ("SVAE", {"posterior": "power_spherical"})
    assert repr(MODELS) == repr(table)


def test_p_norm_config_rebuilds_the_likelihood():
    config = PNorm(3.0).get_config()
    assert config == {"name": "p_norm", "p": 3.0}
    rebuilt = get_likelihood(config.pop("name"), **config)
    x = tiny_data(3, binary=False)
    decoded = np.zeros_like(x)
    expected = np.sum(np.abs(x.reshape(3, -1)) ** 3, axis=-1) ** (1 / 3)
    got = keras.ops.convert_to_numpy(
        rebuilt.loss(x, keras.ops.convert_to_tensor(decoded))
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_a_decoder_that_is_not_a_model_is_named_in_the_message():
    with _raises(
        ValueError,
        "`decoder` must be a keras.Model. Received: decoder='decoder.keras'",
    ):
        SVAE(mlp_encoder((4,), (3,)), "decoder.keras", 3)
