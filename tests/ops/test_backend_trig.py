"""sin, cos and arctan2 keep float64 on every backend (Keras 3.15 computes
them in float32 on JAX, and arctan2 on PyTorch)."""

import numpy as np
import pytest
from backend_utils import float64, to_numpy, value_and_grad
from keras import backend

from keras_hsvae.ops import _backend_trig as trig

# Angles where float32 rounding shows: 1e-9 below pi / 2, and wide ones.
X = np.array([1e-12, 0.3, np.pi / 2 - 1e-9, 3.0, -7.5, 1e3])
Y = np.array([1e-300, -0.7, 2.0, 0.0, -1e-9, 5.0])


@pytest.mark.parametrize(
    "name,fn,ref,dref",
    [
        ("sin", lambda x: trig.sin(x), np.sin, np.cos),
        ("cos", lambda x: trig.cos(x), np.cos, lambda x: -np.sin(x)),
        (
            "arctan2",
            lambda x: trig.arctan2(Y, x),
            lambda x: np.arctan2(Y, x),
            lambda x: -Y / (x * x + Y * Y),
        ),
    ],
)
def test_float64_values_and_gradients(name, fn, ref, dref):
    with float64():
        out = fn(X)
        assert backend.standardize_dtype(out.dtype) == "float64", name
        np.testing.assert_allclose(to_numpy(out), ref(X), rtol=1e-15, atol=1e-300)
        _, (grad,) = value_and_grad(fn, X)
    np.testing.assert_allclose(grad, dref(X), rtol=1e-14, atol=1e-300)


def test_float32_is_keras_float32():
    x = X.astype("float32")
    for out in (trig.sin(x), trig.cos(x), trig.arctan2(Y.astype("float32"), x)):
        assert backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(to_numpy(trig.sin(x)), np.sin(x), rtol=1e-6)
