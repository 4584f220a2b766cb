"""A model built with `dtype="float64"` computes every part in float64.

The encoder and decoder are built under the float64 policy, the model with
`dtype="float64"` under the float32 one: the model's own layers (heads,
projections, posterior) must follow the model's policy, not the global
one, checked against numpy at float64 resolution.
"""

import keras
import numpy as np
from backend_utils import float64
from conftest import SHAPE, tiny_data
from harness import dtype_policy

from keras_hsvae.models import HSCVAE, SAE, ProductSVAE, mlp_decoder, mlp_encoder
from keras_hsvae.models.likelihoods import PNorm


def _model(cls, latent, *args, **kwargs):
    with dtype_policy("float64"):
        encoder = mlp_encoder(SHAPE, hidden=(16,))
        decoder = mlp_decoder(latent, SHAPE, hidden=(16,))
    return cls(encoder, decoder, *args, seed=1, dtype="float64", **kwargs)


# Keras 3.15's PyTorch `matmul` passes torch dtypes to `result_type`, which
# answers float32: Dense layers multiply in float32 there, so only the dtype
# (and float32 accuracy) can be checked on that backend.
RTOL = 1e-6 if keras.backend.backend() == "torch" else 1e-12


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _dtype(x):
    return keras.backend.standardize_dtype(x.dtype)


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_hsc_vae_heads_in_float64():
    with float64():
        model = _model(HSCVAE, 3, 3)
        # A float64 tensor: Keras on PyTorch reads float64 numpy inputs as floatx.
        x = keras.ops.convert_to_tensor(tiny_data(5, binary=False), "float64")
        params = model.encode(x)
        assert {_dtype(v) for v in params.values()} == {"float64"}
        features = _np(model.encoder(x))
        kernel, bias = (_np(w) for w in model.scale_dense.weights)
        np.testing.assert_allclose(
            _np(params["stddev"]), _softplus(features @ kernel + bias), rtol=RTOL
        )


def test_sae_projection_in_float64():
    with float64():
        model = _model(SAE, 3, 3, radius=2.0)
        # A float64 tensor: Keras on PyTorch reads float64 numpy inputs as floatx.
        x = keras.ops.convert_to_tensor(tiny_data(5, binary=False), "float64")
        z = model.embed(x)
        assert _dtype(z) == "float64"
        features = _np(model.encoder(x))
        kernel, bias = (_np(w) for w in model.code_dense.weights)
        code = features @ kernel + bias
        code = code - code.mean(axis=-1, keepdims=True)
        expected = 2.0 * code / np.linalg.norm(code, axis=-1, keepdims=True)
        # Entries near 0 (after the centering) can only be held to the scale
        # of the radius: on PyTorch the Dense layers compute in float32.
        np.testing.assert_allclose(_np(z), expected, rtol=RTOL, atol=2.0 * RTOL)


def test_product_svae_posterior_in_float64():
    with float64():
        model = _model(ProductSVAE, 5, [3, 2])
        z = model.embed(tiny_data(5))
        assert _dtype(z) == "float64"
        z = _np(z)
        for shell in (z[:, :3], z[:, 3:]):
            np.testing.assert_allclose(np.linalg.norm(shell, axis=-1), 1.0, atol=1e-14)
        concentrations = model.encode(tiny_data(5))["concentration"]
        assert {_dtype(c) for c in concentrations} == {"float64"}


def test_p_norm_loss_keeps_float64_data():
    with float64():
        rng = np.random.default_rng(0)
        x = rng.random((3, 2, 2))
        decoded = rng.random((3, 2, 2))
        # p = 3: the exponent 1/3 is not exact in float32 (PyTorch's `power`
        # once rounded a Python float exponent to float32: 5e-8 off).
        got = PNorm(3.0).loss(x, keras.ops.convert_to_tensor(decoded, "float64"))
        assert _dtype(got) == "float64"
        expected = np.sum(np.abs((x - decoded).reshape(3, -1)) ** 3, -1) ** (1 / 3)
        np.testing.assert_allclose(_np(got), expected, rtol=1e-13)
