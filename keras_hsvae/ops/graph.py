"""Graph math in `keras.ops`: the normalized adjacency of a GCN.

`normalize_adjacency(a)` is the propagation matrix of Kipf & Welling's graph
convolutional network,

    A_hat = D^-1/2 (A + I) D^-1/2,    D = diag(rowsum(A + I)),

computed once per graph and passed to every `GraphConvolution` of a model:
dense (`normalize_adjacency`), or sparse from an edge list
(`normalize_edges`; `sparse_normalized_adjacency` makes the TensorFlow or
JAX sparse tensor, through the one backend adapter `_backend_sparse`).
"""

import keras
import numpy as np
from keras import ops


def normalize_adjacency(adjacency, add_self_loops=True):
    """`D^-1/2 (A + I) D^-1/2` for a dense adjacency matrix (or a batch).

    Args:
        adjacency: float tensor `(..., N, N)`, symmetric, entries >= 0 (an
            existing diagonal is kept and 1 is added to it).
        add_self_loops: if False, normalize `A` itself (then a row of zeros,
            an isolated node, stays zero).

    Returns:
        A tensor of the same shape and dtype.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> a = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    >>> keras.ops.convert_to_numpy(normalize_adjacency(a)).round(6).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    adjacency = ops.convert_to_tensor(adjacency)
    if add_self_loops:
        n = ops.shape(adjacency)[-1]
        adjacency = adjacency + ops.eye(n, dtype=adjacency.dtype)
    degree = ops.sum(adjacency, axis=-1)
    # Isolated node without self-loop (degree 0): 0 instead of 0^-1/2 = inf.
    safe = ops.where(degree > 0, degree, ops.ones_like(degree))
    inv_sqrt = ops.where(degree > 0, 1.0 / ops.sqrt(safe), ops.zeros_like(degree))
    return inv_sqrt[..., :, None] * adjacency * inv_sqrt[..., None, :]


def normalize_edges(edges, num_nodes, add_self_loops=True):
    """The nonzero entries of `D^-1/2 (A + I) D^-1/2` for an edge list.

    The sparse form of `normalize_adjacency`: `A` is the symmetric 0/1
    adjacency of the undirected links `edges`, and only its nonzero entries
    (both directions of every link, plus the diagonal) are computed, in
    O(E + N) memory instead of O(N^2).

    Args:
        edges: integer `(E, 2)` undirected links, each once (either
            direction), no self-loops (`keras_hsvae.data.canonical_edges`
            makes such a list; a `Graph`'s `edges` and an `EdgeSplit`'s
            `train_edges` are).
        num_nodes: N.
        add_self_loops: if False, normalize `A` itself.

    Returns:
        `(indices, values)`: int32 `(K, 2)` row / column pairs (links in
        both directions, then the diagonal) and their float32 values,
        `K = 2 E (+ N)`.

    Example:

    >>> import keras
    >>> indices, values = normalize_edges([[0, 1]], 2)
    >>> keras.ops.convert_to_numpy(values).round(6).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    edges = ops.reshape(ops.cast(ops.convert_to_tensor(edges), "int32"), (-1, 2))
    rows = [edges[:, 0], edges[:, 1]]
    cols = [edges[:, 1], edges[:, 0]]
    if add_self_loops:
        diagonal = ops.arange(num_nodes, dtype="int32")
        rows.append(diagonal)
        cols.append(diagonal)
    rows, cols = ops.concatenate(rows), ops.concatenate(cols)
    degree = ops.segment_sum(
        ops.ones_like(rows, dtype="float32"), rows, num_segments=num_nodes
    )
    # Isolated node without self-loop (degree 0): 0 instead of 0^-1/2 = inf.
    safe = ops.where(degree > 0, degree, ops.ones_like(degree))
    inv_sqrt = ops.where(degree > 0, 1.0 / ops.sqrt(safe), ops.zeros_like(degree))
    values = ops.take(inv_sqrt, rows) * ops.take(inv_sqrt, cols)
    return ops.stack([rows, cols], axis=-1), values


def sparse_normalized_adjacency(edges, num_nodes, add_self_loops=True, batch=False):
    """`normalize_edges` as a backend sparse tensor `(N, N)` (or `(1, N, N)`).

    `keras.ops.matmul` (and so `GraphConvolution`) multiplies it with dense
    node features. Keras has sparse tensors on TensorFlow (`tf.SparseTensor`)
    and JAX (`jax.experimental.sparse.BCOO`) only: on PyTorch this raises a
    `ValueError` (use the dense `normalize_adjacency` there).

    Args:
        edges, num_nodes, add_self_loops: as for `normalize_edges`.
        batch: if True, shape `(1, N, N)`: one graph as a batch of one, the
            layout of the graph auto-encoders' inputs.

    Returns:
        A float32 sparse tensor of the backend.

    Example:

    >>> import keras, numpy as np
    >>> if keras.backend.backend() != "torch":  # no sparse tensors there
    ...     a = sparse_normalized_adjacency([[0, 1]], 3)
    ...     y = keras.ops.matmul(a, np.eye(3, dtype="float32"))
    ...     expected = [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    ...     assert np.allclose(keras.ops.convert_to_numpy(y), expected)
    """
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise ValueError(
            "A sparse adjacency needs the TensorFlow or JAX backend (Keras has "
            "no sparse tensors on this one): pass the dense "
            "`normalize_adjacency(a)` instead. Received: backend="
            f"{backend!r}"
        )
    indices, values = normalize_edges(edges, num_nodes, add_self_loops)
    indices = ops.convert_to_numpy(indices).astype("int64")
    values = ops.convert_to_numpy(values)
    shape = (num_nodes, num_nodes)
    if batch:
        indices = np.concatenate([np.zeros_like(indices[:, :1]), indices], axis=1)
        shape = (1,) + shape
    # Row-major order, which TensorFlow's sparse kernels expect.
    order = np.lexsort(indices.T[::-1])
    return _backend_sparse(backend, indices[order], values[order], shape)


def _backend_sparse(backend, indices, values, shape):
    """The one backend adapter: COO arrays -> the backend's sparse tensor."""
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.SparseTensor(indices, values, shape)
    from jax.experimental import sparse

    return sparse.BCOO((values, indices), shape=shape)
