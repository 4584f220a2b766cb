"""Presets: trained models saved as `config.json` + weights + metadata.

A preset is a folder with three files:

- `config.json`: the model's Keras serialization
  (`keras.saving.serialize_keras_object(model)`);
- `model.weights.h5`: `model.save_weights(...)`;
- `metadata.json`: library, Keras and backend versions, the model class, its
  parameter count, the sha256 and size of the weights file, the training
  command and the final metrics.

`load_preset(preset)` takes a built-in name of `PRESETS` or a folder path.
A name resolves to `<zoo>/<name>/` where `<zoo>` is `$KERAS_HSVAE_ZOO` or the
`zoo/` folder of a repository checkout (beside the package); when that folder
is absent the three files are downloaded from the preset's versioned `url`
(`$KERAS_HSVAE_PRESET_URL` replaces the base URL) with `keras.utils.get_file`
into the Keras cache (`$KERAS_HSVAE_CACHE_DIR`, else `$KERAS_HOME` or
`~/.keras`). The weights are checked against the sha256 of the metadata
before anything is loaded.

The models also expose this as a classmethod, `SVAE.from_preset(name)`.
"""

import hashlib
import json
import os
from pathlib import Path

import keras

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
PRESET_FILES = (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE)

ZOO_ENV_VAR = "KERAS_HSVAE_ZOO"
URL_ENV_VAR = "KERAS_HSVAE_PRESET_URL"
CACHE_ENV_VAR = "KERAS_HSVAE_CACHE_DIR"

# Versioned location of the released presets: `<BASE_URL>/<name>/<file>`.
PRESETS_VERSION = "v1"
BASE_URL = f"https://storage.googleapis.com/keras-hsvae/presets/{PRESETS_VERSION}"

# Built-in presets. `params` is the model's parameter count; each entry is
# checked against its `zoo/<name>/metadata.json` by `zoo/build_presets.py`
# and by the tests.
PRESETS = {
    "svae_mnist_10d": {
        "description": (
            "S-VAE (vMF posterior, uniform prior on S^9), MLP 784-256-128 "
            "encoder and mirrored decoder, Bernoulli likelihood; statically "
            "binarized MNIST, 10 epochs."
        ),
        "model": "SVAE",
        "params": 471196,
        "dataset": "binarized_mnist",
        "path": "zoo/svae_mnist_10d",
        "url": f"{BASE_URL}/svae_mnist_10d",
    },
}


def _zoo_dir():
    env = os.environ.get(ZOO_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[1] / "zoo"


def sha256_of_file(path):
    """The hex sha256 digest of the file at `path`.

    Args:
        path: a file path.

    Returns:
        A string of 64 hex digits.

    Example:

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "empty")
    >>> _ = open(path, "wb").close()
    >>> sha256_of_file(path)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(name):
    base = os.environ.get(URL_ENV_VAR)
    url = f"{base.rstrip('/')}/{name}" if base else PRESETS[name]["url"]
    cache_dir = os.environ.get(CACHE_ENV_VAR) or None
    if cache_dir:
        # `get_file` silently falls back to /tmp/.keras for a missing folder.
        os.makedirs(cache_dir, exist_ok=True)
    subdir = os.path.join("keras_hsvae_presets", PRESETS_VERSION, name)
    paths = {}
    # Metadata first: it carries the sha256 that `get_file` then checks (and
    # re-downloads a stale cached copy on a mismatch).
    for fname in (METADATA_FILE, CONFIG_FILE, WEIGHTS_FILE):
        file_hash = None
        if fname == WEIGHTS_FILE:
            file_hash = _read_json(paths[METADATA_FILE]).get("weights_sha256")
        try:
            paths[fname] = keras.utils.get_file(
                fname=fname,
                origin=f"{url}/{fname}",
                cache_subdir=subdir,
                cache_dir=cache_dir,
                file_hash=file_hash,
                hash_algorithm="sha256",
            )
        except ValueError as error:
            raise ValueError(
                f"Preset {name!r}: the downloaded {fname} from {url} is corrupted "
                f"or incomplete ({error}). Received: preset={name!r}"
            ) from error
        except Exception as error:
            raise ValueError(
                f"Preset {name!r} is not in the local zoo ({_zoo_dir()}) and "
                f"could not be downloaded from {url}: {error}. Set "
                f"${ZOO_ENV_VAR} to a folder holding {name}/ or pass a preset "
                f"folder path. Received: preset={name!r}"
            ) from error
    return Path(paths[METADATA_FILE]).parent


def get_preset_dir(preset):
    """The local folder of a preset, downloading a built-in one if needed.

    Args:
        preset: a name of `PRESETS`, or a path to a preset folder.

    Returns:
        A `pathlib.Path` to a folder holding the three preset files.

    Raises:
        ValueError: unknown name, or a folder without the preset files.

    Example:

    >>> get_preset_dir("no_such_preset")
    Traceback (most recent call last):
    ...
    ValueError: Unknown preset. Built-in presets: ['svae_mnist_10d']; or pass \
a folder holding config.json, model.weights.h5 and metadata.json. \
Received: preset='no_such_preset'
    """
    if isinstance(preset, str) and preset in PRESETS:
        folder = _zoo_dir() / preset
        if all((folder / f).is_file() for f in PRESET_FILES):
            return folder
        return _download(preset)
    folder = Path(os.fspath(preset)).expanduser() if preset is not None else None
    if folder is None or not folder.is_dir():
        raise ValueError(
            f"Unknown preset. Built-in presets: {sorted(PRESETS)}; or pass a "
            f"folder holding {', '.join(PRESET_FILES[:2])} and "
            f"{PRESET_FILES[2]}. Received: preset={preset!r}"
        )
    missing = [f for f in PRESET_FILES if not (folder / f).is_file()]
    if missing:
        raise ValueError(
            f"Preset folder {os.fspath(folder)!r} lacks {missing}. "
            f"Received: preset={preset!r}"
        )
    return folder


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


def verify_weights(folder):
    """Check `model.weights.h5` of a preset folder against its metadata.

    Args:
        folder: a preset folder.

    Returns:
        The metadata dict.

    Raises:
        ValueError: the metadata has no sha256, or the weights file has the
            wrong size (truncated) or the wrong sha256 (corrupted).
    """
    folder = Path(folder)
    metadata = _read_json(folder / METADATA_FILE)
    expected = metadata.get("weights_sha256")
    if not expected:
        raise ValueError(
            f"{folder / METADATA_FILE} has no `weights_sha256`; the weights "
            "cannot be verified. Re-save the preset with `save_to_preset`."
        )
    path = folder / WEIGHTS_FILE
    size = path.stat().st_size
    expected_size = metadata.get("weights_bytes")
    if expected_size is not None and size != expected_size:
        raise ValueError(
            f"The weights file {os.fspath(path)!r} is truncated or corrupted: "
            f"it has {size} bytes, the metadata says {expected_size}. Delete "
            "it and download or copy the preset again."
        )
    actual = sha256_of_file(path)
    if actual != expected:
        raise ValueError(
            f"The weights file {os.fspath(path)!r} is corrupted: its sha256 is "
            f"{actual}, the metadata says {expected}. Delete it and download "
            "or copy the preset again."
        )
    return metadata


def _preset_class(config, folder):
    name = config.get("registered_name") or config.get("class_name")
    cls = keras.saving.get_registered_object(name)
    if cls is None:
        # Importing the models registers their classes with Keras.
        from keras_hsvae import models  # noqa: F401

        cls = keras.saving.get_registered_object(name)
    if cls is None:
        raise ValueError(
            f"The preset {os.fspath(folder)!r} holds a {name!r}, which is not a "
            "registered Keras class in this version of keras_hsvae."
        )
    return cls


def load_preset(preset, expected_class=None, load_weights=True, **kwargs):
    """Load a model from a built-in preset name or a preset folder.

    The weights file is checked against the sha256 in the metadata first.

    Args:
        preset: a name of `PRESETS` (see `list_presets()`), or a path to a
            folder written by `save_to_preset`.
        expected_class: a model class, or None for any model. When the preset
            holds a class that is not `expected_class` or a subclass of it, a
            `ValueError` names both.
        load_weights: if False, return the model with fresh weights (the
            architecture only; the weights are still verified).
        **kwargs: constructor arguments that replace those of the saved
            config (e.g. `seed`, `beta`).

    Returns:
        The model, built, with the preset's weights.

    Raises:
        ValueError: unknown preset, wrong class, or corrupted weights.

    Example:

    >>> import tempfile
    >>> from keras_hsvae.models import SVAE, mlp_decoder, mlp_encoder
    >>> model = SVAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3)
    >>> folder = os.path.join(tempfile.mkdtemp(), "tiny")
    >>> save_to_preset(model, folder)
    >>> restored = load_preset(folder, expected_class=SVAE)
    >>> type(restored).__name__, restored.latent_dim
    ('SVAE', 3)
    """
    folder = get_preset_dir(preset)
    config = _read_json(folder / CONFIG_FILE)
    cls = _preset_class(config, folder)
    if expected_class is not None and not (
        isinstance(cls, type) and issubclass(cls, expected_class)
    ):
        raise ValueError(
            f"Preset {preset!r} holds a {cls.__name__}, not a "
            f"{expected_class.__name__}. Load it with "
            f"`{cls.__name__}.from_preset(...)` or "
            "`keras_hsvae.presets.load_preset(...)`."
        )
    verify_weights(folder)
    if kwargs:
        config = {**config, "config": {**config["config"], **kwargs}}
    model = keras.saving.deserialize_keras_object(config)
    _build(model)
    if load_weights:
        model.load_weights(os.fspath(folder / WEIGHTS_FILE))
    return model


def _build(model):
    """Create every weight of a model of `keras_hsvae.models` (one call)."""
    shape = (1,) + tuple(model.encoder.input_shape[1:])
    model(keras.ops.zeros(shape), training=False)


def save_to_preset(model, preset_dir, training_command=None, metrics=None, extra=None):
    """Write `model` as a preset folder (config, weights, metadata).

    Args:
        model: a model of `keras_hsvae.models` (anything with a Keras config
            and weights; an unbuilt model is built by one call on zeros).
        preset_dir: the folder to write (created if needed; the three files
            are overwritten).
        training_command: a string recorded as `training_command`, or None.
        metrics: a dict of final metrics recorded as `metrics`, or None.
        extra: a dict of more metadata fields (e.g. the dataset), or None.

    Example:

    >>> import tempfile
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> model = BetaVAE(mlp_encoder((6,), (8,)), mlp_decoder(2, (6,), (8,)), 2)
    >>> folder = os.path.join(tempfile.mkdtemp(), "tiny")
    >>> save_to_preset(model, folder, metrics={"test_loss": 4.2})
    >>> sorted(os.listdir(folder))
    ['config.json', 'metadata.json', 'model.weights.h5']
    >>> meta = _read_json(os.path.join(folder, "metadata.json"))
    >>> meta["class_name"], meta["parameter_count"], meta["metrics"]
    ('BetaVAE', 171, {'test_loss': 4.2})
    """
    import keras_hsvae

    folder = Path(preset_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if not model.built or not model.weights:
        _build(model)
    config = keras.saving.serialize_keras_object(model)
    # The architecture only: no optimizer / loss settings of the training run.
    config.pop("compile_config", None)
    _write_json(folder / CONFIG_FILE, config)
    # A fresh copy without optimizer: `save_weights` of a compiled model also
    # writes the optimizer's slots (3x the size), which a preset does not need.
    copy = keras.saving.deserialize_keras_object(config)
    _build(copy)
    copy.set_weights(model.get_weights())
    weights = folder / WEIGHTS_FILE
    copy.save_weights(os.fspath(weights))
    metadata = {
        **(extra or {}),
        "library": "keras_hsvae",
        "library_version": keras_hsvae.__version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "backend_version": _backend_version(),
        "class_name": type(model).__name__,
        "registered_name": config.get("registered_name"),
        "parameter_count": int(copy.count_params()),
        "weights_sha256": sha256_of_file(weights),
        "weights_bytes": weights.stat().st_size,
        "training_command": training_command,
        "metrics": metrics or {},
    }
    _write_json(folder / METADATA_FILE, metadata)


def _backend_version():
    name = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(name)
    if module is None:
        return None
    import importlib

    return getattr(importlib.import_module(module), "__version__", None)


def list_presets(print_table=True):
    """The built-in presets as rows, printed as a table.

    Args:
        print_table: if True, print a table of name, model, dataset,
            parameter count and description.

    Returns:
        A list of dicts with keys `name`, `model`, `dataset`, `params`,
        `description`, `path`, `url`.

    Example:

    >>> rows = list_presets(print_table=False)
    >>> [row["name"] for row in rows]
    ['svae_mnist_10d']
    """
    rows = [{"name": name, **entry} for name, entry in sorted(PRESETS.items())]
    if print_table:
        columns = ("name", "model", "dataset", "params", "description")
        cells = [[str(row[c]) for c in columns] for row in rows]
        widths = [
            max([len(c)] + [len(line[i]) for line in cells])
            for i, c in enumerate(columns)
        ]
        # The description is the last column: no padding after it.
        widths[-1] = 0
        lines = [columns, ["-" * w for w in widths[:-1]] + ["-" * 11]] + cells
        for line in lines:
            print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
    return rows
