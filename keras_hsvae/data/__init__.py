"""Datasets for the experiments: local original files first, then tfds.

`load(name, split, ...)` returns a `tf.data.Dataset` of float32 images in
[0, 1] (optionally with int32 labels), usable by `fit()` on every Keras
backend, or numpy arrays with `as_numpy=True`. `list_datasets()` gives the
names. See `load` for where files are looked for and for each dataset's
conventions (CelebA crop, dynamic binarization seeding, the synthetic
`vmf_circle` construction of `make_vmf_circle`). The citation graphs
(`cora`, `citeseer`, `pubmed`) load as a `Graph`; `split_edges` holds out
links for link prediction.
"""

from keras_hsvae.data._errors import DatasetCorruptError, DatasetNotFoundError
from keras_hsvae.data._graphs import EdgeSplit, Graph, split_edges
from keras_hsvae.data._load import list_datasets, load
from keras_hsvae.data._sources import ENV_VAR
from keras_hsvae.data._synthetic import make_vmf_circle
from keras_hsvae.data.dynamic_binarization import (
    TEST_BINARIZATION_SEED,
    DynamicBinarization,
    binarize,
)

__all__ = [
    "ENV_VAR",
    "TEST_BINARIZATION_SEED",
    "DynamicBinarization",
    "binarize",
    "DatasetCorruptError",
    "DatasetNotFoundError",
    "EdgeSplit",
    "Graph",
    "list_datasets",
    "load",
    "make_vmf_circle",
    "split_edges",
]
