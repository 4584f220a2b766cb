"""GraphConvolution's weights: the initializers it is given, their names and shapes."""

import keras
import numpy as np
import pytest
from backend_utils import to_numpy

from keras_hsvae.layers.graph_convolution import GraphConvolution

# A path 0 - 1 - 2 and its D^-1/2 (A + I) D^-1/2, written out by hand:
# degrees with self-loops (2, 3, 2).
_A_HAT = np.array(
    [
        [1 / 2, 1 / np.sqrt(6), 0.0],
        [1 / np.sqrt(6), 1 / 3, 1 / np.sqrt(6)],
        [0.0, 1 / np.sqrt(6), 1 / 2],
    ]
)
_X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, -1.0]])


def test_kernel_initializer_is_the_one_given():
    layer = GraphConvolution(3, kernel_initializer=keras.initializers.Constant(0.5))
    out = to_numpy(layer([_X.astype("float32"), _A_HAT.astype("float32")]))
    np.testing.assert_array_equal(to_numpy(layer.kernel), np.full((2, 3), 0.5))
    # A_hat @ X @ W with every W_ij = 1/2: each output column is
    # (A_hat @ X).sum(axis=1) / 2.
    expected = np.repeat((_A_HAT @ _X).sum(axis=1, keepdims=True) / 2, 3, axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("units, size", [(3, 3), (None, 2)])
def test_bias_has_one_entry_per_output_feature(units, size):
    layer = GraphConvolution(
        units,
        use_bias=True,
        kernel_initializer="ones",
        bias_initializer=keras.initializers.Constant(0.25),
    )
    layer.build([(3, 2), (3, 3)])
    assert tuple(layer.bias.shape) == (size,)
    np.testing.assert_array_equal(to_numpy(layer.bias), np.full(size, 0.25))


def test_weight_names():
    layer = GraphConvolution(3, use_bias=True, name="gcn")
    layer.build([(3, 2), (3, 3)])
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.path for w in layer.weights] == ["gcn/kernel", "gcn/bias"]
    bias_only = GraphConvolution(use_bias=True, name="prop")
    bias_only.build([(3, 2), (3, 3)])
    assert [w.path for w in bias_only.weights] == ["prop/bias"]
