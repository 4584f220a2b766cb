"""Where each dataset's files are looked for, how they are read and finished.

A `_Spec` describes one dataset name: its splits, final image shape, local
folder names and file layouts (`_Format`), its tensorflow-datasets name and
options. `find_source` returns a `_Source`: raw images (numpy arrays held in
memory, or a streamed `tf.data.Dataset`) plus the batch-agnostic TensorFlow
map that turns raw images into float32 in [0, 1].

Search order: local files under `data_dir=`, then under `$KERAS_HSVAE_DATA`;
in each root the dataset's own sub-folder (`mnist/`, `fashion-mnist/`,
`binarized-mnist/`, `cifar10/`, ...) first, then the root itself; in each
folder the original formats first, then a generic `<name>.npz` (`x_train`,
`y_train`, `x_test`, `y_test`, and `x_validation`/`x_valid`/`x_val` with its
`y_` for a validation split); finally
`tfds.load(tfds_name, split=..., data_dir=tfds_data_dir, download=download)`,
with `download=False` whenever `data_dir=` is given (a named folder is never
replaced by a download; a missing one is an error at once).
If every source fails, one `DatasetNotFoundError` lists what was tried.
"""

import dataclasses
import os
from pathlib import Path

import numpy as np

from keras_hsvae._optional import import_optional
from keras_hsvae.data import _formats
from keras_hsvae.data._errors import DatasetCorruptError, DatasetNotFoundError
from keras_hsvae.data._synthetic import make_vmf_circle

ENV_VAR = "KERAS_HSVAE_DATA"


@dataclasses.dataclass(frozen=True)
class _Format:
    """One local file layout: named roles, each with candidate relative paths."""

    description: str
    roles: object  # (split, need_labels) -> dict role -> tuple of candidates
    reader: object  # (found paths dict, spec, split, need_labels, options) -> source

    def find(self, folder, split, need_labels):
        found = {}
        for role, candidates in self.roles(split, need_labels).items():
            for candidate in candidates:
                path = folder / candidate
                if path.exists():
                    found[role] = path
                    break
            else:
                return None
        return found

    def describe(self, split, need_labels):
        roles = self.roles(split, need_labels).values()
        return " + ".join(" or ".join(c) for c in roles)


@dataclasses.dataclass(frozen=True)
class _Spec:
    """Everything `load` needs to know about one dataset name."""

    name: str
    description: str
    splits: tuple
    image_shape: tuple
    has_labels: bool
    folders: tuple = ()
    formats: tuple = ()
    tfds_name: str = ""
    tfds_splits: dict = dataclasses.field(default_factory=dict)
    options: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Source:
    """Raw elements plus the (batch-agnostic) map that finishes them.

    `images`/`labels` are numpy arrays for in-memory sources; `dataset` is a
    `tf.data.Dataset` of dicts with an `"image"` (and `"label"`) entry for
    streamed ones. `finish(images)` maps raw images (one image or a batch) to
    float32 in [0, 1] with the dataset's final shape.
    """

    origin: str
    finish: object
    images: object = None
    labels: object = None
    dataset: object = None
    select: object = None


# --- per-image finishing maps (TensorFlow, work on one image or a batch) ----


def _to_unit(images):
    tf = import_optional("tensorflow", "keras_hsvae.data")

    if images.dtype == tf.uint8:
        return tf.cast(images, tf.float32) / 255.0
    return tf.cast(images, tf.float32)


def _binary(images):
    tf = import_optional("tensorflow", "keras_hsvae.data")

    # Sources store 0/1 (tfds, .amat) or 0/255; any positive value is ink.
    return tf.cast(images > 0, tf.float32)


def _center_crop(images, size):
    tf = import_optional("tensorflow", "keras_hsvae.data")

    shape = tf.shape(images)
    height, width = shape[-3], shape[-2]
    side = tf.minimum(size, tf.minimum(height, width))
    top = (height - side) // 2
    left = (width - side) // 2
    return images[..., top : top + side, left : left + side, :]


def _resize(images, size):
    tf = import_optional("tensorflow", "keras_hsvae.data")

    images = tf.image.resize(images, (size, size), method="bilinear", antialias=True)
    # The antialiased bilinear (triangle) filter has no negative lobe; the clip
    # only removes float rounding beyond [0, 1].
    return tf.clip_by_value(images, 0.0, 1.0)


def _celeb_a_finish(crop_size, image_size):
    def finish(images):
        return _resize(_to_unit(_center_crop(images, crop_size)), image_size)

    return finish


def _omniglot_tfds_finish(image_size):
    def finish(images):
        # tfds Omniglot: 105x105 RGB, three equal channels, white background;
        # keep one channel and invert so that ink = 1 as in MNIST.
        grey = 1.0 - _to_unit(images[..., :1])
        return _resize(grey, image_size)

    return finish


def _resize_if_needed(image_size):
    def finish(images):
        images = _to_unit(images)
        if images.shape[-2] == image_size and images.shape[-3] == image_size:
            return images
        return _resize(images, image_size)

    return finish


# --- local file layouts -----------------------------------------------------


def _idx_names(split, need_labels):
    prefix = "train" if split == "train" else "t10k"
    roles = {
        "images": (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-images-idx3-ubyte")
    }
    if need_labels:
        roles["labels"] = (
            f"{prefix}-labels-idx1-ubyte.gz",
            f"{prefix}-labels-idx1-ubyte",
        )
    return roles


def _read_idx_source(found, spec, split, need_labels, options):
    images = _formats.read_idx(found["images"], 3, shape_tail=(28, 28))
    labels = None
    if need_labels:
        labels = _formats.read_idx(found["labels"], 1, max_value=9)
        if labels.shape[0] != images.shape[0]:
            raise DatasetCorruptError(
                f"{found['images']} holds {images.shape[0]} images but "
                f"{found['labels']} holds {labels.shape[0]} labels."
            )
        labels = labels.astype(np.int32)
    return _Source(
        origin=str(found["images"].parent),
        finish=_to_unit,
        images=images[..., None],
        labels=labels,
    )


def _amat_names(split, need_labels):
    short = {"train": "train", "validation": "valid", "test": "test"}[split]
    return {
        "data": (f"binarized_mnist_{short}.amat.gz", f"binarized_mnist_{short}.amat")
    }


def _read_amat_source(found, spec, split, need_labels, options):
    pixels = _formats.read_amat(found["data"])
    return _Source(
        origin=str(found["data"]),
        finish=_binary,
        images=pixels.reshape(-1, 28, 28, 1),
    )


def _cifar_names(layout):
    def roles(split, need_labels):
        if layout == "tar":
            return {"archive": ("cifar-10-python.tar.gz",)}
        prefix = "cifar-10-batches-py/" if layout == "folder" else ""
        return {b: (prefix + b,) for b in _formats.CIFAR10_BATCHES[split]}

    return roles


def _read_cifar_source(found, spec, split, need_labels, options):
    path = found.get("archive") or next(iter(found.values())).parent
    images, labels = _formats.read_cifar10(path, split)
    return _Source(
        origin=str(path),
        finish=_to_unit,
        images=images,
        labels=labels if need_labels else None,
    )


def _celeb_a_names(split, need_labels):
    roles = {
        "partition": ("list_eval_partition.txt", "Eval/list_eval_partition.txt"),
        "images": ("img_align_celeba/img_align_celeba", "img_align_celeba"),
    }
    if need_labels:
        roles["attributes"] = ("list_attr_celeba.txt", "Anno/list_attr_celeba.txt")
    return roles


def _read_celeb_a_source(found, spec, split, need_labels, options):
    tf = import_optional("tensorflow", "keras_hsvae.data")

    folder = found["partition"].parent
    if folder.name == "Eval":
        folder = folder.parent
    paths, attributes = _formats.read_celeba_lists(
        folder, found["images"], split, need_labels
    )
    if not paths:
        raise DatasetCorruptError(
            f"{found['partition']} lists no image for split {split!r}."
        )
    crop_size = options["crop_size"]
    elements = {"path": paths}
    if need_labels:
        elements["label"] = attributes

    def decode(element):
        image = tf.io.decode_jpeg(tf.io.read_file(element["path"]), channels=3)
        # Crop per image (sizes may differ) so that elements can be batched.
        out = {"image": _center_crop(image, crop_size)}
        if need_labels:
            out["label"] = element["label"]
        return out

    dataset = tf.data.Dataset.from_tensor_slices(elements).map(
        decode, num_parallel_calls=tf.data.AUTOTUNE
    )
    return _Source(
        origin=str(found["images"]),
        finish=_celeb_a_finish(crop_size, options["image_size"]),
        dataset=dataset,
    )


def _omniglot_mat_names(split, need_labels):
    return {"mat": ("chardata.mat",)}


def _read_omniglot_mat_source(found, spec, split, need_labels, options):
    images, labels = _formats.read_omniglot_mat(found["mat"], split, need_labels)
    return _Source(
        origin=str(found["mat"]),
        finish=_resize_if_needed(options["image_size"]),
        images=images[..., None],
        labels=labels,
    )


def _npz_names(npz_name):
    def roles(split, need_labels):
        return {"npz": (f"{npz_name}.npz",)}

    return roles


def _read_npz_source(found, spec, split, need_labels, options):
    path = found["npz"]
    images, labels = _formats.read_npz(path, split, need_labels)
    images = _standardize_npz_images(images, spec, path, options)
    if labels is not None:
        labels = np.asarray(labels)
        integral = np.issubdtype(labels.dtype, np.integer) or (
            np.issubdtype(labels.dtype, np.floating)
            and np.all(np.isfinite(labels))
            and np.all(labels == np.round(labels))
        )
        if not integral:
            raise DatasetCorruptError(
                f"{path}: labels must be integers; found dtype {labels.dtype}."
            )
        labels = labels.astype(np.int32)
    if spec.name == "binarized_mnist":
        finish = _binary
    elif spec.name == "celeb_a":
        # Raw 218x178 faces are cropped then resized; smaller (already
        # cropped) images are only resized, since the crop keeps the center
        # square of side min(crop_size, height, width).
        finish = _celeb_a_finish(options["crop_size"], options["image_size"])
    elif spec.name == "omniglot":
        finish = _resize_if_needed(options["image_size"])
    else:
        finish = _to_unit
    return _Source(origin=str(path), finish=finish, images=images, labels=labels)


def _standardize_npz_images(images, spec, path, options):
    """Reshape `.npz` images to (N, H, W, C) and check their values."""
    images = np.asarray(images)
    if images.dtype == np.bool_:
        images = images.astype(np.uint8)
    if images.dtype != np.uint8:
        if not np.issubdtype(images.dtype, np.floating):
            raise DatasetCorruptError(
                f"{path}: images must be uint8 (0..255) or float in [0, 1]; found "
                f"dtype {images.dtype}."
            )
        images = images.astype(np.float32)
        if images.size and not (images.min() >= 0.0 and images.max() <= 1.0):
            raise DatasetCorruptError(
                f"{path}: float images must lie in [0, 1]; found values in "
                f"[{images.min()}, {images.max()}]."
            )
    expected = spec.image_shape
    n = images.shape[0]
    if spec.name == "celeb_a":
        if images.ndim != 4 or images.shape[-1] != 3:
            raise DatasetCorruptError(
                f"{path}: CelebA images must have shape (N, H, W, 3); found "
                f"{images.shape}."
            )
        return images
    if images.ndim == 2 and images.shape[1] == int(np.prod(expected)):
        images = images.reshape((n,) + expected)  # Flattened rows.
    elif images.ndim == len(expected) and expected[-1] == 1:
        images = images[..., None]  # (N, H, W) without the channel axis.
    if images.shape[1:] != expected:
        raise DatasetCorruptError(
            f"{path}: images for {spec.name!r} must have shape (N, "
            f"{', '.join(map(str, expected))}) or a flattened/channel-less "
            f"equivalent; found {images.shape}."
        )
    if spec.name == "binarized_mnist":
        values = np.unique(images)
        if not (set(values.tolist()) <= {0, 1} or set(values.tolist()) <= {0, 255}):
            raise DatasetCorruptError(
                f"{path}: binarized MNIST must hold only 0 and 1 (or 0 and 255); "
                f"found {values[:5].tolist()}."
            )
    return images


_IDX = (
    _Format(
        "IDX files (optionally .gz)",
        _idx_names,
        _read_idx_source,
    ),
)
_OPTIONS_IMAGE = {"crop_size": 140, "image_size": 64}
_MNIST_SPLITS = {"train": "train", "test": "test"}


def _npz(name):
    return _Format(
        "generic .npz (x_<split>, y_<split>)", _npz_names(name), _read_npz_source
    )


SPECS = {
    spec.name: spec
    for spec in (
        _Spec(
            name="mnist",
            description="MNIST digits, 28x28x1 grey levels; labels 0-9.",
            splits=("train", "test"),
            image_shape=(28, 28, 1),
            has_labels=True,
            folders=("mnist",),
            formats=_IDX + (_npz("mnist"),),
            tfds_name="mnist",
            tfds_splits=_MNIST_SPLITS,
        ),
        _Spec(
            name="fashion_mnist",
            description="Fashion-MNIST, 28x28x1 grey levels; labels 0-9.",
            splits=("train", "test"),
            image_shape=(28, 28, 1),
            has_labels=True,
            folders=("fashion-mnist", "fashion_mnist"),
            formats=_IDX + (_npz("fashion_mnist"),),
            tfds_name="fashion_mnist",
            tfds_splits=_MNIST_SPLITS,
        ),
        _Spec(
            name="binarized_mnist",
            description="Static binarized MNIST (Larochelle), 28x28x1 in {0, 1}; "
            "no labels.",
            splits=("train", "validation", "test"),
            image_shape=(28, 28, 1),
            has_labels=False,
            folders=("binarized-mnist", "binarized_mnist"),
            formats=(
                _Format(
                    "Larochelle .amat text (optionally .gz)",
                    _amat_names,
                    _read_amat_source,
                ),
                _npz("binarized_mnist"),
            ),
            tfds_name="binarized_mnist",
            tfds_splits={"train": "train", "validation": "validation", "test": "test"},
        ),
        _Spec(
            name="dynamic_binarized_mnist",
            description="MNIST with a fresh seeded Bernoulli draw of every pixel "
            "each epoch, 28x28x1 in {0, 1}; labels 0-9.",
            splits=("train", "test"),
            image_shape=(28, 28, 1),
            has_labels=True,
            folders=("mnist",),
            formats=_IDX + (_npz("mnist"),),
            tfds_name="mnist",
            tfds_splits=_MNIST_SPLITS,
        ),
        _Spec(
            name="cifar10",
            description="CIFAR-10, 32x32x3; labels 0-9.",
            splits=("train", "test"),
            image_shape=(32, 32, 3),
            has_labels=True,
            folders=("cifar10", "cifar-10"),
            formats=(
                _Format(
                    "CIFAR-10 python tarball", _cifar_names("tar"), _read_cifar_source
                ),
                _Format(
                    "CIFAR-10 python batches",
                    _cifar_names("folder"),
                    _read_cifar_source,
                ),
                _Format(
                    "CIFAR-10 python batches", _cifar_names("flat"), _read_cifar_source
                ),
                _npz("cifar10"),
            ),
            tfds_name="cifar10",
            tfds_splits=_MNIST_SPLITS,
        ),
        _Spec(
            name="celeb_a",
            description="CelebA aligned faces, 140x140 center crop resized to "
            "64x64x3; labels: the 40 binary attributes in alphabetical order.",
            splits=("train", "validation", "test"),
            image_shape=(64, 64, 3),
            has_labels=True,
            folders=("celeb_a", "celeba", "CelebA"),
            formats=(
                _Format("CelebA JPEG folder", _celeb_a_names, _read_celeb_a_source),
                _npz("celeb_a"),
            ),
            tfds_name="celeb_a",
            tfds_splits={"train": "train", "validation": "validation", "test": "test"},
            options=_OPTIONS_IMAGE,
        ),
        _Spec(
            name="omniglot",
            description="Omniglot characters, 28x28x1 grey levels with ink = 1; "
            "labels: alphabet index.",
            splits=("train", "test"),
            image_shape=(28, 28, 1),
            has_labels=True,
            folders=("omniglot",),
            formats=(
                _Format(
                    "IWAE chardata.mat", _omniglot_mat_names, _read_omniglot_mat_source
                ),
                _npz("omniglot"),
            ),
            tfds_name="omniglot",
            tfds_splits={"train": "train", "test": "test"},
            options={"image_size": 28},
        ),
        _Spec(
            name="vmf_circle",
            description="Synthetic: three vMF clusters on S^1 mapped non-linearly "
            "into R^100 plus noise (S-VAE 5.1); labels: cluster index.",
            splits=("train", "validation", "test"),
            image_shape=(100,),
            has_labels=True,
            options={
                "num_samples": None,
                "kappa": 10.0,
                "noise_std": 0.1,
                "ambient_dim": 100,
                "data_seed": 0,
                "map_seed": 0,
            },
        ),
    )
}

_VMF_CIRCLE_SIZES = {"train": 10000, "validation": 2000, "test": 2000}


def _roots(data_dir):
    """The local roots to search, with a label saying where each came from."""
    roots = []
    if data_dir is not None:
        roots.append((Path(data_dir).expanduser(), "data_dir argument"))
    env = os.environ.get(ENV_VAR)
    if env:
        roots.append((Path(env).expanduser(), f"${ENV_VAR}"))
    return roots


def find_source(
    spec, split, need_labels, data_dir, download, shuffle, seed, tfds_data_dir, options
):
    if spec.name == "vmf_circle":
        return _vmf_circle_source(split, need_labels, options)
    if data_dir is not None:
        # A named folder is where the data is: never a download instead (an
        # offline download retries for minutes and leaves partial files).
        if not Path(data_dir).expanduser().is_dir():
            raise DatasetNotFoundError(
                _missing_folder_message(
                    spec, split, need_labels, data_dir, tfds_data_dir
                )
            )
        download = False
    roots = _roots(data_dir)
    for root, _ in roots:
        for folder in [root / sub for sub in spec.folders] + [root]:
            if not folder.is_dir():
                continue
            for fmt in spec.formats:
                found = fmt.find(folder, split, need_labels)
                if found is not None:
                    return fmt.reader(found, spec, split, need_labels, options)
    try:
        return _tfds_source(
            spec, split, download, shuffle, seed, tfds_data_dir, options
        )
    except Exception as err:  # tfds raises many types; all mean "not available".
        tfds_error = err
    raise DatasetNotFoundError(
        _not_found_message(
            spec, split, need_labels, roots, download, tfds_data_dir, tfds_error
        )
    ) from tfds_error


def _expected_files(spec, split, need_labels):
    """The folders and the lines describing the local files of a split."""
    folders = ", ".join(f"{sub}/" for sub in spec.folders)
    files = [
        f"    - {fmt.description}: {fmt.describe(split, need_labels)}"
        for fmt in spec.formats
    ]
    return folders, files


def _provide_line(download):
    return (
        f"To provide the data: put the files in a folder and pass data_dir=... or "
        f"set {ENV_VAR}=<folder>"
        + ("." if download else ", or call load(..., download=True) (needs network).")
    )


def _missing_folder_message(spec, split, need_labels, data_dir, tfds_data_dir):
    folders, files = _expected_files(spec, split, need_labels)
    where = tfds_data_dir if tfds_data_dir is not None else "its default folder"
    lines = [
        f"`data_dir` is not a folder: {os.fspath(data_dir)} does not exist "
        f"(dataset {spec.name!r}, split {split!r}). Received: data_dir="
        f"{os.fspath(data_dir)!r}",
        f"Local files would be, under {folders} or directly in that folder:",
        *files,
        "A named data_dir is never replaced by a download; without data_dir, "
        f"tensorflow-datasets is tried: tfds.load({spec.tfds_name!r}, "
        f"split={spec.tfds_splits.get(split, split)!r}, download=False) in {where}.",
        _provide_line(False),
    ]
    return "\n".join(lines)


def _not_found_message(spec, split, need_labels, roots, download, tfds_data_dir, err):
    folders, files = _expected_files(spec, split, need_labels)
    lines = [f"Dataset {spec.name!r} (split {split!r}) was not found."]
    if roots:
        lines.append("Local files looked for:")
        for root, origin in roots:
            state = "" if root.is_dir() else " (folder does not exist)"
            lines.append(
                f"  in {root} ({origin}){state}, under {folders} then directly:"
            )
            lines.extend(files)
    else:
        lines.append(
            f"No local folder to search: data_dir=None and ${ENV_VAR} is not set. "
            f"Local files would be, under {folders} or directly in that folder:"
        )
        lines.extend(files)
    where = tfds_data_dir if tfds_data_dir is not None else "its default folder"
    lines.append(
        f"tensorflow-datasets: tfds.load({spec.tfds_name!r}, "
        f"split={spec.tfds_splits[split]!r}, download={download}) in {where} "
        f"failed: {type(err).__name__}: {_first_line(err)}"
    )
    lines.append(_provide_line(download))
    return "\n".join(lines)


def _first_line(err):
    text = str(err).strip().split("\n")[0]
    return text[:300] if text else "(no message)"


def _tfds_source(spec, split, download, shuffle, seed, data_dir, options):
    tfds = import_optional(
        "tensorflow_datasets",
        f"keras_hsvae.data.load({spec.name!r}) without local files",
    )
    read_config = tfds.ReadConfig(shuffle_seed=seed) if shuffle else None
    dataset = tfds.load(
        spec.tfds_name,
        split=spec.tfds_splits[split],
        data_dir=None if data_dir is None else str(data_dir),
        download=download,
        shuffle_files=shuffle,
        read_config=read_config,
    )
    if spec.name == "celeb_a":
        finish = _celeb_a_finish(options["crop_size"], options["image_size"])
    elif spec.name == "omniglot":
        finish = _omniglot_tfds_finish(options["image_size"])
    elif spec.name == "binarized_mnist":
        finish = _binary
    else:
        finish = _to_unit
    select = None
    if spec.name == "celeb_a":
        select = _celeb_a_attributes
    elif spec.name == "omniglot":
        select = _omniglot_alphabet
    return _Source(
        origin=f"tensorflow-datasets {spec.tfds_name!r}",
        finish=finish,
        dataset=dataset,
        select=select,
    )


def _celeb_a_attributes(element):
    tf = import_optional("tensorflow", "keras_hsvae.data")

    attributes = element["attributes"]
    return tf.stack([tf.cast(attributes[k], tf.int32) for k in sorted(attributes)], -1)


def _omniglot_alphabet(element):
    return element["alphabet"]


def _vmf_circle_source(split, need_labels, options):
    num_samples = options["num_samples"] or _VMF_CIRCLE_SIZES[split]
    x, labels, _ = make_vmf_circle(
        num_samples,
        kappa=options["kappa"],
        ambient_dim=options["ambient_dim"],
        noise_std=options["noise_std"],
        seed=(options["data_seed"], ("train", "validation", "test").index(split)),
        map_seed=options["map_seed"],
    )
    return _Source(
        origin="make_vmf_circle",
        finish=_to_unit,
        images=x,
        labels=labels if need_labels else None,
    )
