"""Save, load and verify preset folders (`config.json` + weights + metadata).

A preset is a folder with three files:

- `config.json`: the model's Keras serialization
  (`keras.saving.serialize_keras_object(model)`);
- `model.weights.h5`: `model.save_weights(...)`;
- `metadata.json`: library, Keras and backend versions, the model class, its
  parameter count, the sha256 and size of the weights file, the training
  command and the final metrics.

Other files beside them (a model card `README.md`, `evaluation.json`,
`golden.npz`) are read by people and tests, not by `load_preset`.
"""

import hashlib
import importlib
import json
import os
from pathlib import Path

import keras

from keras_hsvae.presets.resolve import (
    CONFIG_FILE,
    METADATA_FILE,
    WEIGHTS_FILE,
    get_preset_dir,
)


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


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(
                f"{os.fspath(path)!r} is not valid JSON ({error}); the preset is "
                "damaged: download or copy it again, or re-save it with "
                "`save_to_preset`."
            ) from None


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


def verify_weights(folder, sha256=None):
    """Check `model.weights.h5` of a preset folder against its metadata.

    Args:
        folder: a preset folder.
        sha256: the hex sha256 the weights must have, from a source other
            than the folder (e.g. the one a user passed with a URL), or None
            to trust the metadata's.

    Returns:
        The metadata dict.

    Raises:
        ValueError: the metadata has no sha256, or the weights file has the
            wrong size (truncated) or the wrong sha256 (corrupted), or the
            metadata's sha256 is not `sha256`.
    """
    folder = Path(folder)
    metadata = _read_json(folder / METADATA_FILE)
    expected = metadata.get("weights_sha256")
    if not expected:
        raise ValueError(
            f"{folder / METADATA_FILE} has no `weights_sha256`; the weights "
            "cannot be verified. Re-save the preset with `save_to_preset`."
        )
    if sha256 is not None and expected != sha256:
        raise ValueError(
            f"The preset {os.fspath(folder)!r} is not the one asked for: its "
            f"metadata gives the weights sha256 {expected}. Received: "
            f"sha256={sha256!r}"
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
    # `import keras_hsvae` (which importing this module implies) has
    # registered every model class with Keras.
    cls = keras.saving.get_registered_object(name)
    if cls is None:
        raise ValueError(
            f"The preset {os.fspath(folder)!r} holds a {name!r}, which is not a "
            "keras_hsvae model class (its config.json must name one, e.g. "
            "'keras_hsvae>SVAE', registered by this version of keras_hsvae)."
        )
    return cls


def load_preset(preset, expected_class=None, load_weights=True, sha256=None, **kwargs):
    """Load a model from a built-in preset name, a folder, or a URL.

    The weights file is checked against the sha256 in the metadata (and
    against `sha256` when given) before anything is loaded.

    Args:
        preset: a built-in name (see `list_presets()`), a name of a folder
            under `$KERAS_HSVAE_ZOO`, a path to a folder written by
            `save_to_preset`, or the `http(s)://` or `file://` URL of such a
            folder (then `sha256` is required). See `get_preset_dir` for the
            order in which a name is looked up.
        expected_class: a model class, or None for any model. When the preset
            holds a class that is not `expected_class` or a subclass of it, a
            `ValueError` names both.
        load_weights: if False, return the model with fresh weights (the
            architecture only; the weights are still verified).
        sha256: the hex sha256 of the preset's `model.weights.h5`. Required
            for a URL; optional otherwise (then checked too).
        **kwargs: constructor arguments that replace those of the saved
            config (e.g. `seed`, `beta`).

    Returns:
        The model, built, with the preset's weights.

    Raises:
        ValueError: unknown or not installed preset, wrong class, corrupted
            weights or a weights sha256 that is not `sha256`.

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
    folder = get_preset_dir(preset, sha256=sha256)
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
    verify_weights(folder, sha256=sha256)
    if kwargs:
        config = {**config, "config": {**config["config"], **kwargs}}
    model = keras.saving.deserialize_keras_object(config)
    _build(model)
    if load_weights:
        model.load_weights(os.fspath(folder / WEIGHTS_FILE))
    return model


def _build(model):
    """Create every weight of a model of `keras_hsvae.models` (one call)."""
    if not hasattr(model, "encoder"):
        # The graph auto-encoders know their input size from their config.
        model.build()
        return
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
    return getattr(importlib.import_module(module), "__version__", None)
