"""`sparse_normalized_adjacency`: on TensorFlow and JAX, the sparse tensor
(batched too) equals `D^-1/2 (A + I) D^-1/2` built densely in numpy; on
PyTorch, one `ValueError` with the documented message."""

import re

import keras
import numpy as np
import pytest

from keras_hsvae.ops.graph import sparse_normalized_adjacency

EDGES = [[0, 1], [1, 2], [3, 1]]
N = 5  # node 4 is isolated


def _expected():
    a = np.eye(N)
    for i, j in EDGES:
        a[i, j] = a[j, i] = 1.0
    d = 1.0 / np.sqrt(a.sum(1))
    return d[:, None] * a * d[None, :]


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="no sparse tensors")
@pytest.mark.parametrize("batch", [False, True])
def test_sparse_matches_the_dense_normalization(batch):
    a = sparse_normalized_adjacency(EDGES, N, batch=batch)
    assert tuple(a.shape) == ((1, N, N) if batch else (N, N))
    eye = np.eye(N, dtype="float32")[None] if batch else np.eye(N, dtype="float32")
    dense = keras.ops.convert_to_numpy(keras.ops.matmul(a, eye))
    np.testing.assert_allclose(dense.reshape(N, N), _expected(), rtol=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch only")
def test_torch_refuses_with_the_documented_message():
    expected = (
        "A sparse adjacency needs the TensorFlow or JAX backend (Keras has no "
        "sparse tensors on this one): pass the dense `normalize_adjacency(a)` "
        "instead. Received: backend='torch'"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        sparse_normalized_adjacency(EDGES, N)
