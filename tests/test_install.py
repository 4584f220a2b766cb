"""The install contract: the core needs Keras and numpy only, and every optional
package is imported lazily, failing with one line that names its extra."""

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_hsvae import data
from keras_hsvae._optional import EXTRAS, optional_dependency
from keras_hsvae.data import DatasetNotFoundError
from keras_hsvae.data._formats import read_omniglot_mat
from keras_hsvae.export import export_saved_model
from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
from keras_hsvae.plots import tsne

PACKAGE = Path(__file__).resolve().parents[1] / "keras_hsvae"

# Packages outside the core: the extras' modules, and TFP / tf-keras, which only
# the tests use.
OPTIONAL = set(EXTRAS) | {"tensorflow_probability", "tf_keras"}

# What each backend imports by itself, so cannot be blocked under it: jax
# imports scipy (jax.experimental.sparse); the TensorFlow backend imports
# TensorFlow.
_NEEDED_BY_BACKEND = {"tensorflow": {"tensorflow"}, "jax": {"scipy"}, "torch": set()}

# Module-level imports of optional packages that are allowed: the active backend.
# Modules whose TensorFlow imports run only under the TensorFlow backend.
_ALLOWED = {
    ("ops/_backend_random.py", "tensorflow"),
    ("ops/_backend_distribute.py", "tensorflow"),
    ("training/distribute.py", "tensorflow"),  # distribute="mirrored" only
    ("ops/graph.py", "tensorflow"),  # sparse adjacency on the TF backend only
    ("models/_data_checks.py", "tensorflow"),  # only given a tf.data.Dataset
}

_CHILD = """
import json, sys

BLOCKED = json.loads(sys.argv[1])
# As if not installed: `import name` raises ModuleNotFoundError and
# `importlib.util.find_spec(name)` returns None. (A meta-path finder can only
# raise there, which breaks libraries that probe with find_spec, such as
# torch._dynamo.)
for name in BLOCKED:
    sys.modules[name] = None

import numpy as np
import keras
import keras_hsvae
from keras_hsvae import distributions, layers, models, ops, presets, samplers
from keras_hsvae.models import SVAE, mlp_decoder, mlp_encoder

x = (np.random.default_rng(0).random((8, 4)) > 0.5).astype("float32")
encoder, decoder = mlp_encoder((4,), hidden=(8,)), mlp_decoder(3, (4,), hidden=(8,))
model = SVAE(encoder, decoder, 3, seed=0)
model(x, training=True)
z = keras.ops.convert_to_numpy(model.embed(x))
assert z.shape == (8, 3) and np.allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)
loaded = [m for m, v in sys.modules.items() if v is not None]
print(json.dumps(sorted(m for m in loaded if m.partition(".")[0] in BLOCKED)))
"""


def test_core_runs_without_any_optional_package():
    # A fresh process on this run's backend, with every optional package that
    # the backend does not import itself blocked: import the library, build,
    # call and embed with a tiny S-VAE; nothing optional was imported.
    backend = keras.backend.backend()
    blocked = sorted(OPTIONAL - _NEEDED_BY_BACKEND[backend])
    env = dict(os.environ, KERAS_BACKEND=backend)
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(blocked)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def _imports(tree):
    """`(node, top-level name, inside an optional_dependency block)` per import."""

    def visit(node, guarded):
        if isinstance(node, ast.With):
            guarded = guarded or any(
                isinstance(item.context_expr, ast.Call)
                and getattr(item.context_expr.func, "id", None) == "optional_dependency"
                for item in node.items
            )
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name.partition(".")[0], guarded
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, node.module.partition(".")[0], guarded
        for child in ast.iter_child_nodes(node):
            yield from visit(child, guarded)

    yield from visit(tree, False)


def test_optional_packages_are_only_imported_through_the_helper():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for node, name, guarded in _imports(ast.parse(path.read_text())):
            if name in OPTIONAL and not guarded and (relative, name) not in _ALLOWED:
                offenders.append(f"{relative}:{node.lineno} imports {name}")
    assert offenders == []


def _block(monkeypatch, name):
    """Make `import name` (and its submodules) fail as if it were missing."""
    for module in [m for m in sys.modules if m.partition(".")[0] == name]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, name, None)


def _assert_one_line(error, expected):
    assert str(error) == expected
    # Missing, not broken: no chained traceback under the line.
    assert error.__cause__ is None and error.__suppress_context__


_TF_LINE = (
    '{} needs tensorflow: pip install "keras-hsvae[tensorflow]" '
    "(or any TensorFlow build, such as tensorflow-cpu)"
)


def test_tsne_without_scikit_learn(monkeypatch):
    _block(monkeypatch, "sklearn")
    with pytest.raises(ImportError) as info:
        tsne(np.random.default_rng(0).normal(size=(10, 3)), perplexity=3)
    _assert_one_line(
        info.value,
        'keras_hsvae.plots.tsne needs scikit-learn: pip install "keras-hsvae[plots]"',
    )


def test_plots_without_matplotlib(monkeypatch):
    for module in [m for m in sys.modules if m.startswith("keras_hsvae.plots")]:
        monkeypatch.delitem(sys.modules, module)
    _block(monkeypatch, "matplotlib")
    with pytest.raises(ImportError) as info:
        importlib.import_module("keras_hsvae.plots")
    _assert_one_line(
        info.value,
        'keras_hsvae.plots needs matplotlib: pip install "keras-hsvae[plots]"',
    )


def test_data_load_without_tensorflow(monkeypatch):
    _block(monkeypatch, "tensorflow")
    with pytest.raises(ImportError) as info:
        data.load("vmf_circle", "test", as_numpy=True)
    _assert_one_line(info.value, _TF_LINE.format("keras_hsvae.data.load"))


def test_export_without_tensorflow(monkeypatch, tmp_path):
    model = BetaVAE(
        mlp_encoder((4,), hidden=(8,)), mlp_decoder(2, (4,), hidden=(8,)), 2
    )
    model(np.zeros((1, 4), "float32"))  # Built before TensorFlow disappears.
    _block(monkeypatch, "tensorflow")
    with pytest.raises(ImportError) as info:
        export_saved_model(model, tmp_path / "saved")
    _assert_one_line(info.value, _TF_LINE.format("keras_hsvae.export"))
    assert not (tmp_path / "saved").exists()


def test_data_load_without_tensorflow_datasets(monkeypatch, tmp_path):
    # No local files: the tfds fallback reports the missing extra in its line.
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    _block(monkeypatch, "tensorflow_datasets")
    with pytest.raises(DatasetNotFoundError) as info:
        data.load("mnist", data_dir=tmp_path, download=False)
    line = (
        "failed: ImportError: keras_hsvae.data.load('mnist') without local files "
        'needs tensorflow-datasets: pip install "keras-hsvae[data]"'
    )
    assert line in str(info.value)


def test_omniglot_mat_without_scipy(monkeypatch, tmp_path):
    path = tmp_path / "chardata.mat"
    path.write_bytes(b"")
    _block(monkeypatch, "scipy")
    with pytest.raises(ImportError) as info:
        read_omniglot_mat(path, "train", need_labels=False)
    _assert_one_line(
        info.value,
        f'Reading {path} needs scipy: pip install "keras-hsvae[data]"; or convert '
        "it to omniglot.npz (x_train, y_train, x_test, y_test)",
    )


def test_a_broken_install_keeps_its_cause():
    # Present but failing (here: a dependency of scikit-learn is missing): the
    # same line, with the original error chained for the details.
    cause = ModuleNotFoundError("No module named 'threadpoolctl'", name="threadpoolctl")
    with pytest.raises(ImportError) as info:
        with optional_dependency("sklearn", "keras_hsvae.plots.tsne"):
            raise cause
    assert str(info.value).startswith("keras_hsvae.plots.tsne needs scikit-learn")
    assert info.value.__cause__ is cause
    with pytest.raises(ValueError, match="name='sk-learn'"):
        with optional_dependency("sk-learn", "keras_hsvae.plots.tsne"):
            pass
