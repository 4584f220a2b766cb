"""Citation graphs (Planetoid files) and the link-prediction split.

`load_graph(name, data_dir)` reads Cora, Citeseer or Pubmed from the
Planetoid files `ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index}` (the
files of Kipf & Welling's GCN and GAE code and of PyG's `Planetoid`) and
assembles them as those do. `split_edges` is the link split of Kipf &
Welling's graph auto-encoders. Both need numpy only: the Python 2 pickles
are read by an unpickler that allows numpy arrays, `list`,
`collections.defaultdict`, `codecs.encode` (bytes in protocol 2) and
scipy's CSR matrix (rebuilt from its arrays,
so scipy is not needed either), and nothing else.
"""

import codecs
import collections
import dataclasses
import io
import pickle

import numpy as np

from keras_hsvae.data._errors import DatasetCorruptError, DatasetNotFoundError
from keras_hsvae.data._sources import ENV_VAR, _roots

PLANETOID_PARTS = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")

# name -> (description, local folder names, number of nodes in the full file)
GRAPH_DATASETS = {
    "cora": (
        "Cora citation graph (Planetoid files): 2708 papers, 1433 binary "
        "word features, 5278 undirected links, 7 classes.",
        ("cora-planetoid", "cora", "planetoid"),
    ),
    "citeseer": (
        "Citeseer citation graph (Planetoid files): 3327 papers, 3703 "
        "binary word features, 7 classes (-1: the 15 isolated test nodes "
        "without a label).",
        ("citeseer-planetoid", "citeseer", "planetoid"),
    ),
    "pubmed": (
        "Pubmed citation graph (Planetoid files): 19717 papers, 500 TF-IDF "
        "features, 3 classes.",
        ("pubmed-planetoid", "pubmed", "planetoid"),
    ),
}


@dataclasses.dataclass(frozen=True)
class Graph:
    """An undirected graph with node features and labels.

    Attributes:
        features: float32 `(N, F)` node features.
        edges: int64 `(E, 2)` undirected edges, each once with `i < j`,
            sorted; no self-loops.
        labels: int32 `(N,)` class of each node, -1 where unknown.
        name: the dataset name.
    """

    features: np.ndarray
    edges: np.ndarray
    labels: np.ndarray
    name: str = ""

    @property
    def num_nodes(self):
        """N, the number of nodes."""
        return int(self.features.shape[0])

    @property
    def adjacency(self):
        """The dense symmetric 0/1 adjacency `(N, N)`, float32, zero diagonal."""
        return edges_to_adjacency(self.edges, self.num_nodes)


def edges_to_adjacency(edges, num_nodes):
    """A dense symmetric 0/1 float32 adjacency from an `(E, 2)` edge list."""
    adjacency = np.zeros((num_nodes, num_nodes), np.float32)
    edges = np.asarray(edges, np.int64).reshape(-1, 2)
    adjacency[edges[:, 0], edges[:, 1]] = 1.0
    adjacency[edges[:, 1], edges[:, 0]] = 1.0
    return adjacency


def canonical_edges(edges, num_nodes):
    """Unique undirected edges `(i, j)` with `i < j`, sorted; self-loops dropped."""
    edges = np.asarray(edges).reshape(-1, 2).astype(np.int64)
    if edges.size and (edges.min() < 0 or edges.max() >= num_nodes):
        raise ValueError(
            f"Edge endpoints must lie in [0, {num_nodes}). Received endpoints in "
            f"[{edges.min()}, {edges.max()}]"
        )
    low = np.minimum(edges[:, 0], edges[:, 1])
    high = np.maximum(edges[:, 0], edges[:, 1])
    keys = np.unique(low[low != high] * num_nodes + high[low != high])
    return np.stack([keys // num_nodes, keys % num_nodes], axis=1)


# --- the Planetoid files -----------------------------------------------------


class _SparseState:
    """What a pickled scipy CSR matrix holds: its arrays and shape."""

    def __setstate__(self, state):
        self.__dict__.update(state)

    def to_dense(self, path):
        try:
            shape = tuple(int(s) for s in self.__dict__["_shape"])
            data = np.asarray(self.data, np.float32)
            indices = np.asarray(self.indices, np.int64)
            indptr = np.asarray(self.indptr, np.int64)
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            raise DatasetCorruptError(
                f"{path} is not a CSR matrix (no data/indices/indptr/_shape)."
            ) from err
        if self.__dict__.get("format", "csr") != "csr" or len(indptr) != shape[0] + 1:
            raise DatasetCorruptError(f"{path}: not a CSR matrix of shape {shape}.")
        dense = np.zeros(shape, np.float32)
        rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
        dense[rows, indices] = data
        return dense


_NUMPY_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _NUMPY_RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _NUMPY_RECONSTRUCT,
    ("collections", "defaultdict"): collections.defaultdict,
    ("__builtin__", "list"): list,
    ("builtins", "list"): list,
    # Python 3 writes bytes in protocol 2 as `_codecs.encode(str, "latin1")`.
    ("_codecs", "encode"): codecs.encode,
    ("scipy.sparse.csr", "csr_matrix"): _SparseState,
    ("scipy.sparse._csr", "csr_matrix"): _SparseState,
}


class _PlanetoidUnpickler(pickle.Unpickler):
    """Loads only the classes the Planetoid pickles refer to."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise pickle.UnpicklingError(
            f"{module}.{name} is not allowed in a Planetoid file."
        )


def _read_pickle(path):
    try:
        with open(path, "rb") as f:
            return _PlanetoidUnpickler(io.BytesIO(f.read()), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise DatasetCorruptError(f"{path} is not a Planetoid pickle: {err}") from err


def _matrix(value, path):
    if isinstance(value, _SparseState):
        return value.to_dense(path)
    array = np.asarray(value)
    if array.ndim != 2:
        raise DatasetCorruptError(
            f"{path}: expected a matrix, found shape {array.shape}."
        )
    return array.astype(np.float32)


def _find_planetoid(name, data_dir):
    roots = _roots(data_dir)
    folders = GRAPH_DATASETS[name][1]
    tried = []
    for root, origin in roots:
        for folder in [root / sub for sub in folders] + [root]:
            tried.append(f"  {folder} ({origin})")
            if all(
                (folder / f"ind.{name}.{part}").is_file() for part in PLANETOID_PARTS
            ):
                return folder
    files = ", ".join(f"ind.{name}.{part}" for part in PLANETOID_PARTS)
    lines = [f"Dataset {name!r} was not found. Planetoid files needed: {files}."]
    if tried:
        lines.append("Folders searched:")
        lines.extend(tried)
    else:
        lines.append(f"No folder to search: data_dir=None and ${ENV_VAR} is not set.")
    lines.append(
        f"Put the files in a folder (e.g. <root>/{folders[0]}/) and pass data_dir=... "
        f"or set {ENV_VAR}=<root>."
    )
    raise DatasetNotFoundError("\n".join(lines))


def load_graph(name, data_dir=None):
    """Read a Planetoid citation graph as a `Graph` (see `data.load`)."""
    folder = _find_planetoid(name, data_dir)
    path = {part: folder / f"ind.{name}.{part}" for part in PLANETOID_PARTS}
    allx = _matrix(_read_pickle(path["allx"]), path["allx"])
    tx = _matrix(_read_pickle(path["tx"]), path["tx"])
    ally = _matrix(_read_pickle(path["ally"]), path["ally"])
    ty = _matrix(_read_pickle(path["ty"]), path["ty"])
    graph = _read_pickle(path["graph"])
    try:
        test_index = np.loadtxt(path["test.index"], dtype=np.int64, ndmin=1)
    except ValueError as err:
        raise DatasetCorruptError(f"{path['test.index']}: {err}") from err
    if tx.shape[0] != len(test_index) or ty.shape[0] != len(test_index):
        raise DatasetCorruptError(
            f"{folder}: {len(test_index)} test ids but tx has {tx.shape[0]} rows "
            f"and ty {ty.shape[0]}."
        )
    if allx.shape[0] != ally.shape[0] or allx.shape[1] != tx.shape[1]:
        raise DatasetCorruptError(
            f"{folder}: allx {allx.shape}, ally {ally.shape} and tx {tx.shape} "
            "do not fit together."
        )
    # As in GCN's `load_data`: the test rows go to the ids of `test.index`;
    # ids of the test range that `test.index` lacks (Citeseer's isolated
    # nodes) get zero features and no label.
    start = int(test_index.min()) if len(test_index) else allx.shape[0]
    stop = int(test_index.max()) + 1 if len(test_index) else allx.shape[0]
    if start != allx.shape[0]:
        raise DatasetCorruptError(
            f"{folder}: the test ids start at {start}, not after the "
            f"{allx.shape[0]} rows of allx."
        )
    num_nodes = stop
    features = np.zeros((num_nodes, allx.shape[1]), np.float32)
    onehot = np.zeros((num_nodes, ally.shape[1]), np.float32)
    features[:start], onehot[:start] = allx, ally
    features[test_index], onehot[test_index] = tx, ty
    labels = np.where(onehot.any(axis=1), onehot.argmax(axis=1), -1).astype(np.int32)
    if not isinstance(graph, dict):
        raise DatasetCorruptError(f"{path['graph']}: expected a dict of lists.")
    pairs = [(int(i), int(j)) for i, neighbours in graph.items() for j in neighbours]
    try:
        edges = canonical_edges(np.array(pairs, np.int64).reshape(-1, 2), num_nodes)
    except ValueError as err:
        raise DatasetCorruptError(f"{path['graph']}: {err}") from err
    return Graph(features=features, edges=edges, labels=labels, name=name)


# --- the link split ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EdgeSplit:
    """The link-prediction split of a graph (see `split_edges`).

    Every edge array is int64 `(k, 2)` with `i < j`.

    Attributes:
        num_nodes: N.
        train_edges: the edges of the training graph.
        val_edges, val_non_edges: validation links and as many non-links.
        test_edges, test_non_edges: test links and as many non-links.
    """

    num_nodes: int
    train_edges: np.ndarray
    val_edges: np.ndarray
    val_non_edges: np.ndarray
    test_edges: np.ndarray
    test_non_edges: np.ndarray

    def train_adjacency(self):
        """The dense 0/1 adjacency of the training graph `(N, N)`, float32."""
        return edges_to_adjacency(self.train_edges, self.num_nodes)


def split_edges(edges, num_nodes, val_fraction=0.05, test_fraction=0.1, seed=None):
    """Hold out links for link prediction, as Kipf & Welling's GAE code does.

    The undirected edges are shuffled; the first `floor(test_fraction * E)`
    are test links, the next `floor(val_fraction * E)` validation links, the
    rest the training graph. For each held-out set the same number of
    non-links is drawn uniformly among the pairs `i < j` that are not
    links of the full graph; test and validation non-links are distinct.
    No held-out link is in the training graph.

    Args:
        edges: `(E, 2)` integer array of undirected edges (each direction,
            duplicates and self-loops are allowed and merged/dropped), or a
            `Graph`.
        num_nodes: N (ignored for a `Graph`).
        val_fraction, test_fraction: floats >= 0 whose sum is < 1.
        seed: int or None, seeds the shuffle and the non-link draw.

    Returns:
        An `EdgeSplit`.

    Example:

    >>> ring = [(i, (i + 1) % 40) for i in range(40)]
    >>> split = split_edges(ring, 40, seed=0)
    >>> len(split.train_edges), len(split.val_edges), len(split.test_edges)
    (34, 2, 4)
    >>> len(split.test_non_edges)
    4

    Reference:
        Kipf & Welling, "Variational Graph Auto-Encoders" (2016); the split
        of `mask_test_edges` in their `gae` code.
    """
    if isinstance(edges, Graph):
        edges, num_nodes = edges.edges, edges.num_nodes
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, (int, np.integer)):
        raise ValueError(
            f"`num_nodes` must be an int. Received: num_nodes={num_nodes!r}"
        )
    num_nodes = int(num_nodes)
    for key, value in (
        ("val_fraction", val_fraction),
        ("test_fraction", test_fraction),
    ):
        if isinstance(value, bool) or not 0 <= value < 1:
            raise ValueError(f"`{key}` must be in [0, 1). Received: {key}={value!r}")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            "`val_fraction + test_fraction` must be < 1. Received: "
            f"val_fraction={val_fraction!r}, test_fraction={test_fraction!r}"
        )
    edges = canonical_edges(edges, num_nodes)
    rng = np.random.default_rng(seed)
    num_edges = len(edges)
    num_test = int(np.floor(num_edges * test_fraction))
    num_val = int(np.floor(num_edges * val_fraction))
    order = rng.permutation(num_edges)
    test = edges[np.sort(order[:num_test])]
    val = edges[np.sort(order[num_test : num_test + num_val])]
    train = edges[np.sort(order[num_test + num_val :])]
    non_edges = _sample_non_edges(edges, num_nodes, num_test + num_val, rng)
    return EdgeSplit(
        num_nodes=num_nodes,
        train_edges=train,
        val_edges=val,
        val_non_edges=non_edges[num_test:],
        test_edges=test,
        test_non_edges=non_edges[:num_test],
    )


def _sample_non_edges(edges, num_nodes, count, rng):
    """`count` distinct pairs `i < j`, uniform among the non-links."""
    available = num_nodes * (num_nodes - 1) // 2 - len(edges)
    if count > available:
        raise ValueError(
            f"The graph has {available} non-links; {count} are needed for the "
            "held-out sets. Use smaller fractions."
        )
    taken = set((edges[:, 0] * num_nodes + edges[:, 1]).tolist())
    chosen = []
    chosen_set = set()
    while len(chosen) < count:
        pairs = rng.integers(0, num_nodes, size=(2 * (count - len(chosen)) + 16, 2))
        for i, j in pairs.tolist():
            if i == j:
                continue
            key = min(i, j) * num_nodes + max(i, j)
            if key in taken or key in chosen_set:
                continue
            chosen_set.add(key)
            chosen.append(key)
            if len(chosen) == count:
                break
    keys = np.array(chosen, np.int64)
    return np.stack([keys // num_nodes, keys % num_nodes], axis=1).reshape(-1, 2)
