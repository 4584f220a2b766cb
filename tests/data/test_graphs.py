"""Citation graphs (Planetoid files) and the link split of `split_edges`.

Synthetic Planetoid files (written with scipy and pickle protocol 2, as the
original Python 2 files) exercise the assembly for every dataset name;
the real Cora copy, when present, is checked against the counts its README
and the GCN paper publish.
"""

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from graph_files import write_planetoid_files

from keras_hsvae import data
from keras_hsvae.data import DatasetCorruptError, DatasetNotFoundError

REAL_DATA = Path(
    os.environ.get(
        "KERAS_HSVAE_TEST_DATA",
        Path(__file__).resolve().parents[3] / "shared" / "datasets",
    )
)


@pytest.fixture(autouse=True)
def _no_env_data(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)


def _write_planetoid(folder, name, test_index, num_features=5, num_classes=3):
    """Planetoid files for `train + len(test_index)` nodes; returns the truth.

    Node `k` has feature row `k + 1` in column `k % num_features` (so every
    row is distinct) and label `k % num_classes`; rows of `allx` are the
    nodes 0..n_allx-1, rows of `tx` the ids of `test_index` in file order.
    """
    sparse = pytest.importorskip("scipy.sparse")
    folder.mkdir(parents=True, exist_ok=True)
    n_allx = min(test_index)
    num_nodes = max(test_index) + 1

    def rows(ids):
        x = np.zeros((len(ids), num_features), np.float32)
        y = np.zeros((len(ids), num_classes), np.int32)
        for r, k in enumerate(ids):
            x[r, k % num_features] = k + 1
            y[r, k % num_classes] = 1
        return x, y

    allx, ally = rows(range(n_allx))
    tx, ty = rows(test_index)
    graph = {k: [] for k in range(num_nodes)}
    graph[0] += [1, 1, 0]  # a duplicate and a self-loop: merged / dropped
    graph[1] += [0, 2]
    graph[2] += [test_index[0]]
    graph[test_index[-1]] += [3]
    parts = {
        "x": sparse.csr_matrix(allx[:2]),
        "y": ally[:2],
        "allx": sparse.csr_matrix(allx),
        "ally": ally,
        "tx": sparse.csr_matrix(tx),
        "ty": ty,
        "graph": graph,
    }
    write_planetoid_files(folder, name, parts, test_index)
    features = np.zeros((num_nodes, num_features), np.float32)
    labels = np.full(num_nodes, -1, np.int32)
    for k in list(range(n_allx)) + list(test_index):
        features[k, k % num_features] = k + 1
        labels[k] = k % num_classes
    edges = sorted({(0, 1), (1, 2), (2, test_index[0]), (3, test_index[-1])})
    return features, labels, np.array(edges)


@pytest.mark.parametrize(
    "name, test_index",
    [
        ("cora", [9, 7, 8, 6]),
        # Citeseer: an id of the test range (8) missing from test.index.
        ("citeseer", [9, 6, 7]),
        ("pubmed", [6, 8, 7, 9]),
    ],
)
def test_planetoid_assembly(tmp_path, name, test_index):
    features, labels, edges = _write_planetoid(
        tmp_path / f"{name}-planetoid", name, test_index
    )
    graph = data.load(name, data_dir=tmp_path)
    assert isinstance(graph, data.Graph)
    np.testing.assert_array_equal(graph.features, features)
    np.testing.assert_array_equal(graph.labels, labels)
    np.testing.assert_array_equal(graph.edges, edges)
    assert graph.num_nodes == 10
    adjacency = graph.adjacency
    assert adjacency.dtype == np.float32
    np.testing.assert_array_equal(adjacency, adjacency.T)
    assert adjacency.sum() == 2 * len(edges) and np.trace(adjacency) == 0


def test_graph_from_env_var_and_errors(tmp_path, monkeypatch):
    _write_planetoid(tmp_path / "cora", "cora", [6, 7])
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.load("cora").num_nodes == 8
    with pytest.raises(ValueError, match="one whole graph"):
        data.load("cora", "test")
    with pytest.raises(DatasetNotFoundError, match="ind.citeseer.graph"):
        data.load("citeseer", data_dir=tmp_path / "nothing")


def test_planetoid_unpickler_refuses_other_classes(tmp_path):
    _write_planetoid(tmp_path, "cora", [6, 7])

    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())

    with open(tmp_path / "ind.cora.graph", "wb") as f:
        pickle.dump(Evil(), f, protocol=2)
    with pytest.raises(DatasetCorruptError, match="not allowed"):
        data.load("cora", data_dir=tmp_path)


@pytest.mark.skipif(
    not (REAL_DATA / "cora-planetoid" / "ind.cora.graph").is_file(),
    reason="no local Cora copy",
)
def test_real_cora_counts():
    graph = data.load("cora", data_dir=REAL_DATA)
    # README of the copy: 2708 nodes, 1433 binary features, 7 classes,
    # 5278 unique undirected links (10858 adjacency entries with duplicates).
    assert graph.features.shape == (2708, 1433)
    assert set(np.unique(graph.features).tolist()) == {0.0, 1.0}
    assert len(graph.edges) == 5278
    # Class sizes of Planetoid's Cora (as in PyG's `Planetoid("Cora")`).
    counts = np.bincount(graph.labels, minlength=7).tolist()
    assert counts == [351, 217, 418, 818, 426, 298, 180]
    # Kipf & Welling's split sizes for Cora: floor(E / 10), floor(E / 20).
    split = data.split_edges(graph, None, seed=0)
    assert (len(split.test_edges), len(split.val_edges)) == (527, 263)
    assert len(split.train_edges) == 4488


# --- split_edges ------------------------------------------------------------


def _random_graph(num_nodes=60, p=0.15, seed=0):
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.random((num_nodes, num_nodes)) < p, 1)
    return np.argwhere(upper)


def _keys(edges, n):
    return set((np.asarray(edges)[:, 0] * n + np.asarray(edges)[:, 1]).tolist())


@pytest.mark.parametrize("seed", [0, 1])
def test_split_invariants(seed):
    n = 60
    edges = _random_graph(n, seed=seed)
    # Both directions, a duplicate and a self-loop in the input.
    given = np.concatenate([edges, edges[:, ::-1], edges[:3], [[5, 5]]])
    split = data.split_edges(given, n, seed=seed)
    e = len(edges)
    assert len(split.test_edges) == e // 10
    assert len(split.val_edges) == e // 20
    assert len(split.test_non_edges) == len(split.test_edges)
    assert len(split.val_non_edges) == len(split.val_edges)
    train, val, test = (
        _keys(split.train_edges, n),
        _keys(split.val_edges, n),
        _keys(split.test_edges, n),
    )
    assert not (train & val) and not (train & test) and not (val & test)
    assert train | val | test == _keys(edges, n)
    val_non, test_non = _keys(split.val_non_edges, n), _keys(split.test_non_edges, n)
    assert len(val_non) == len(split.val_non_edges)
    assert len(test_non) == len(split.test_non_edges)
    assert not (val_non & test_non)
    assert not ((val_non | test_non) & _keys(edges, n))
    for part in (split.train_edges, split.val_non_edges, split.test_non_edges):
        assert np.all(part[:, 0] < part[:, 1])
    adjacency = split.train_adjacency()
    np.testing.assert_array_equal(adjacency, adjacency.T)
    assert adjacency.sum() == 2 * len(train)
    assert adjacency[split.test_edges[:, 0], split.test_edges[:, 1]].sum() == 0
    assert adjacency[split.val_edges[:, 0], split.val_edges[:, 1]].sum() == 0


def test_split_is_seeded():
    edges = _random_graph()
    a = data.split_edges(edges, 60, seed=3)
    b = data.split_edges(edges, 60, seed=3)
    c = data.split_edges(edges, 60, seed=4)
    for field in ("train_edges", "test_edges", "test_non_edges", "val_non_edges"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.test_edges, c.test_edges)


def test_split_errors():
    edges = _random_graph()
    with pytest.raises(ValueError, match="val_fraction"):
        data.split_edges(edges, 60, val_fraction=1.5)
    with pytest.raises(ValueError, match="must be < 1"):
        data.split_edges(edges, 60, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        data.split_edges(edges, 10)
    # A complete graph has no non-link to hold out.
    complete = np.argwhere(np.triu(np.ones((6, 6)), 1))
    with pytest.raises(ValueError, match="non-links"):
        data.split_edges(complete, 6, test_fraction=0.5)
