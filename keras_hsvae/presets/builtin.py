"""The built-in presets: per-model data merged into one registry.

As in KerasHub, each model class has its own preset data (`svae_presets.py`
here); `PRESETS` merges them by name, `presets_for_class` gives those of one
class (the models expose it as `Model.presets`) and `list_presets` returns
them as rows. To add a model's presets, write `<model>_presets.py` with a
dict like `svae_presets` and add it to `_PRESET_DICTS`.
"""

import warnings

from keras_hsvae.presets.graph_presets import graph_presets
from keras_hsvae.presets.svae_presets import svae_presets
from keras_hsvae.presets.zoo_presets import zoo_presets

ENTRY_KEYS = ("model", "description", "params", "dataset", "path")

_PRESET_DICTS = (
    svae_presets,
    zoo_presets,
    graph_presets,
)


def _merge(dicts):
    merged = {}
    for presets in dicts:
        for name, entry in presets.items():
            if name in merged:
                raise ValueError(f"Preset {name!r} is defined twice.")
            missing = [key for key in ENTRY_KEYS if key not in entry]
            if missing:
                raise ValueError(f"Preset {name!r} lacks {missing}.")
            merged[name] = entry
    return dict(sorted(merged.items()))


PRESETS = _merge(_PRESET_DICTS)


def _class_names(cls):
    names, stack = set(), [cls]
    while stack:
        current = stack.pop()
        names.add(current.__name__)
        stack.extend(current.__subclasses__())
    return names


def presets_for_class(cls):
    """The built-in presets of a model class (and of its subclasses).

    Args:
        cls: a model class, or a class name (then that class only).

    Returns:
        A dict of preset name to entry (a copy), sorted by name.

    Example:

    >>> "svae_mnist_10d" in presets_for_class("SVAE")
    True
    >>> presets_for_class("NoSuchModel")
    {}
    """
    names = {cls} if isinstance(cls, str) else _class_names(cls)
    return {
        name: dict(entry) for name, entry in PRESETS.items() if entry["model"] in names
    }


def list_presets(print_table=False):
    """The built-in presets as rows (prints nothing; `hsvae presets` does).

    Args:
        print_table: deprecated; print the table of `format_table(rows)`.

    Returns:
        A list of dicts, sorted by name, with keys `name`, `model`,
        `dataset`, `params`, `description` and `path`.

    Example:

    >>> rows = list_presets()
    >>> sorted(rows[0])
    ['dataset', 'description', 'model', 'name', 'params', 'path']
    >>> [row["params"] for row in rows if row["name"] == "svae_mnist_10d"]
    [471196]
    """
    rows = [{"name": name, **entry} for name, entry in PRESETS.items()]
    if print_table:
        warnings.warn(
            "`list_presets(print_table=True)` is deprecated: list_presets() "
            "returns the rows; print `keras_hsvae.presets.format_table(rows)` "
            "or run `hsvae presets`.",
            DeprecationWarning,
            stacklevel=2,
        )
        print(format_table(rows))
    return rows


def format_table(rows):
    """The rows of `list_presets()` as a text table (a string).

    Columns: name, model, dataset, params, description.

    Example:

    >>> format_table(list_presets()).splitlines()[0].split()
    ['name', 'model', 'dataset', 'params', 'description']
    """
    columns = ("name", "model", "dataset", "params", "description")
    cells = [[str(row[c]) for c in columns] for row in rows]
    widths = [
        max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)
    ]
    # The description is the last column: no padding after it.
    widths[-1] = 0
    lines = [columns, ["-" * w for w in widths[:-1]] + ["-" * 11]] + cells
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines
    )
