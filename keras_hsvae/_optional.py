"""Optional dependencies: imported lazily, a missing one named with its extra.

`pip install keras-hsvae` installs Keras and numpy only (Keras brings h5py),
which is all that building, training, saving and loading models needs on
every backend. The rest belongs to the extras of `pyproject.toml`; the
modules that need them import them through this file, never at the top of
a module that `import keras_hsvae` loads, so that a missing package fails
with one line saying what to install:

    ImportError: keras_hsvae.plots needs matplotlib: pip install "keras-hsvae[plots]"
"""

import contextlib
import importlib
import importlib.util

# Top-level import name -> (distribution to install, extra of keras-hsvae).
EXTRAS = {
    "tensorflow": ("tensorflow", "tensorflow"),
    "tensorflow_datasets": ("tensorflow-datasets", "data"),
    "scipy": ("scipy", "data"),
    "matplotlib": ("matplotlib", "plots"),
    "sklearn": ("scikit-learn", "plots"),
}


def missing_dependency_message(name, feature, hint=None):
    """The one-line message for `feature` lacking the package `name`.

    Args:
        name: top-level import name, a key of `EXTRAS`.
        feature: what needs it, e.g. `"keras_hsvae.plots"`.
        hint: optional alternative appended after a semicolon.

    Example:

    >>> print(missing_dependency_message("matplotlib", "keras_hsvae.plots"))
    keras_hsvae.plots needs matplotlib: pip install "keras-hsvae[plots]"
    """
    if name not in EXTRAS:
        raise ValueError(
            f"`name` must be one of {sorted(EXTRAS)}. Received: name={name!r}"
        )
    package, extra = EXTRAS[name]
    message = f'{feature} needs {package}: pip install "keras-hsvae[{extra}]"'
    if name == "tensorflow":
        # The extra names the full wheel; pip cannot see that tensorflow-cpu
        # provides the same module and would install both.
        message += " (or any TensorFlow build, such as tensorflow-cpu)"
    if hint:
        message += f"; {hint}"
    return message


@contextlib.contextmanager
def optional_dependency(name, feature, hint=None):
    """Turn a failed import of `name` in the block into the one-line message.

    A package that is absent raises `ImportError(message)` alone; one that
    is present but fails to import (a broken install, a missing dependency
    of its own) raises the same message with the original error as cause.

    Args:
        name: top-level import name of the package, a key of `EXTRAS`.
        feature: what needs it, e.g. `"keras_hsvae.plots"`.
        hint: optional alternative appended to the message.

    Example:

    >>> with optional_dependency("scipy", "reading .mat files"):
    ...     from scipy.io import loadmat
    """
    message = missing_dependency_message(name, feature, hint)
    try:
        yield
    except ImportError as error:
        missing = (
            isinstance(error, ModuleNotFoundError)
            and error.name is not None
            and error.name.partition(".")[0] == name
        )
        replacement = ImportError(message, name=name)
        if missing:
            raise replacement from None
        raise replacement from error


def import_optional(module, feature, hint=None):
    """Import and return `module` (e.g. `"sklearn.manifold"`) for `feature`.

    Raises:
        ImportError: one line naming the extra to install (see
            `optional_dependency`).

    Example:

    >>> import_optional("scipy.special", "this example").__name__
    'scipy.special'
    """
    with optional_dependency(module.partition(".")[0], feature, hint):
        return importlib.import_module(module)


def require(name, feature, hint=None):
    """Raise the one-line `ImportError` unless `name` is installed.

    Looks the package up without importing it (for code that hands the
    import to another process).
    """
    with optional_dependency(name, feature, hint):
        if importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
