"""Dense vs sparse normalized adjacency on Cora: memory and equal embeddings.

Prints the bytes of the dense `(1, N, N)` float32 `A_hat` of
`graph_inputs` and of the sparse tensor of `sparse_graph_inputs` for the
training graph of `split_edges(cora, seed=0)`, and the largest difference
between the node embeddings of the shipped preset `sgvae_cora` computed
from each. TensorFlow or JAX backend (Keras has no sparse tensors on
PyTorch).

    KERAS_BACKEND=jax python experiments/graph_sparse_memory.py --data-dir DIR
"""

import argparse

import keras
import numpy as np

from keras_hsvae import data, presets
from keras_hsvae.models import graph_inputs, sparse_graph_inputs


def sparse_bytes(tensor):
    if keras.backend.backend() == "tensorflow":
        arrays = (tensor.indices.numpy(), tensor.values.numpy())
    else:
        arrays = (np.asarray(tensor.indices), np.asarray(tensor.data))
    return sum(a.nbytes for a in arrays), [str(a.dtype) for a in arrays]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--preset", default="sgvae_cora")
    args = parser.parse_args()
    graph = data.load("cora", data_dir=args.data_dir)
    split = data.split_edges(graph, None, seed=0)
    dense = graph_inputs(graph.features, split.train_adjacency())
    sparse = sparse_graph_inputs(graph.features, split.train_edges)
    n = graph.num_nodes
    nbytes, dtypes = sparse_bytes(sparse["adjacency"])
    entries = 2 * len(split.train_edges) + n
    print(
        f"backend {keras.backend.backend()}; N = {n}, training links "
        f"{len(split.train_edges)}, nonzero entries of A_hat {entries}"
    )
    print(f"dense A_hat: {dense['adjacency'].nbytes / 1e6:.2f} MB (float32)")
    print(f"sparse A_hat: {nbytes / 1e6:.3f} MB (indices, values: {dtypes})")
    model = presets.load_preset(args.preset)
    z_dense = keras.ops.convert_to_numpy(model.embed(dense))
    z_sparse = keras.ops.convert_to_numpy(model.embed(sparse))
    print(
        f"{args.preset}: max |z_sparse - z_dense| = "
        f"{np.abs(z_sparse - z_dense).max():.2e}"
    )


if __name__ == "__main__":
    main()
