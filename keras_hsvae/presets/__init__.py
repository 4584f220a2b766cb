"""Presets: trained models saved as `config.json` + weights + metadata.

`load_preset(preset)` (also `keras_hsvae.from_preset` and the classmethod
`SVAE.from_preset`) takes a built-in name of `PRESETS`, a folder path, or the
URL of a preset folder with the sha256 of its weights. Built-in names are
found in a zoo folder, in order: `$KERAS_HSVAE_ZOO`, the `zoo/` folder of a
repository checkout, and the data distribution installed by
`pip install "keras-hsvae[zoo]"`. Nothing is downloaded unless a URL is
given. The weights are checked against the sha256 of the metadata before
anything is loaded.

Modules: `io` (save / load / verify), `resolve` (where a preset lives),
`builtin` (the registry) and one `<model>_presets.py` of data per model.
"""

import warnings

from keras_hsvae.presets.builtin import (
    PRESETS,
    format_table,
    list_presets,
    presets_for_class,
)
from keras_hsvae.presets.io import (
    load_preset,
    save_to_preset,
    sha256_of_file,
    verify_weights,
)
from keras_hsvae.presets.resolve import (
    CACHE_ENV_VAR,
    CONFIG_FILE,
    FID_CLASSIFIERS_ENV_VAR,
    METADATA_FILE,
    PRESET_FILES,
    WEIGHTS_FILE,
    ZOO_ENV_VAR,
    download_preset,
    fid_classifier_roots,
    get_preset_dir,
    installed_zoo_dir,
    zoo_roots,
)

# Names of the removed default download host, kept importable with a warning.
_REMOVED = {
    "BASE_URL": (
        None,
        "no preset is downloaded from a default host any more: install them "
        'with `pip install "keras-hsvae[zoo]"`, or pass a URL with its '
        "sha256 to `load_preset(url, sha256=...)`",
    ),
    "PRESETS_VERSION": (
        "v1",
        "built-in presets are versioned with the `keras-hsvae-zoo` distribution",
    ),
    "URL_ENV_VAR": (
        "KERAS_HSVAE_PRESET_URL",
        "$KERAS_HSVAE_PRESET_URL is no longer read: set $KERAS_HSVAE_ZOO to a "
        "folder of presets, or pass a URL with its sha256 to "
        "`load_preset(url, sha256=...)`",
    ),
}


def __getattr__(name):
    if name in _REMOVED:
        value, message = _REMOVED[name]
        warnings.warn(
            f"`keras_hsvae.presets.{name}` is deprecated: {message}.",
            DeprecationWarning,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CACHE_ENV_VAR",
    "CONFIG_FILE",
    "FID_CLASSIFIERS_ENV_VAR",
    "METADATA_FILE",
    "PRESETS",
    "PRESET_FILES",
    "WEIGHTS_FILE",
    "ZOO_ENV_VAR",
    "download_preset",
    "fid_classifier_roots",
    "format_table",
    "get_preset_dir",
    "installed_zoo_dir",
    "list_presets",
    "load_preset",
    "presets_for_class",
    "save_to_preset",
    "sha256_of_file",
    "verify_weights",
    "zoo_roots",
]
