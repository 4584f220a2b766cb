"""Readers for the original file formats, in numpy (no TensorFlow here).

Every reader checks what it can check cheaply (magic numbers, sizes against
headers, value ranges, image/label counts) and raises `DatasetCorruptError`
naming the file and the failed check. gzip members carry a CRC-32 that the
`gzip` module verifies while reading, so a bit flip in a `.gz` file is caught
too.
"""

import codecs
import gzip
import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from keras_hsvae._optional import import_optional
from keras_hsvae.data._errors import DatasetCorruptError

_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path):
    """Return the content of `path`, decompressed when it is gzip data.

    Compression is detected from the gzip magic bytes, not from the suffix.
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        # Truncated member, bad CRC-32 or length trailer, bad deflate stream.
        raise DatasetCorruptError(
            f"{path} is not a valid gzip file ({type(err).__name__}: {err}). "
            "Download it again."
        ) from err


# IDX type codes (third byte of the magic number) -> numpy big-endian dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path, ndim, shape_tail=None, max_value=None):
    """Read an IDX file (MNIST, Fashion-MNIST), gzipped or not.

    Args:
        path: the file.
        ndim: expected number of dimensions (3 for images, 1 for labels).
        shape_tail: expected sizes of all dimensions but the first, or None.
        max_value: if given, every value must be <= max_value (labels).

    Returns:
        A numpy array with the header's shape and dtype.
    """
    path = Path(path)
    data = read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DatasetCorruptError(
            f"{path} is not an IDX file: its first 4 bytes are {data[:4].hex()}, "
            "expected 0000 then a type code (08 for unsigned bytes) and the "
            "number of dimensions."
        )
    dtype = _IDX_DTYPES[data[2]]
    if data[3] != ndim:
        raise DatasetCorruptError(
            f"{path}: the IDX header says {data[3]} dimensions, expected {ndim} "
            f"(magic {data[:4].hex()}). Is this the right file?"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetCorruptError(f"{path}: truncated IDX header ({len(data)} bytes).")
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    if shape_tail is not None and dims[1:] != tuple(shape_tail):
        raise DatasetCorruptError(
            f"{path}: the IDX header gives shape {dims}, expected "
            f"(N, {', '.join(str(s) for s in shape_tail)})."
        )
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DatasetCorruptError(
            f"{path}: {len(data)} bytes after decompression, but the IDX header "
            f"(shape {dims}, {dtype.itemsize} byte(s) per value) implies "
            f"{expected}. The file is truncated or padded."
        )
    array = np.frombuffer(data, dtype, offset=header).reshape(dims)
    if max_value is not None and array.size and int(array.max()) > max_value:
        raise DatasetCorruptError(
            f"{path}: found the value {int(array.max())}, expected values in "
            f"0..{max_value}."
        )
    return array


_AMAT_PIXELS = 784


def read_amat(path):
    """Read a binarized-MNIST `.amat` file (gzipped or not) as (N, 784) uint8.

    The original files hold one image a line: 784 values `0`/`1` separated by
    single spaces. That exact layout is decoded directly from the bytes; any
    other whitespace layout falls back to a general text parser.
    """
    path = Path(path)
    data = read_bytes(path)
    line = 2 * _AMAT_PIXELS  # "d d d ... d\n": one digit and one separator each.
    raw = np.frombuffer(data, np.uint8)
    if raw.size and raw.size % line == 0:
        rows = raw.reshape(-1, line)
        seps = rows[:, 1::2]
        if np.all(seps[:, :-1] == ord(" ")) and np.all(seps[:, -1] == ord("\n")):
            pixels = rows[:, 0::2] - np.uint8(ord("0"))
            _check_binary(pixels, path)
            return pixels
    try:
        pixels = np.loadtxt(io.BytesIO(data), dtype=np.float64, ndmin=2)
    except ValueError as err:
        raise DatasetCorruptError(
            f"{path}: cannot parse as a text matrix of 0/1 values ({err})."
        ) from err
    if pixels.shape[1] != _AMAT_PIXELS:
        raise DatasetCorruptError(
            f"{path}: rows have {pixels.shape[1]} values, expected {_AMAT_PIXELS} "
            "(28x28 pixels)."
        )
    _check_binary(pixels, path)
    return pixels.astype(np.uint8)


def _check_binary(pixels, path):
    if not np.all((pixels == 0) | (pixels == 1)):
        bad = np.unique(pixels[(pixels != 0) & (pixels != 1)])[:5]
        raise DatasetCorruptError(
            f"{path}: binarized MNIST must hold only 0 and 1; found {bad.tolist()}."
        )


# CIFAR-10 python batches are pickles; only these globals may be loaded.
_RECONSTRUCT = np.zeros(1).__reduce__()[0]
_CIFAR_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # Protocol-2 pickles written by Python 3 encode bytes objects this way.
    ("_codecs", "encode"): codecs.encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that can build numpy arrays and builtins, and nothing else.

    Pickle can run arbitrary code; CIFAR-10 batches only need ndarray
    reconstruction, so every other global is refused.
    """

    def find_class(self, module, name):
        try:
            return _CIFAR_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load the global {module}.{name} from a CIFAR-10 batch"
            ) from None


CIFAR10_BATCHES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}


def _decode_cifar_batch(blob, where):
    try:
        batch = _RestrictedUnpickler(io.BytesIO(blob), encoding="bytes").load()
        data = batch.get(b"data", batch.get("data"))
        labels = batch.get(b"labels", batch.get("labels"))
    except Exception as err:  # Any unpickling failure means a bad file.
        raise DatasetCorruptError(
            f"{where}: not a CIFAR-10 python batch ({type(err).__name__}: {err})."
        ) from err
    data = np.asarray(data)
    labels = np.asarray(labels)
    if data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8:
        raise DatasetCorruptError(
            f"{where}: `data` has shape {data.shape} and dtype {data.dtype}, "
            "expected (N, 3072) uint8."
        )
    if labels.shape != (data.shape[0],) or labels.size and labels.max() > 9:
        raise DatasetCorruptError(
            f"{where}: expected {data.shape[0]} labels in 0..9, got shape "
            f"{labels.shape}."
        )
    # Rows are channel-major: 1024 red, 1024 green, 1024 blue values.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.int32)


def read_cifar10(path, split):
    """Read a CIFAR-10 split from the python tarball or a folder of batches.

    Args:
        path: `cifar-10-python.tar.gz`, or a folder holding `data_batch_1` ...
            `data_batch_5` and `test_batch`.
        split: `"train"` or `"test"`.

    Returns:
        `(images, labels)`: (N, 32, 32, 3) uint8 and (N,) int32.
    """
    path = Path(path)
    names = CIFAR10_BATCHES[split]
    parts = []
    if path.is_dir():
        for name in names:
            parts.append(_decode_cifar_batch((path / name).read_bytes(), path / name))
    else:
        try:
            with tarfile.open(path, "r:*") as tar:
                members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
                for name in names:
                    if name not in members:
                        raise DatasetCorruptError(
                            f"{path}: the archive has no member named {name!r}."
                        )
                    blob = tar.extractfile(members[name]).read()
                    parts.append(_decode_cifar_batch(blob, f"{path}:{name}"))
        except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
            raise DatasetCorruptError(
                f"{path} is not a readable tar archive ({type(err).__name__}: {err})."
            ) from err
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return images, labels


NPZ_KEYS = {
    "train": ("train",),
    "validation": ("validation", "valid", "val"),
    "test": ("test",),
}


def read_npz(path, split, need_labels):
    """Read `x_<split>` (and `y_<split>`) from a generic `.npz` archive.

    The validation split may be stored as `x_validation`, `x_valid` or
    `x_val`. Pickled objects are refused.

    Returns:
        `(images, labels)`; `labels` is None when not needed.
    """
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zlib.error) as err:
        raise DatasetCorruptError(
            f"{path}: not a readable .npz archive ({type(err).__name__}: {err})."
        ) from err
    with archive:
        keys = set(archive.files)
        for suffix in NPZ_KEYS[split]:
            if f"x_{suffix}" in keys:
                break
        else:
            raise DatasetCorruptError(
                f"{path}: no array for split {split!r}; expected one of "
                f"{[f'x_{s}' for s in NPZ_KEYS[split]]}, found {sorted(keys)}."
            )
        images = archive[f"x_{suffix}"]
        labels = None
        if need_labels:
            if f"y_{suffix}" not in keys:
                raise DatasetCorruptError(
                    f"{path}: labels were requested but the archive has no "
                    f"'y_{suffix}' (found {sorted(keys)})."
                )
            labels = archive[f"y_{suffix}"]
            if labels.shape[:1] != images.shape[:1]:
                raise DatasetCorruptError(
                    f"{path}: 'x_{suffix}' has {images.shape[0]} rows but "
                    f"'y_{suffix}' has {labels.shape[0] if labels.ndim else 0}."
                )
    return images, labels


def read_omniglot_mat(path, split, need_labels):
    """Read the 28x28 Omniglot of Burda et al. (IWAE) from `chardata.mat`.

    The file stores images as columns (784, N) in column-major (Fortran)
    pixel order, as the IWAE code reads them; `target` / `testtarget` are
    one-hot alphabet indicators (50, N), returned as alphabet indices.

    Returns:
        `(images, labels)`: (N, 28, 28) float32 in [0, 1] with ink = 1, and
        (N,) int32 alphabet indices or None.
    """
    loadmat = import_optional(
        "scipy.io",
        f"Reading {path}",
        hint="or convert it to omniglot.npz (x_train, y_train, x_test, y_test)",
    ).loadmat
    path = Path(path)
    key, target = ("data", "target") if split == "train" else ("testdata", "testtarget")
    try:
        mat = loadmat(path)
        data = np.asarray(mat[key], dtype=np.float32)
    except Exception as err:  # scipy raises several unrelated types here.
        raise DatasetCorruptError(
            f"{path}: cannot read {key!r} from the .mat file "
            f"({type(err).__name__}: {err})."
        ) from err
    if data.ndim != 2 or data.shape[0] != 784:
        raise DatasetCorruptError(
            f"{path}: {key!r} has shape {data.shape}, expected (784, N)."
        )
    images = data.T.reshape(-1, 28, 28).transpose(0, 2, 1)  # Fortran pixel order.
    labels = None
    if need_labels:
        if target not in mat:
            raise DatasetCorruptError(f"{path}: no {target!r} array for the labels.")
        labels = np.argmax(np.asarray(mat[target]), axis=0).astype(np.int32)
    return np.ascontiguousarray(images), labels


CELEBA_SPLITS = {"train": 0, "validation": 1, "test": 2}


def read_celeba_lists(folder, image_dir, split, need_labels):
    """Read the CelebA split list (and attributes) for a folder of JPEGs.

    Args:
        folder: the CelebA folder holding `list_eval_partition.txt` (directly
            or in `Eval/`) and `list_attr_celeba.txt` (directly or in
            `Anno/`).
        image_dir: the folder holding `000001.jpg` ... .
        split: `"train"`, `"validation"` or `"test"`.
        need_labels: whether to read the attributes.

    Returns:
        `(paths, attributes)`: a list of file paths and an (N, 40) int32 0/1
        array with the attributes in alphabetical order (as in tfds), or None.
    """
    folder = Path(folder)
    partition = _first_existing(folder, ("list_eval_partition.txt",), ("", "Eval"))
    wanted = CELEBA_SPLITS[split]
    names = []
    for line in partition.read_text().split("\n"):
        fields = line.split()
        if len(fields) == 2 and int(fields[1]) == wanted:
            names.append(fields[0])
    paths = [str(Path(image_dir) / n) for n in names]
    if not need_labels:
        return paths, None
    attr_file = _first_existing(folder, ("list_attr_celeba.txt",), ("", "Anno"))
    if attr_file is None:
        raise DatasetCorruptError(
            f"{folder}: labels were requested but list_attr_celeba.txt is missing "
            "(looked in the folder and in Anno/)."
        )
    lines = attr_file.read_text().split("\n")
    columns = lines[1].split()
    rows = {}
    for line in lines[2:]:
        fields = line.split()
        if len(fields) == len(columns) + 1:
            rows[fields[0]] = [int(v) > 0 for v in fields[1:]]
    order = np.argsort(columns)
    missing = [n for n in names if n not in rows]
    if missing:
        raise DatasetCorruptError(
            f"{attr_file}: no attributes for {len(missing)} image(s), e.g. "
            f"{missing[0]!r}."
        )
    attributes = np.asarray([rows[n] for n in names], dtype=np.int32)
    return paths, attributes.reshape(len(names), len(columns))[:, order]


def _first_existing(folder, names, subdirs):
    for sub in subdirs:
        for name in names:
            candidate = Path(folder) / sub / name
            if candidate.is_file():
                return candidate
    return None
