"""A small random citation graph written as Planetoid files (numpy pickles)."""

import pickle

import numpy as np


def write_random_planetoid(folder, name="cora", num_nodes=40, num_test=10, seed=0):
    """Write `ind.<name>.*` for a random graph; return `(features, edges)`.

    A ring (every node linked) plus random chords, about 2.5 links per
    node; 6 binary features, 3 classes; the last `num_test` nodes are the
    test ids, listed in a shuffled order as in the real files. The pickles
    hold dense numpy arrays (the loader reads those as well as scipy CSR).
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    features = (rng.random((num_nodes, 6)) < 0.4).astype(np.float32)
    onehot = np.eye(3, dtype=np.int32)[rng.integers(0, 3, num_nodes)]
    ring = [(k, (k + 1) % num_nodes) for k in range(num_nodes)]
    chords = rng.integers(0, num_nodes, (num_nodes * 2, 2))
    pairs = {tuple(sorted(map(int, p))) for p in ring + list(chords) if p[0] != p[1]}
    edges = np.array(sorted(pairs), np.int64)
    neighbours = {k: [] for k in range(num_nodes)}
    for i, j in edges:
        neighbours[int(i)].append(int(j))
    train = num_nodes - num_test
    test_index = train + rng.permutation(num_test)
    parts = {
        "x": features[:5],
        "y": onehot[:5],
        "allx": features[:train],
        "ally": onehot[:train],
        "tx": features[test_index],
        "ty": onehot[test_index],
        "graph": neighbours,
    }
    write_planetoid_files(folder, name, parts, test_index)
    return features, edges


def write_planetoid_files(folder, name, parts, test_index):
    """`ind.<name>.<part>` pickles (protocol 2, as Python 2 wrote) and test ids."""
    for part, value in parts.items():
        with open(folder / f"ind.{name}.{part}", "wb") as f:
            pickle.dump(value, f, protocol=2)
    (folder / f"ind.{name}.test.index").write_text(
        "".join(f"{k}\n" for k in test_index)
    )
