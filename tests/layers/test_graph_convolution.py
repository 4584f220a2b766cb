"""GraphConvolution and normalize_adjacency against dense numpy references."""

import keras
import numpy as np
import pytest

from keras_hsvae.layers.graph_convolution import GraphConvolution
from keras_hsvae.ops.graph import normalize_adjacency


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def _reference_normalized(a, self_loops=True):
    """D^-1/2 (A + I) D^-1/2 with explicit diagonal matrices (float64)."""
    a = np.asarray(a, np.float64) + (np.eye(len(a)) if self_loops else 0)
    d = a.sum(axis=1)
    inv = np.diag(np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1)), 0.0))
    return inv @ a @ inv


def _graph(n=7, seed=0):
    rng = np.random.default_rng(seed)
    a = np.triu(rng.random((n, n)) < 0.4, 1).astype("float32")
    a = a + a.T
    a[-1, :] = a[:, -1] = 0  # an isolated node
    return a


def test_normalize_adjacency_matches_reference():
    a = _graph()
    np.testing.assert_allclose(
        _np(normalize_adjacency(a)), _reference_normalized(a), rtol=1e-6, atol=1e-7
    )
    # Without self-loops the isolated node's row stays zero (no 0^-1/2).
    out = _np(normalize_adjacency(a, add_self_loops=False))
    np.testing.assert_allclose(out, _reference_normalized(a, False), atol=1e-7)
    assert np.all(out[-1] == 0) and np.all(np.isfinite(out))
    # A path 0 - 1: degrees 2 and 2 with the self-loops, every entry 1/2.
    np.testing.assert_allclose(
        _np(normalize_adjacency(np.array([[0, 1], [1, 0]], "float32"))), 0.5
    )
    # A batch of graphs is normalized graph by graph.
    batch = np.stack([a, _graph(seed=1)])
    np.testing.assert_allclose(
        _np(normalize_adjacency(batch))[1],
        _reference_normalized(batch[1]),
        rtol=1e-6,
        atol=1e-7,
    )


@pytest.mark.parametrize("use_bias", [False, True])
def test_layer_matches_dense_reference(use_bias):
    a = _graph()
    x = np.random.default_rng(1).normal(size=(7, 5)).astype("float32")
    layer = GraphConvolution(
        3, activation="relu", use_bias=use_bias, bias_initializer="ones"
    )
    out = _np(layer([x, normalize_adjacency(a)]))
    w = _np(layer.kernel)
    expected = _reference_normalized(a) @ x.astype(np.float64) @ w
    if use_bias:
        expected = expected + 1.0
    np.testing.assert_allclose(out, np.maximum(expected, 0), rtol=1e-5, atol=1e-5)
    assert len(layer.trainable_weights) == 1 + use_bias


def test_propagation_only_and_batched_graphs():
    a = np.stack([_graph(seed=0), _graph(seed=2)])
    x = np.random.default_rng(3).normal(size=(2, 7, 4)).astype("float32")
    layer = GraphConvolution()
    out = _np(layer([x, normalize_adjacency(a)]))
    assert not layer.weights
    for g in range(2):
        np.testing.assert_allclose(
            out[g], _reference_normalized(a[g]) @ x[g], rtol=1e-5, atol=1e-5
        )
    assert layer.compute_output_shape([(2, 7, 4), (2, 7, 7)]) == (2, 7, 4)
    assert GraphConvolution(6).compute_output_shape([(2, 7, 4), (2, 7, 7)]) == (
        2,
        7,
        6,
    )
    # One graph shared by a batch of feature sets.
    shared = _np(layer([x, normalize_adjacency(a[0])]))
    np.testing.assert_allclose(
        shared[1], _reference_normalized(a[0]) @ x[1], rtol=1e-5, atol=1e-5
    )


def test_dropout_only_in_training():
    a = normalize_adjacency(_graph())
    x = np.ones((7, 4), "float32")
    layer = GraphConvolution(dropout=0.5, seed=0)
    np.testing.assert_allclose(_np(layer([x, a])), _np(GraphConvolution()([x, a])))
    dropped = _np(layer([x, a], training=True))
    assert not np.allclose(dropped, _np(layer([x, a])))


def test_config_round_trip_and_validation():
    layer = GraphConvolution(
        4, activation="tanh", use_bias=True, dropout=0.25, seed=3, name="gc"
    )
    clone = GraphConvolution.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    a = normalize_adjacency(_graph())
    x = np.random.default_rng(0).normal(size=(7, 5)).astype("float32")
    layer([x, a])
    clone([x, a])
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(_np(clone([x, a])), _np(layer([x, a])))
    with pytest.raises(ValueError, match="Received: units=0"):
        GraphConvolution(0)
    with pytest.raises(ValueError, match="Received: dropout=1.0"):
        GraphConvolution(2, dropout=1.0)


SPARSE = keras.backend.backend() in ("tensorflow", "jax")


def _edges(a):
    """Each link of a symmetric 0/1 matrix once, `i < j`."""
    return np.argwhere(np.triu(a, 1) > 0)


def test_normalize_edges_matches_reference():
    from keras_hsvae.ops.graph import normalize_edges

    a = _graph()
    for self_loops in (True, False):
        indices, values = normalize_edges(_edges(a), 7, add_self_loops=self_loops)
        dense = np.zeros((7, 7))
        np.add.at(dense, tuple(_np(indices).astype(int).T), _np(values))
        np.testing.assert_allclose(
            dense, _reference_normalized(a, self_loops), rtol=1e-6, atol=1e-7
        )


@pytest.mark.skipif(not SPARSE, reason="Keras has sparse tensors on TF and JAX")
def test_sparse_adjacency_matches_dense_reference():
    from keras_hsvae.ops.graph import sparse_normalized_adjacency

    a = _graph()
    x = np.random.default_rng(1).normal(size=(1, 7, 5)).astype("float32")
    sparse = sparse_normalized_adjacency(_edges(a), 7, batch=True)
    layer = GraphConvolution(3, activation="relu", use_bias=True)
    out = _np(layer([x, sparse]))
    kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    expected = np.maximum(_reference_normalized(a) @ x[0] @ kernel + bias, 0.0)
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-6)
    # Unbatched: an (N, N) sparse matrix and (N, F) features.
    out = _np(layer([x[0], sparse_normalized_adjacency(_edges(a), 7)]))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(SPARSE, reason="the backend without sparse tensors")
def test_sparse_adjacency_refused_without_sparse_tensors():
    from keras_hsvae.ops.graph import sparse_normalized_adjacency

    with pytest.raises(ValueError, match="needs the TensorFlow or JAX backend"):
        sparse_normalized_adjacency([[0, 1]], 2)
