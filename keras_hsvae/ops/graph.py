"""Graph math in `keras.ops`: the normalized adjacency of a GCN.

`normalize_adjacency(a)` is the propagation matrix of Kipf & Welling's graph
convolutional network,

    A_hat = D^-1/2 (A + I) D^-1/2,    D = diag(rowsum(A + I)),

computed once per graph and passed to every `GraphConvolution` of a model.
"""

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
