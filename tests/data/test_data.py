"""keras_hsvae.data: file parsers, source search, tfds mapping, synthetic data.

Three tiers:
- synthetic files written in `tmp_path` exercise every parser and error path
  (always run);
- `tfds.testing.mock_data` exercises the tensorflow-datasets path offline;
- the real datasets (MNIST, Fashion-MNIST, binarized MNIST) are checked
  against the counts published in their README when a copy is present
  (`$KERAS_HSVAE_TEST_DATA`, default `<repo>/../shared/datasets`).
"""

import gzip
import io
import os
import pickle
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

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
    """Hermetic: no $KERAS_HSVAE_DATA from the caller's environment."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)


def _tfds_dir(tmp_path):
    """An empty folder for tfds, so that no prepared copy is ever found."""
    return str(tmp_path / "tfds_empty")


# --- writers for tiny files in the original formats -------------------------


def _idx_bytes(array):
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def _write_idx(folder, prefix, images, labels, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    for kind, array, nd in (("images", images, 3), ("labels", labels, 1)):
        name = f"{prefix}-{kind}-idx{nd}-ubyte"
        blob = _idx_bytes(array)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(blob))
        else:
            (folder / name).write_bytes(blob)


def _tiny_mnist(n=6, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    return images, labels


def _amat_text(pixels):
    return "".join(" ".join(str(v) for v in row) + "\n" for row in pixels)


def _cifar_batch(n, seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, n).tolist()
    blob = pickle.dumps({b"data": rows, b"labels": labels}, protocol=2)
    return blob, rows, labels


def _write_cifar(folder, layout, n=2):
    """Write the six CIFAR-10 batches; returns {batch name: (rows, labels)}."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    content = {}
    blobs = {}
    for i, name in enumerate(names):
        blob, rows, labels = _cifar_batch(n, i)
        content[name] = (rows, labels)
        blobs[name] = blob
    if layout == "tar":
        with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as tar:
            for name, blob in blobs.items():
                info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                info.size = len(blob)
                tar.addfile(info, io.BytesIO(blob))
    else:
        target = folder / "cifar-10-batches-py" if layout == "folder" else folder
        target.mkdir(parents=True, exist_ok=True)
        for name, blob in blobs.items():
            (target / name).write_bytes(blob)
    return content


# --- argument validation ------------------------------------------------------


def test_list_datasets_names_every_dataset():
    assert data.list_datasets() == sorted(
        [
            "binarized_mnist",
            "celeb_a",
            "citeseer",
            "cifar10",
            "cora",
            "dynamic_binarized_mnist",
            "fashion_mnist",
            "mnist",
            "omniglot",
            "pubmed",
            "vmf_circle",
        ]
    )


def test_unknown_name_split_and_option_are_value_errors():
    with pytest.raises(ValueError, match="Valid names: .*'mnist'.*name='mnits'"):
        data.load("mnits")
    with pytest.raises(ValueError, match=r"\['train', 'test'\].*split='validation'"):
        data.load("mnist", "validation")
    with pytest.raises(ValueError, match="Valid options: none.*crop_size=3"):
        data.load("mnist", crop_size=3)
    with pytest.raises(ValueError, match="batch_size=0"):
        data.load("vmf_circle", batch_size=0)
    with pytest.raises(ValueError, match="as_numpy"):
        data.load("vmf_circle", batch_size=4, as_numpy=True)


def test_binarized_mnist_has_no_labels():
    with pytest.raises(ValueError, match="has no labels.*with_labels=True"):
        data.load("binarized_mnist", "train", with_labels=True)


def test_missing_data_gives_one_clear_error_quickly(tmp_path):
    empty = tmp_path / "nothing_here"
    start = time.monotonic()
    with pytest.raises(DatasetNotFoundError) as info:
        data.load(
            "mnist",
            "test",
            data_dir=empty,
            download=False,
            tfds_data_dir=_tfds_dir(tmp_path),
        )
    assert time.monotonic() - start < 20.0  # No download attempt, no retries.
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert str(empty) in message and "does not exist" in message
    assert "t10k-images-idx3-ubyte.gz" in message and "mnist.npz" in message
    assert "mnist/" in message
    assert "tfds.load('mnist', split='test', download=False)" in message
    assert data.ENV_VAR in message and "download=True" in message


def test_missing_data_message_without_any_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="KERAS_HSVAE_DATA is not set"):
        data.load("cifar10", "test", download=False, tfds_data_dir=_tfds_dir(tmp_path))


# --- IDX (MNIST, Fashion-MNIST) -------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_idx_files_parse_with_labels(tmp_path, compress):
    images, labels = _tiny_mnist()
    _write_idx(tmp_path / "mnist", "t10k", images, labels, compress=compress)
    x, y = data.load(
        "mnist", "test", data_dir=tmp_path, with_labels=True, as_numpy=True
    )
    assert x.shape == (6, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int32


def test_files_directly_in_the_folder_and_fashion_folder_name(tmp_path):
    images, labels = _tiny_mnist(seed=3)
    _write_idx(tmp_path, "train", images, labels)  # directly in the root
    x = data.load("mnist", "train", data_dir=tmp_path, as_numpy=True)
    np.testing.assert_allclose(x[..., 0], images / 255.0, rtol=1e-6)
    _write_idx(tmp_path / "fashion-mnist", "train", images[:2], labels[:2])
    x = data.load("fashion_mnist", "train", data_dir=tmp_path, as_numpy=True)
    assert x.shape == (2, 28, 28, 1)


def test_labels_files_needed_only_with_labels(tmp_path):
    images, labels = _tiny_mnist()
    _write_idx(tmp_path / "mnist", "train", images, labels)
    (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    assert data.load("mnist", data_dir=tmp_path, as_numpy=True).shape[0] == 6
    with pytest.raises(DatasetNotFoundError, match="train-labels-idx1-ubyte"):
        data.load(
            "mnist",
            data_dir=tmp_path,
            with_labels=True,
            download=False,
            tfds_data_dir=_tfds_dir(tmp_path),
        )


def test_data_dir_comes_before_environment_variable(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    images, labels = _tiny_mnist(n=3, seed=1)
    _write_idx(first / "mnist", "t10k", images, labels)
    _write_idx(second / "mnist", "t10k", images[:1], labels[:1])
    monkeypatch.setenv(data.ENV_VAR, str(second))
    assert data.load("mnist", "test", data_dir=first, as_numpy=True).shape[0] == 3
    assert data.load("mnist", "test", as_numpy=True).shape[0] == 1
    # The env folder is still searched when data_dir lacks the dataset.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert data.load("mnist", "test", data_dir=empty, as_numpy=True).shape[0] == 1


@pytest.mark.parametrize(
    "blob,match",
    [
        (b"\x00\x00\x08\x01" + b"\x00" * 20, "expected 3"),
        (b"PK\x03\x04" + b"\x00" * 20, "not an IDX file"),
        (_idx_bytes(np.zeros((2, 28, 28)))[:-5], "truncated or padded"),
        (_idx_bytes(np.zeros((2, 27, 28))), r"expected \(N, 28, 28\)"),
    ],
)
def test_corrupt_idx_files_raise(tmp_path, blob, match):
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(blob)
    with pytest.raises(DatasetCorruptError, match=match) as info:
        data.load("mnist", data_dir=tmp_path, as_numpy=True)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_truncated_gzip_and_label_mismatch_raise(tmp_path):
    images, labels = _tiny_mnist()
    _write_idx(tmp_path / "mnist", "train", images, labels[:4])
    with pytest.raises(DatasetCorruptError, match="6 images but .* 4 labels"):
        data.load("mnist", data_dir=tmp_path, with_labels=True, as_numpy=True)
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DatasetCorruptError, match="not a valid gzip file"):
        data.load("mnist", data_dir=tmp_path, as_numpy=True)


def test_label_values_are_checked(tmp_path):
    images, labels = _tiny_mnist()
    labels[0] = 12
    _write_idx(tmp_path / "mnist", "train", images, labels)
    with pytest.raises(DatasetCorruptError, match="value 12"):
        data.load("mnist", data_dir=tmp_path, with_labels=True, as_numpy=True)


# --- binarized MNIST (.amat) ----------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_amat_files_parse(tmp_path, compress):
    rng = np.random.default_rng(0)
    pixels = (rng.random((4, 784)) < 0.2).astype(np.uint8)
    folder = tmp_path / "binarized-mnist"
    folder.mkdir()
    text = _amat_text(pixels).encode()
    if compress:
        (folder / "binarized_mnist_valid.amat.gz").write_bytes(gzip.compress(text))
    else:
        (folder / "binarized_mnist_valid.amat").write_bytes(text)
    x = data.load("binarized_mnist", "validation", data_dir=tmp_path, as_numpy=True)
    assert x.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(x.reshape(4, 784), pixels)


def test_amat_other_whitespace_falls_back_and_bad_values_raise(tmp_path):
    pixels = np.zeros((2, 784), np.uint8)
    pixels[1, ::7] = 1
    text = "".join("\t".join(str(v) for v in row) + "\r\n" for row in pixels)
    (tmp_path / "binarized_mnist_test.amat").write_text(text)
    x = data.load("binarized_mnist", "test", data_dir=tmp_path, as_numpy=True)
    np.testing.assert_array_equal(x.reshape(2, 784), pixels)
    pixels[0, 3] = 2
    (tmp_path / "binarized_mnist_test.amat").write_text(_amat_text(pixels))
    with pytest.raises(DatasetCorruptError, match=r"only 0 and 1; found \[2\]"):
        data.load("binarized_mnist", "test", data_dir=tmp_path, as_numpy=True)


# --- CIFAR-10 -------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["tar", "folder", "flat"])
def test_cifar10_layouts(tmp_path, layout):
    content = _write_cifar(tmp_path / "cifar10", layout)
    x, y = data.load(
        "cifar10", "train", data_dir=tmp_path, with_labels=True, as_numpy=True
    )
    assert x.shape == (10, 32, 32, 3) and y.shape == (10,)
    rows, labels = content["data_batch_2"]
    # Rows are channel-major: red plane, green plane, blue plane.
    red = rows[0, :1024].reshape(32, 32)
    blue = rows[0, 2048:].reshape(32, 32)
    np.testing.assert_allclose(x[2, ..., 0], red / 255.0, rtol=1e-6)
    np.testing.assert_allclose(x[2, ..., 2], blue / 255.0, rtol=1e-6)
    assert y[2:4].tolist() == labels
    x = data.load("cifar10", "test", data_dir=tmp_path, as_numpy=True)
    assert x.shape == (2, 32, 32, 3)


class _Evil:
    def __reduce__(self):
        return (os.getcwd, ())


def test_cifar10_pickles_may_only_build_arrays(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    blob, _, _ = _cifar_batch(2, 0)
    for i in range(1, 6):
        (folder / f"data_batch_{i}").write_bytes(blob)
    (folder / "data_batch_3").write_bytes(pickle.dumps({b"data": _Evil()}))
    with pytest.raises(DatasetCorruptError, match="refusing to load the global"):
        data.load("cifar10", "train", data_dir=tmp_path, as_numpy=True)


# --- generic .npz -----------------------------------------------------------------


def test_npz_variants(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.arange(5)
    np.savez(tmp_path / "mnist.npz", x_train=images, y_train=labels)
    x, y = data.load("mnist", data_dir=tmp_path, with_labels=True, as_numpy=True)
    np.testing.assert_allclose(x[..., 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    # Flattened float rows in [0, 1], in the dataset's own folder.
    (tmp_path / "fashion-mnist").mkdir()
    flat = rng.random((3, 784)).astype(np.float32)
    np.savez(tmp_path / "fashion-mnist" / "fashion_mnist.npz", x_test=flat)
    x = data.load("fashion_mnist", "test", data_dir=tmp_path, as_numpy=True)
    np.testing.assert_allclose(x.reshape(3, 784), flat)
    # Validation stored as x_valid; binarized values may be 0/255.
    binary = (rng.random((2, 784)) < 0.3).astype(np.uint8)
    np.savez(tmp_path / "binarized_mnist.npz", x_valid=255 * binary)
    x = data.load("binarized_mnist", "validation", data_dir=tmp_path, as_numpy=True)
    np.testing.assert_array_equal(x.reshape(2, 784), binary)


@pytest.mark.parametrize(
    "arrays,match",
    [
        ({"x_train": np.full((2, 784), 2.0), "y_train": [0, 1]}, r"in \[0, 1\]"),
        (
            {"x_train": np.zeros((2, 20, 20), np.uint8), "y_train": [0, 1]},
            r"\(N, 28, 28, 1\)",
        ),
        ({"x_test": np.zeros((2, 784), np.uint8)}, "no array for split 'train'"),
        ({"x_train": np.zeros((2, 784), np.uint8)}, "no 'y_train'"),
        (
            {"x_train": np.zeros((2, 784), np.uint8), "y_train": np.zeros(3)},
            "has 2 rows but 'y_train' has 3",
        ),
    ],
)
def test_bad_npz_raise(tmp_path, arrays, match):
    np.savez(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(DatasetCorruptError, match=match):
        data.load("mnist", data_dir=tmp_path, with_labels=True, as_numpy=True)


# --- CelebA folder and Omniglot chardata.mat ------------------------------------


def _write_celeba(folder, names_splits, attribute_names):
    import tensorflow as tf

    images = folder / "img_align_celeba"
    images.mkdir(parents=True)
    # White 140x140 center on black: after the center crop only white is left.
    image = np.zeros((218, 178, 3), np.uint8)
    image[39 : 39 + 140, 19 : 19 + 140] = 255
    encoded = tf.io.encode_jpeg(image, quality=100).numpy()
    partition, attributes = [], []
    for i, (name, split) in enumerate(names_splits):
        (images / name).write_bytes(encoded)
        partition.append(f"{name} {split}")
        values = ["1" if (i + j) % 2 else "-1" for j in range(len(attribute_names))]
        attributes.append(f"{name}  " + " ".join(values))
    (folder / "list_eval_partition.txt").write_text("\n".join(partition) + "\n")
    header = f"{len(names_splits)}\n" + " ".join(attribute_names) + " \n"
    (folder / "list_attr_celeba.txt").write_text(header + "\n".join(attributes))


def test_celeb_a_jpeg_folder_is_center_cropped_and_resized(tmp_path):
    names = [("000001.jpg", 0), ("000002.jpg", 1), ("000003.jpg", 1)]
    _write_celeba(tmp_path / "celeba", names, ["Smiling", "Bald", "Male"])
    x, y = data.load(
        "celeb_a", "validation", data_dir=tmp_path, with_labels=True, as_numpy=True
    )
    assert x.shape == (2, 64, 64, 3) and y.shape == (2, 3)
    assert x.min() > 0.9  # The black border was cropped away.
    # Attributes in alphabetical order (Bald, Male, Smiling), -1/1 -> 0/1.
    np.testing.assert_array_equal(y, [[0, 1, 1], [1, 0, 0]])
    x = data.load("celeb_a", "train", data_dir=tmp_path, as_numpy=True, image_size=32)
    assert x.shape == (1, 32, 32, 3)


def test_npz_for_celeb_a_and_omniglot_is_resized(tmp_path):
    faces = np.full((2, 128, 128, 3), 200, np.uint8)  # Already cropped.
    np.savez(tmp_path / "celeb_a.npz", x_test=faces)
    x = data.load("celeb_a", "test", data_dir=tmp_path, as_numpy=True)
    assert x.shape == (2, 64, 64, 3)
    np.testing.assert_allclose(x, 200 / 255, rtol=1e-5)
    strokes = np.zeros((3, 28, 28), np.float32)
    strokes[:, 10:18] = 1.0
    np.savez(tmp_path / "omniglot.npz", x_train=strokes, y_train=[0.0, 4.0, 9.0])
    x, y = data.load("omniglot", data_dir=tmp_path, with_labels=True, as_numpy=True)
    np.testing.assert_array_equal(x[..., 0], strokes)
    np.testing.assert_array_equal(y, [0, 4, 9])
    x = data.load("omniglot", data_dir=tmp_path, as_numpy=True, image_size=14)
    assert x.shape == (3, 14, 14, 1)
    np.testing.assert_allclose(x[0, 6:8, :, 0], 1.0)
    np.testing.assert_allclose(x[0, :4, :, 0], 0.0)


def test_omniglot_chardata_mat_orientation(tmp_path):
    sio = pytest.importorskip("scipy.io")
    image = np.zeros((28, 28), np.float32)
    image[2, :] = 1.0  # A horizontal stroke near the top.
    # IWAE's chardata.mat stores each image as a column in Fortran pixel order.
    column = image.reshape(-1, order="F")
    target = np.zeros((50, 2))
    target[[7, 3], [0, 1]] = 1.0
    sio.savemat(
        tmp_path / "chardata.mat",
        {"data": np.stack([column, column], 1), "target": target},
    )
    x, y = data.load("omniglot", data_dir=tmp_path, with_labels=True, as_numpy=True)
    assert x.shape == (2, 28, 28, 1)
    np.testing.assert_array_equal(x[0, ..., 0], image)
    np.testing.assert_array_equal(y, [7, 3])


# --- tensorflow-datasets, offline with mock_data --------------------------------


@pytest.mark.parametrize(
    "name,split,shape",
    [
        ("mnist", "train", (28, 28, 1)),
        ("fashion_mnist", "test", (28, 28, 1)),
        ("cifar10", "test", (32, 32, 3)),
        ("dynamic_binarized_mnist", "test", (28, 28, 1)),
    ],
)
def test_tfds_path_with_mock_data(tmp_path, name, split, shape):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=5):
        ds = data.load(
            name,
            split,
            download=False,
            tfds_data_dir=_tfds_dir(tmp_path),
            with_labels=True,
            batch_size=2,
        )
        batches = [(x.numpy(), y.numpy()) for x, y in ds]
    assert [b[0].shape for b in batches] == [(2,) + shape, (2,) + shape, (1,) + shape]
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert y.dtype == np.int32 and np.all((0 <= y) & (y < 10))


def test_tfds_binarized_mnist_is_binary(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=4):
        x = data.load(
            "binarized_mnist",
            "validation",
            download=False,
            tfds_data_dir=_tfds_dir(tmp_path),
            as_numpy=True,
        )
    assert x.shape == (4, 28, 28, 1)
    assert set(np.unique(x).tolist()) <= {0.0, 1.0}


def test_tfds_celeb_a_crop_and_attributes(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=3):
        x, y = data.load(
            "celeb_a",
            "test",
            download=False,
            tfds_data_dir=_tfds_dir(tmp_path),
            with_labels=True,
            as_numpy=True,
        )
    assert x.shape == (3, 64, 64, 3) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert y.shape == (3, 40) and set(np.unique(y).tolist()) <= {0, 1}


def test_tfds_omniglot_resized_and_inverted(tmp_path):
    import tensorflow as tf

    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=3):
        raw = next(iter(tfds.load("omniglot", split="train", download=False)))
        x, y = data.load(
            "omniglot",
            "train",
            download=False,
            tfds_data_dir=_tfds_dir(tmp_path),
            with_labels=True,
            as_numpy=True,
        )
    assert x.shape == (3, 28, 28, 1) and y.shape == (3,)
    # Independent reference: invert one channel, area-average 105 -> 28.
    grey = 1.0 - raw["image"].numpy()[..., :1].astype(np.float32) / 255.0
    area = tf.image.resize(grey, (28, 28), method="area").numpy()
    assert abs(float(x[0].mean()) - float(area.mean())) < 0.02
    assert np.all((0 <= y) & (y < 50))


# --- dynamic binarization -------------------------------------------------------


def _grey_npz(tmp_path, n=64, level=128):
    rng = np.random.default_rng(0)
    images = np.full((n, 28, 28), level, np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=images, y_train=rng.integers(0, 10, n))


def _epochs(dataset, count=2):
    # Each pass over the dataset is one epoch; stack unbatched elements.
    def one_pass():
        parts = [np.asarray(b) for b in dataset]
        return np.stack(parts) if parts[0].ndim == 3 else np.concatenate(parts)

    return [one_pass() for _ in range(count)]


@pytest.mark.parametrize("batch_size", [None, 16])
def test_dynamic_binarization_is_seeded_and_fresh_each_epoch(tmp_path, batch_size):
    _grey_npz(tmp_path)
    kwargs = dict(data_dir=tmp_path, batch_size=batch_size, shuffle=True, seed=7)
    first = _epochs(data.load("dynamic_binarized_mnist", **kwargs))
    again = _epochs(data.load("dynamic_binarized_mnist", **kwargs))
    other = _epochs(data.load("dynamic_binarized_mnist", **{**kwargs, "seed": 8}))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)  # Same seed, same epochs.
    assert not np.array_equal(first[0], first[1])  # Fresh pixels each epoch.
    assert not np.array_equal(first[0], other[0])
    for epoch in first:
        assert epoch.shape == (64, 28, 28, 1)
        assert set(np.unique(epoch).tolist()) == {0.0, 1.0}
        # Bernoulli(128/255) over 50176 pixels: sd about 0.0022.
        assert abs(epoch.mean() - 128 / 255) < 0.015


def test_dynamic_binarization_probability_follows_grey_level(tmp_path):
    levels = np.linspace(0, 255, 28).astype(np.uint8)
    images = np.broadcast_to(levels[None, :, None], (200, 28, 28)).copy()
    np.savez(tmp_path / "mnist.npz", x_test=images, y_test=np.arange(200) % 10)
    x, y = data.load(
        "dynamic_binarized_mnist",
        "test",
        data_dir=tmp_path,
        seed=1,
        with_labels=True,
        as_numpy=True,
    )
    np.testing.assert_array_equal(y, np.arange(200) % 10)
    frequency = x[..., 0].mean(axis=(0, 2))  # Per row, i.e. per grey level.
    # 5600 draws per level: sd <= 0.0067.
    np.testing.assert_allclose(frequency, levels / 255.0, atol=0.03)
    assert frequency[0] == 0.0 and frequency[-1] == 1.0


def test_dataset_trains_with_keras_fit(tmp_path):
    import keras

    _grey_npz(tmp_path, n=32)
    ds = data.load(
        "dynamic_binarized_mnist",
        data_dir=tmp_path,
        batch_size=8,
        seed=0,
        shuffle=True,
    )
    ds = ds.map(lambda x: (x, x))
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(784),
            keras.layers.Reshape((28, 28, 1)),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    # shuffle=False: Keras warns that it cannot shuffle a tf.data.Dataset.
    history = model.fit(ds, epochs=2, verbose=0, shuffle=False)
    assert np.all(np.isfinite(history.history["loss"]))


# --- vmf_circle -------------------------------------------------------------------


def test_vmf_circle_is_deterministic_with_the_documented_shape():
    x, labels, angles = data.make_vmf_circle(300, seed=3)
    x2, labels2, angles2 = data.make_vmf_circle(300, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(labels, labels2)
    np.testing.assert_array_equal(angles, angles2)
    assert x.shape == (300, 100) and x.dtype == np.float32
    assert set(labels.tolist()) == {0, 1, 2}
    assert np.all((0 <= angles) & (angles < 2 * np.pi))
    x3, _, _ = data.make_vmf_circle(300, seed=4)
    assert not np.allclose(x, x3)
    # Noise-free points lie on one fixed curve: equal angles, equal points.
    a, _, t = data.make_vmf_circle(5, seed=1, noise_std=0.0)
    b, _, s = data.make_vmf_circle(5, seed=1, noise_std=0.0, map_seed=1)
    np.testing.assert_array_equal(t, s)
    assert not np.allclose(a, b)  # Another map_seed, another map.


def test_vmf_circle_angles_form_three_von_mises_modes():
    kappa = 10.0
    _, labels, angles = data.make_vmf_circle(30000, seed=0, kappa=kappa)
    # Mean resultant length of a von Mises, by quadrature (independent of the
    # sampler): A(kappa) = int cos t e^{k cos t} / int e^{k cos t}.
    t = np.linspace(-np.pi, np.pi, 20001)
    weight = np.exp(kappa * (np.cos(t) - 1.0))
    expected_r = np.sum(np.cos(t) * weight) / np.sum(weight)
    for c in range(3):
        theta = angles[labels == c]
        assert abs(len(theta) / len(angles) - 1 / 3) < 0.02
        resultant = np.mean(np.exp(1j * theta))
        direction = np.angle(resultant * np.exp(-2j * np.pi * c / 3))
        assert abs(direction) < 0.02  # Mean angle 2 pi c / 3.
        assert abs(abs(resultant) - expected_r) < 0.01
    # Three modes: each mean direction is much denser than the midpoints.
    counts, edges = np.histogram(angles, bins=12, range=(0, 2 * np.pi))
    shifted = np.mod(angles + np.pi / 12, 2 * np.pi)  # Center bins on 0, 30, ...
    counts, _ = np.histogram(shifted, bins=12, range=(0, 2 * np.pi))
    peaks = counts[[0, 4, 8]]
    troughs = counts[[2, 6, 10]]
    assert peaks.min() > 20 * troughs.max()


def test_vmf_circle_clusters_survive_the_embedding():
    x, labels, _ = data.make_vmf_circle(3000, seed=0)
    centroids = np.stack([x[labels == c].mean(0) for c in range(3)])
    distances = ((x[:, None, :] - centroids[None]) ** 2).sum(-1)
    assert np.mean(distances.argmin(1) == labels) > 0.95


def test_vmf_circle_through_load(tmp_path):
    x, y = data.load("vmf_circle", "train", with_labels=True, as_numpy=True)
    ref, labels, _ = data.make_vmf_circle(10000, seed=(0, 0))
    np.testing.assert_array_equal(x, ref)
    np.testing.assert_array_equal(y, labels)
    test = data.load("vmf_circle", "test", as_numpy=True, num_samples=50)
    assert test.shape == (50, 100) and not np.allclose(test, ref[:50])
    ds = data.load("vmf_circle", "validation", batch_size=500, num_samples=1000)
    assert [b.shape for b in ds] == [(500, 100), (500, 100)]
    with pytest.raises(ValueError, match="kappa=-1"):
        data.make_vmf_circle(10, kappa=-1)


# --- the real datasets, when a copy is present ----------------------------------


def _real(folder):
    if not (REAL_DATA / folder).is_dir():
        pytest.skip(
            f"real data not found at {REAL_DATA / folder}; set KERAS_HSVAE_TEST_DATA "
            "to the folder holding mnist/, fashion-mnist/, binarized-mnist/"
        )
    return REAL_DATA


MNIST_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}


@pytest.mark.parametrize("split", ["train", "test"])
def test_real_mnist(split):
    root = _real("mnist")
    x, y = data.load("mnist", split, data_dir=root, with_labels=True, as_numpy=True)
    assert x.shape == (sum(MNIST_COUNTS[split]), 28, 28, 1)
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == MNIST_COUNTS[split]


def test_real_fashion_mnist_through_environment_variable(monkeypatch):
    root = _real("fashion-mnist")
    monkeypatch.setenv(data.ENV_VAR, str(root))
    x, y = data.load("fashion_mnist", "test", with_labels=True, as_numpy=True)
    assert x.shape == (10000, 28, 28, 1)
    assert np.bincount(y).tolist() == [1000] * 10
    assert 0.0 <= x.min() and x.max() == 1.0


@pytest.mark.parametrize(
    "split,count", [("train", 50000), ("validation", 10000), ("test", 10000)]
)
def test_real_binarized_mnist(split, count):
    root = _real("binarized-mnist")
    x = data.load("binarized_mnist", split, data_dir=root, as_numpy=True)
    assert x.shape == (count, 28, 28, 1)
    assert set(np.unique(x).tolist()) == {0.0, 1.0}
    assert 0.12 < x.mean() < 0.14  # README: about 13% of the pixels are 1.


def test_real_dynamic_binarized_mnist():
    root = _real("mnist")
    grey = data.load("mnist", "test", data_dir=root, as_numpy=True)
    ds = data.load("dynamic_binarized_mnist", "test", data_dir=root, batch_size=2000)
    ds = ds.take(1)  # One batch per epoch keeps this fast.
    first, second = _epochs(ds)
    assert first.shape == (2000, 28, 28, 1)
    assert not np.array_equal(first, second)
    # E[pixel] = grey level: compare the mean ink (about 0.13) of the batch.
    assert abs(first.mean() - grey[:2000].mean()) < 0.005
