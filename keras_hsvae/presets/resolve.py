"""Where a preset lives: a folder, a zoo folder, the zoo package, or a URL.

A name is looked up, in order, as

1. a folder path (relative to the working directory, or absolute);
2. `<root>/<name>/` for each zoo root of `zoo_roots()`: `$KERAS_HSVAE_ZOO`,
   the `zoo/` folder of a repository checkout (beside the package), and the
   folder of the installed data distribution `keras-hsvae-zoo` (import name
   `keras_hsvae_zoo`, installed by `pip install "keras-hsvae[zoo]"`).

Nothing is downloaded for a name. A remote preset is a URL the user gives
with the sha256 of its weights: `load_preset("https://host/folder",
sha256="...")` downloads the three files with `keras.utils.get_file` into the
Keras cache (`$KERAS_HSVAE_CACHE_DIR`, else `$KERAS_HOME` or `~/.keras`) and
refuses weights of another sha256 before anything is loaded.

The FID classifiers live in `fid_classifiers/` of the same zoo roots
(`fid_classifier_roots()`).
"""

import hashlib
import importlib.resources
import importlib.util
import os
import re
from pathlib import Path

from keras_hsvae.presets.builtin import PRESETS

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
PRESET_FILES = (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE)

ZOO_ENV_VAR = "KERAS_HSVAE_ZOO"
CACHE_ENV_VAR = "KERAS_HSVAE_CACHE_DIR"
FID_CLASSIFIERS_ENV_VAR = "KERAS_HSVAE_FID_CLASSIFIERS"
ZOO_PACKAGE = "keras_hsvae_zoo"
ZOO_EXTRA = 'pip install "keras-hsvae[zoo]"'
FID_CLASSIFIERS_DIR = "fid_classifiers"

CHECKOUT_ZOO_DIR = Path(__file__).resolve().parents[2] / "zoo"
URL_SCHEMES = ("http://", "https://", "file://")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def installed_zoo_dir():
    """The folder of the installed `keras_hsvae_zoo` package, or None."""
    if importlib.util.find_spec(ZOO_PACKAGE) is None:
        return None
    folder = Path(os.fspath(importlib.resources.files(ZOO_PACKAGE)))
    return folder if folder.is_dir() else None


def zoo_roots():
    """The existing zoo folders, in lookup order.

    `$KERAS_HSVAE_ZOO`, the checkout's `zoo/`, the installed
    `keras_hsvae_zoo` package; each only when it is a folder.

    Returns:
        A list of `pathlib.Path`.
    """
    env = os.environ.get(ZOO_ENV_VAR)
    candidates = [Path(env).expanduser() if env else None, CHECKOUT_ZOO_DIR]
    candidates.append(installed_zoo_dir())
    roots = []
    for folder in candidates:
        if folder is not None and folder.is_dir() and folder not in roots:
            roots.append(folder)
    return roots


def fid_classifier_roots():
    """The folders searched for FID classifiers (`<root>/<dataset>/`), in order.

    `$KERAS_HSVAE_FID_CLASSIFIERS`, then `fid_classifiers/` of each zoo root
    of `zoo_roots()`.

    Returns:
        A list of `pathlib.Path` (the environment's even when absent, so an
        error can name it).
    """
    env = os.environ.get(FID_CLASSIFIERS_ENV_VAR)
    roots = [Path(env).expanduser()] if env else []
    return roots + [root / FID_CLASSIFIERS_DIR for root in zoo_roots()]


def _is_complete(folder):
    return all((folder / f).is_file() for f in PRESET_FILES)


def _checked_folder(folder, preset):
    missing = [f for f in PRESET_FILES if not (folder / f).is_file()]
    if missing:
        raise ValueError(
            f"Preset folder {os.fspath(folder)!r} lacks {missing}. "
            f"Received: preset={preset!r}"
        )
    return folder


def _is_name(preset):
    return (
        isinstance(preset, str)
        and bool(preset)
        and "/" not in preset
        and os.sep not in preset
        and preset not in (".", "..")
    )


def get_preset_dir(preset, sha256=None):
    """The local folder of a preset.

    Args:
        preset: a built-in name, a name of a folder in a zoo root, a folder
            path, or the `http(s)://` / `file://` URL of a preset folder.
        sha256: the hex sha256 of the weights; required for a URL (the
            download is refused on a mismatch), ignored otherwise
            (`load_preset` checks it).

    Returns:
        A `pathlib.Path` to a folder holding the three preset files.

    Raises:
        ValueError: unknown name, a built-in preset that is not installed,
            a folder without the preset files, a URL without `sha256`, or a
            failed or refused download.

    Example:

    >>> get_preset_dir("no_such_preset")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown preset. Built-in presets: [...]; or pass a folder \
holding config.json, model.weights.h5 and metadata.json, or its URL with \
`sha256=`. Received: preset='no_such_preset'
    """
    if isinstance(preset, str) and preset.startswith(URL_SCHEMES):
        return download_preset(preset, sha256)
    if isinstance(preset, (str, os.PathLike)):
        folder = Path(os.fspath(preset)).expanduser()
        if folder.is_dir():
            return _checked_folder(folder, preset)
    if _is_name(preset):
        for root in zoo_roots():
            if _is_complete(root / preset):
                return root / preset
        if preset in PRESETS:
            raise ValueError(
                f"Preset {preset!r} is not installed: {ZOO_EXTRA} or set "
                f"{ZOO_ENV_VAR}=<a folder holding {preset}/> (searched: "
                f"{[os.fspath(r) for r in zoo_roots()]})."
            )
    raise ValueError(
        f"Unknown preset. Built-in presets: {sorted(PRESETS)}; or pass a "
        f"folder holding {', '.join(PRESET_FILES[:2])} and "
        f"{PRESET_FILES[2]}, or its URL with `sha256=`. "
        f"Received: preset={preset!r}"
    )


def download_preset(url, sha256):
    """Download the preset folder at `url` into the Keras cache.

    The weights are downloaded with `keras.utils.get_file(file_hash=sha256)`,
    which refuses (and a cached copy re-downloads) a file of another sha256.

    Args:
        url: an `http://`, `https://` or `file://` URL of a folder holding
            `config.json`, `model.weights.h5` and `metadata.json`.
        sha256: the hex sha256 of `model.weights.h5`, from a source you trust.

    Returns:
        The `pathlib.Path` of the cached folder.

    Raises:
        ValueError: `sha256` missing or malformed, a failed download, or
            weights of another sha256.

    Example:

    >>> download_preset("https://example.com/my_preset", sha256=None)
    Traceback (most recent call last):
    ...
    ValueError: A remote preset needs the sha256 of its weights file, from a \
source you trust: from_preset('https://example.com/my_preset', \
sha256='<64 hex digits>'). Received: sha256=None
    """
    import keras

    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
        raise ValueError(
            "A remote preset needs the sha256 of its weights file, from a "
            f"source you trust: from_preset({url!r}, sha256='<64 hex digits>')."
            f" Received: sha256={sha256!r}"
        )
    sha256 = sha256.lower()
    base = url.rstrip("/")
    cache_dir = os.environ.get(CACHE_ENV_VAR) or None
    if cache_dir:
        # `get_file` silently falls back to /tmp/.keras for a missing folder.
        os.makedirs(cache_dir, exist_ok=True)
    # One cache folder per (URL, weights): another preset at the same URL, or
    # the same weights at another URL, never reuses a stale config.
    key = hashlib.sha256(f"{base}\n{sha256}".encode()).hexdigest()[:16]
    subdir = os.path.join("keras_hsvae_presets", key)
    paths = {}
    for fname in (WEIGHTS_FILE, CONFIG_FILE, METADATA_FILE):
        file_hash = sha256 if fname == WEIGHTS_FILE else None
        origin = f"{base}/{fname}"
        try:
            paths[fname] = keras.utils.get_file(
                fname=fname,
                origin=origin,
                cache_subdir=subdir,
                cache_dir=cache_dir,
                file_hash=file_hash,
                hash_algorithm="sha256",
            )
        except ValueError as error:
            raise ValueError(
                f"The weights downloaded from {origin} do not have the sha256 "
                f"asked for ({error}); nothing was loaded. Received: "
                f"sha256={sha256!r}"
            ) from error
        except Exception as error:
            raise ValueError(
                f"The preset file {origin} could not be downloaded: {error}. "
                f"Received: preset={url!r}"
            ) from error
    return Path(paths[WEIGHTS_FILE]).parent
