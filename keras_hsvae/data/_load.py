"""`load()` and `list_datasets()`: the public entry points of the package.

`_sources.find_source` locates the raw data; this module validates the
arguments and builds the `tf.data` pipeline: optional shuffle, optional
batching, then one vectorized finishing map per element or batch (and the
seeded Bernoulli draw of `dynamic_binarized_mnist`).
"""

import numpy as np

from keras_hsvae._optional import import_optional, require
from keras_hsvae._validation import check_int
from keras_hsvae.data._graphs import GRAPH_DATASETS, load_graph
from keras_hsvae.data._sources import SPECS, find_source

# Batch size used internally to materialize a split for `as_numpy=True`.
NUMPY_BATCH_SIZE = 1000

# Shuffle buffer for sources that are streamed rather than held in memory.
STREAM_SHUFFLE_BUFFER = 4096


def list_datasets():
    """Return the names accepted by `keras_hsvae.data.load`, sorted.

    Returns:
        A list of strings.

    Example:

    >>> from keras_hsvae.data import list_datasets
    >>> "mnist" in list_datasets(), "cora" in list_datasets()
    (True, True)
    """
    return sorted([*SPECS, *GRAPH_DATASETS])


def load(
    name,
    split="train",
    *,
    data_dir=None,
    download=True,
    with_labels=False,
    as_numpy=False,
    batch_size=None,
    shuffle=False,
    seed=None,
    shuffle_buffer_size=None,
    drop_remainder=False,
    tfds_data_dir=None,
    **options,
):
    """Load a dataset split as a `tf.data.Dataset` (or numpy arrays).

    Images are float32 in [0, 1] with shape (H, W, C): (28, 28, 1) for the
    MNIST family and Omniglot, (32, 32, 3) for CIFAR-10, (64, 64, 3) for
    CelebA. `vmf_circle` gives float32 vectors of shape (100,) instead.

    The citation graphs `cora`, `citeseer` and `pubmed` are returned whole
    as a `keras_hsvae.data.Graph` (node `features`, undirected `edges`,
    `labels`, and the dense `adjacency`), read with numpy only from the
    Planetoid files `ind.<name>.*` under `data_dir` or `$KERAS_HSVAE_DATA`
    (folders `<name>-planetoid/`, `<name>/`, `planetoid/` or the root),
    assembled as in Kipf & Welling's GCN code; there is no tfds fallback and
    no other argument applies (`split_edges` makes the link split).

    Sources, in order: local files under `data_dir`, then under
    `$KERAS_HSVAE_DATA` (each as `<root>/<dataset folder>/` or `<root>/`,
    original formats first, then `<name>.npz`); then tensorflow-datasets.
    Local folders use the names of `/work/shared/datasets`: `mnist/`,
    `fashion-mnist/`, `binarized-mnist/`, `cifar10/`, plus `celeb_a/` (the
    `img_align_celeba/` JPEGs and `list_eval_partition.txt`) and `omniglot/`
    (`chardata.mat` of IWAE, needs scipy). tfds names: `mnist`,
    `fashion_mnist`, `binarized_mnist`, `cifar10`, `celeb_a`, `omniglot`
    (`dynamic_binarized_mnist` reads `mnist`).

    Dataset notes:

    - `binarized_mnist`: the fixed binarization of Salakhutdinov & Murray
      distributed by Larochelle; splits train/validation/test (50000/10000/
      10000); it has no labels.
    - `dynamic_binarized_mnist`: each pixel is 1 with probability equal to
      its MNIST grey level, drawn afresh on every pass over the dataset.
      Determinism: after the optional shuffle and batching, the k-th element
      (a batch, or an image when `batch_size=None`) of the i-th iteration of
      the returned dataset is zipped with the k-th value `r` of
      `tf.data.Dataset.random(seed, rerandomize_each_iteration=True)`, and
      its pixels are `tf.random.stateless_uniform(shape, seed=[r, 0]) < grey`.
      So a dataset built with the same `seed` (and the same TensorFlow global
      seed, which `keras.utils.set_random_seed` sets) and `batch_size` gives
      the same sequence of epochs, while successive iterations differ.
      `as_numpy=True` returns the first such epoch for
      `batch_size=NUMPY_BATCH_SIZE` (1000). `seed=None`: not reproducible.
    - `celeb_a`: the HSC-VAE paper (001, A.10) only says "resized to 64x64";
      we take the usual 140x140 center crop of the 218x178 aligned images
      (options `crop_size=140`) then resize (antialiased bilinear) to
      `image_size=64`. Labels are the 40 attributes (0/1) sorted by name.
    - `omniglot`: tfds images (105x105, white background) are converted to
      one channel, inverted so that ink = 1 and resized to `image_size=28`
      (antialiased bilinear): grey levels, and tfds' background/evaluation
      split, not the 24345/8070 split of IWAE's `chardata.mat` (read when
      present locally). Labels: alphabet index (0-49 for tfds' `alphabet`,
      the argmax of `target` in `chardata.mat`).
    - `vmf_circle`: see `make_vmf_circle`; split sizes 10000/2000/2000
      (option `num_samples`), samples seeded by `(data_seed, split index)`
      (train 0, validation 1, test 2), one map for all splits (`map_seed`);
      other options: `kappa=10`, `noise_std=0.1`, `ambient_dim=100`.

    Args:
        name: one of `list_datasets()`.
        split: `"train"`, `"test"` and, where the dataset has one,
            `"validation"`.
        data_dir: folder with local copies (see above), or None.
        download: whether tensorflow-datasets may download and prepare the
            data when no local copy is found. Without network access a tfds
            download retries for minutes before failing: pass
            `download=False` to fail at once.
        with_labels: if True, elements are `(image, label)` pairs (int32
            labels); if False, images only.
        as_numpy: if True, return numpy arrays of the whole split (images,
            or `(images, labels)`) instead of a dataset.
        batch_size: batch the dataset (None: unbatched elements). Not
            allowed with `as_numpy=True`.
        shuffle: shuffle the examples (reshuffled on every iteration).
        seed: int seed for the shuffle and the dynamic binarization.
        shuffle_buffer_size: shuffle buffer; default the whole split for data
            held in memory and 4096 for streamed sources (tfds, JPEGs).
        drop_remainder: drop the last incomplete batch.
        tfds_data_dir: `data_dir` passed to tensorflow-datasets (default:
            tfds' own, `$TFDS_DATA_DIR` or `~/tensorflow_datasets`).
        **options: dataset options: `crop_size`, `image_size` (celeb_a),
            `image_size` (omniglot), `num_samples`, `kappa`, `noise_std`,
            `ambient_dim`, `data_seed`, `map_seed` (vmf_circle).

    Returns:
        A `tf.data.Dataset`, or numpy arrays if `as_numpy=True`.

    Raises:
        ValueError: unknown name, split or option; labels requested for
            `binarized_mnist`; bad argument values.
        DatasetNotFoundError: no local copy and tfds could not provide it.
        DatasetCorruptError: a local file failed a format check.
        ImportError: TensorFlow is not installed (the pipeline is `tf.data`
            on every backend): the `tensorflow` extra, or tensorflow-cpu.

    Example:

    >>> from keras_hsvae.data import load
    >>> x, y = load("vmf_circle", "test", with_labels=True, as_numpy=True)
    >>> x.shape, y.shape
    ((2000, 100), (2000,))
    """
    if name in GRAPH_DATASETS:
        return _load_graph(name, split, data_dir, options, with_labels, as_numpy)
    spec = _get_spec(name)
    split = _check_split(spec, split)
    options = _check_options(spec, options)
    if with_labels and not spec.has_labels:
        raise ValueError(
            f"Dataset {spec.name!r} has no labels; call it with with_labels=False. "
            f"Received: with_labels={with_labels!r}"
        )
    if batch_size is not None:
        batch_size = _check_positive_int(batch_size, "batch_size")
        if as_numpy:
            raise ValueError(
                "`batch_size` cannot be combined with as_numpy=True (the whole "
                f"split is returned). Received: batch_size={batch_size}"
            )
    if shuffle_buffer_size is not None:
        shuffle_buffer_size = _check_positive_int(
            shuffle_buffer_size, "shuffle_buffer_size"
        )
    seed = check_int("seed", seed, allow_none=True)

    # Every source ends in a tf.data pipeline: say so before looking for files.
    require("tensorflow", "keras_hsvae.data.load")
    source = find_source(
        spec,
        split,
        with_labels,
        data_dir,
        download,
        shuffle,
        seed,
        tfds_data_dir,
        options,
    )
    return _build(
        spec,
        source,
        with_labels=with_labels,
        as_numpy=as_numpy,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer_size=shuffle_buffer_size,
        drop_remainder=drop_remainder,
    )


def _load_graph(name, split, data_dir, options, with_labels, as_numpy):
    if split not in ("train", "all") or options:
        raise ValueError(
            f"Dataset {name!r} is one whole graph: load it with data_dir only "
            "and split its links with `keras_hsvae.data.split_edges`. Received: "
            f"split={split!r}, options={options!r}"
        )
    return load_graph(name, data_dir=data_dir)


def _get_spec(name):
    if name not in SPECS:
        raise ValueError(
            f"Unknown dataset. Valid names: {list_datasets()}. Received: name={name!r}"
        )
    return SPECS[name]


def _check_split(spec, split):
    if split not in spec.splits:
        raise ValueError(
            f"Unknown split for dataset {spec.name!r}. Valid splits: "
            f"{list(spec.splits)}. Received: split={split!r}"
        )
    return split


def _check_options(spec, options):
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        valid = sorted(spec.options) or "none"
        received = ", ".join(f"{k}={options[k]!r}" for k in unknown)
        raise ValueError(
            f"Unknown option(s) {unknown} for dataset {spec.name!r}. Valid "
            f"options: {valid}. Received: {received}"
        )
    merged = {**spec.options, **options}
    for key in ("crop_size", "image_size"):
        if key in merged:
            merged[key] = _check_positive_int(merged[key], key)
    return merged


def _check_positive_int(value, name):
    return check_int(name, value, 1)


def _build(
    spec,
    source,
    *,
    with_labels,
    as_numpy,
    batch_size,
    shuffle,
    seed,
    shuffle_buffer_size,
    drop_remainder,
):
    tf = import_optional("tensorflow", "keras_hsvae.data.load")

    if source.dataset is not None:
        dataset = source.dataset
        buffer = shuffle_buffer_size or STREAM_SHUFFLE_BUFFER
    else:
        elements = {"image": source.images}
        if with_labels:
            elements["label"] = source.labels
        dataset = tf.data.Dataset.from_tensor_slices(elements)
        buffer = shuffle_buffer_size or len(source.images)
    if shuffle:
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if as_numpy:
        batch_size = NUMPY_BATCH_SIZE
    if batch_size is not None:
        # Batch before the finishing map: one vectorized call per batch.
        dataset = dataset.batch(
            batch_size, drop_remainder=drop_remainder and not as_numpy
        )

    finish = source.finish
    select = source.select

    def split_element(element):
        image = element["image"]
        if not with_labels:
            return image, None
        label = select(element) if select is not None else element["label"]
        return image, tf.cast(label, tf.int32)

    if spec.name == "dynamic_binarized_mnist":
        keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip(dataset, keys)

        def finish_element(element, key):
            image, label = split_element(element)
            grey = finish(image)
            pair = tf.stack([key, tf.zeros_like(key)])
            noise = tf.random.stateless_uniform(tf.shape(grey), seed=pair)
            # u ~ U[0, 1): P(u < p) = p exactly, so grey 0 stays 0 and 1 stays 1.
            image = tf.cast(noise < grey, tf.float32)
            return image if label is None else (image, label)
    else:

        def finish_element(element):
            image, label = split_element(element)
            image = finish(image)
            return image if label is None else (image, label)

    dataset = dataset.map(finish_element, num_parallel_calls=tf.data.AUTOTUNE)
    if not as_numpy:
        return dataset.prefetch(tf.data.AUTOTUNE)
    return _to_numpy(dataset, with_labels, spec)


def _to_numpy(dataset, with_labels, spec):
    images, labels = [], []
    for element in dataset.as_numpy_iterator():
        if with_labels:
            images.append(element[0])
            labels.append(element[1])
        else:
            images.append(element)
    if not images:
        empty = np.zeros((0,) + spec.image_shape, np.float32)
        return (empty, np.zeros((0,), np.int32)) if with_labels else empty
    images = np.concatenate(images)
    return (images, np.concatenate(labels)) if with_labels else images
