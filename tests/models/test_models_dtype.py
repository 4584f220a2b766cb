"""Every model trains under float64 and the mixed policies on every backend.

The special functions and the KL run in float32 or better inside and are
cast back, so the logged losses are finite; the outputs follow the policy's
compute dtype.
"""

import keras
import numpy as np
import pytest
from backend_utils import float64, to_numpy
from conftest import KINDS, make_tiny_model, tiny_data
from harness import dtype_policy

POLICIES = ("float64", "mixed_float16", "mixed_bfloat16")


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("kind", KINDS)
def test_fit_under_policy(kind, policy):
    with dtype_policy(policy):
        model = make_tiny_model(kind)
        model.compile(optimizer="adam")
        x = tiny_data(32, binary=kind not in ("hsc", "sae"))
        history = model.fit(x, epochs=2, batch_size=16, verbose=0)
        for name, values in history.history.items():
            assert np.all(np.isfinite(values)), (name, values)
        compute = keras.config.dtype_policy().compute_dtype
        z = model.embed(x[:4])
        assert keras.backend.standardize_dtype(z.dtype) == compute
        assert np.all(np.isfinite(to_numpy(z).astype("float64")))
        images = model.generate(2, seed=0)
        assert np.all(np.isfinite(to_numpy(images).astype("float64")))


def test_posterior_honours_float64():
    from keras_hsvae.layers import VonMisesFisherPosterior

    with float64():
        layer = VonMisesFisherPosterior(3, dtype="float64", seed=0)
        z = layer(np.ones((2, 4)), training=True)
        assert keras.backend.standardize_dtype(z.dtype) == "float64"
        assert keras.backend.standardize_dtype(layer.losses[0].dtype) == "float64"
