"""keras_hsvae.presets: save/load, integrity checks, the registry, the zoo.

Tiny models (6 features) for the mechanism; remote presets are served by a
local `http.server` on 127.0.0.1 (no network). The built-in MNIST preset is
loaded when its folder `zoo/svae_mnist_10d/` is present (repository
checkout) and checked on real test images when `$KERAS_HSVAE_TEST_DATA`
(default `<repo>/../shared/datasets`) holds binarized MNIST.
"""

import functools
import hashlib
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import make_tiny_model

import keras_hsvae
from keras_hsvae import evaluation, presets
from keras_hsvae.models import SVAE, BetaVAE
from keras_hsvae.presets import resolve

REPO = Path(__file__).resolve().parents[2]
REAL_DATA = Path(
    os.environ.get("KERAS_HSVAE_TEST_DATA", REPO.parent / "shared" / "datasets")
)
BUILTIN = "svae_mnist_10d"

X = (np.random.default_rng(0).random((5, 6)) > 0.5).astype("float32")


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch, tmp_path):
    """No zoo / URL / cache settings from the caller's environment."""
    for var in (
        presets.ZOO_ENV_VAR,
        presets.FID_CLASSIFIERS_ENV_VAR,
        "KERAS_HSVAE_PRESET_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(presets.CACHE_ENV_VAR, str(tmp_path / "cache"))


@pytest.fixture
def no_zoo(monkeypatch, tmp_path):
    """Neither a checkout zoo/ nor an installed zoo package."""
    monkeypatch.setattr(resolve, "CHECKOUT_ZOO_DIR", tmp_path / "no_checkout_zoo")
    monkeypatch.setattr(resolve, "installed_zoo_dir", lambda: None)


@pytest.fixture
def serve(tmp_path):
    """Serve a folder over HTTP on 127.0.0.1; returns `folder -> base URL`.

    The server stops at the end of the test, and by itself after 60 s.
    """
    servers = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def start(folder):
        handler = functools.partial(Quiet, directory=os.fspath(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        timer = threading.Timer(60, server.shutdown)
        timer.daemon = True
        timer.start()
        servers.append((server, timer))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server, timer in servers:
        timer.cancel()
        server.shutdown()
        server.server_close()


def _tiny(kind="svae", seed=1):
    kind = {"svae": "vmf"}.get(kind, kind)
    return make_tiny_model(kind, shape=(6,), hidden=(8,), seed=seed)


def _saved(tmp_path, kind="svae", name="tiny"):
    model = _tiny(kind)
    folder = tmp_path / name
    presets.save_to_preset(
        model, folder, training_command="pytest", metrics={"test_loss": 1.5}
    )
    return model, folder


@pytest.mark.parametrize("kind", ["beta", "svae", "product"])
def test_save_load_same_outputs_and_metadata(tmp_path, kind):
    model, folder = _saved(tmp_path, kind)
    assert sorted(os.listdir(folder)) == sorted(presets.PRESET_FILES)
    restored = presets.load_preset(folder)
    assert type(restored) is type(model)
    np.testing.assert_array_equal(_np(restored.embed(X)), _np(model.embed(X)))
    z = _np(model.embed(X))
    np.testing.assert_array_equal(_np(restored.decode(z)), _np(model.decode(z)))
    # A fresh model of the same config does differ: the weights were loaded.
    fresh = presets.load_preset(folder, load_weights=False)
    assert not np.allclose(_np(fresh.embed(X)), z)

    meta = json.loads((folder / "metadata.json").read_text())
    blob = (folder / "model.weights.h5").read_bytes()
    assert meta["weights_sha256"] == hashlib.sha256(blob).hexdigest()
    assert meta["weights_bytes"] == len(blob)
    assert meta["parameter_count"] == sum(int(np.prod(w.shape)) for w in model.weights)
    assert meta["library"] == "keras_hsvae"
    assert meta["library_version"] == keras_hsvae.__version__
    assert meta["keras_version"] == keras.__version__
    assert meta["backend"] == keras.backend.backend()
    assert meta["class_name"] == type(model).__name__
    assert meta["training_command"] == "pytest"
    assert meta["metrics"] == {"test_loss": 1.5}
    config = json.loads((folder / "config.json").read_text())
    assert config["registered_name"] == f"keras_hsvae>{type(model).__name__}"
    assert "compile_config" not in config


def test_kwargs_override_config(tmp_path):
    _, folder = _saved(tmp_path)
    restored = presets.load_preset(folder, beta=0.25, seed=7)
    assert restored.beta == 0.25 and restored.seed == 7


def test_from_preset_classmethods(tmp_path):
    model, folder = _saved(tmp_path)
    restored = SVAE.from_preset(str(folder))
    np.testing.assert_array_equal(_np(restored.embed(X)), _np(model.embed(X)))
    from_preset = getattr(keras_hsvae, "from_preset", None)
    if from_preset is not None:
        assert type(from_preset(folder)) is SVAE


def test_expected_class_mismatch_names_both(tmp_path):
    _, folder = _saved(tmp_path, "beta")
    with pytest.raises(ValueError, match="holds a BetaVAE, not a SVAE"):
        presets.load_preset(folder, expected_class=SVAE)
    with pytest.raises(ValueError, match="holds a BetaVAE, not a SVAE"):
        SVAE.from_preset(folder)
    # A base class accepts its subclasses.
    assert type(presets.load_preset(folder, expected_class=keras.Model)) is BetaVAE


def test_corrupted_weights_are_refused(tmp_path):
    _, folder = _saved(tmp_path)
    flipped = tmp_path / "flipped"
    shutil.copytree(folder, flipped)
    blob = bytearray((flipped / "model.weights.h5").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (flipped / "model.weights.h5").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="corrupted: its sha256 is"):
        presets.load_preset(flipped)

    truncated = tmp_path / "truncated"
    shutil.copytree(folder, truncated)
    (truncated / "model.weights.h5").write_bytes(bytes(blob[: len(blob) // 3]))
    with pytest.raises(ValueError, match="truncated or corrupted"):
        presets.load_preset(truncated)


def test_missing_metadata_hash_and_files(tmp_path):
    _, folder = _saved(tmp_path)
    meta = json.loads((folder / "metadata.json").read_text())
    del meta["weights_sha256"]
    (folder / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="has no `weights_sha256`"):
        presets.load_preset(folder)
    (folder / "config.json").unlink()
    with pytest.raises(ValueError, match=r"lacks \['config.json'\]"):
        presets.load_preset(folder)


def test_invalid_json_and_foreign_class_name_the_file(tmp_path):
    # Issue #10: invalid JSON was a raw JSONDecodeError without the file name;
    # a non-keras_hsvae class was "not a registered Keras class".
    _, folder = _saved(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    for name in ("metadata.json", "config.json"):
        damaged = tmp_path / f"damaged_{name}"
        shutil.copytree(folder, damaged)
        (damaged / name).write_text('{"class_name": ')
        with pytest.raises(ValueError, match=rf"{name}' is not valid JSON"):
            presets.load_preset(damaged)
    (folder / "config.json").write_text(
        json.dumps(dict(config, class_name="Sequential", registered_name=None))
    )
    with pytest.raises(ValueError, match="'Sequential', which is not a keras_hsvae"):
        presets.load_preset(folder)


def test_unknown_preset_name():
    with pytest.raises(ValueError, match="Unknown preset.*Received: preset='nope'"):
        presets.load_preset("nope")


def test_unknown_name_in_a_folder_path_or_url():
    with pytest.raises(ValueError, match="Unknown preset.*Received: preset="):
        presets.load_preset("no/such/folder")
    with pytest.raises(ValueError, match="Unknown preset.*Received: preset=None"):
        presets.load_preset(None)


def test_builtin_not_installed_is_one_clear_line(no_zoo):
    with pytest.raises(ValueError) as info:
        presets.load_preset(BUILTIN)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(
        f"Preset {BUILTIN!r} is not installed: pip install "
        f'"keras-hsvae[zoo]" or set KERAS_HSVAE_ZOO='
    )


def test_list_presets_returns_rows_and_prints_nothing(capsys):
    rows = presets.list_presets()
    assert capsys.readouterr().out == ""
    assert [row["name"] for row in rows] == sorted(presets.PRESETS)
    for row in rows:
        assert row == {"name": row["name"], **presets.PRESETS[row["name"]]}
        assert row["path"] == f"zoo/{row['name']}"
        # No default download host any more.
        assert "url" not in row
    assert presets.list_presets(print_table=False) == rows
    assert capsys.readouterr().out == ""


def test_format_table_lines_match_rows(capsys):
    rows = presets.list_presets()
    lines = presets.format_table(rows).splitlines()
    assert lines[0].split() == ["name", "model", "dataset", "params", "description"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(rows)
    for line, row in zip(lines[2:], rows):
        assert line.split()[:4] == [
            row["name"],
            row["model"],
            row["dataset"],
            str(row["params"]),
        ]
        assert line.endswith(row["description"])
    # The deprecated `print_table=True` prints the same table.
    with pytest.warns(DeprecationWarning, match="format_table"):
        assert presets.list_presets(print_table=True) == rows
    assert capsys.readouterr().out.splitlines() == lines


def test_removed_download_host_names_warn():
    with pytest.warns(DeprecationWarning, match="default host"):
        assert presets.BASE_URL is None
    with pytest.warns(DeprecationWarning, match="no longer read"):
        assert presets.URL_ENV_VAR == "KERAS_HSVAE_PRESET_URL"
    with pytest.raises(AttributeError, match="NOPE"):
        presets.NOPE  # noqa: B018


def test_presets_for_class():
    assert sorted(presets.presets_for_class(SVAE)) == sorted(
        name for name, entry in presets.PRESETS.items() if entry["model"] == "SVAE"
    )
    assert presets.presets_for_class("SVAE") == presets.presets_for_class(SVAE)
    assert BUILTIN in presets.presets_for_class(SVAE)
    # A base class has the presets of its subclasses: keras.Model has them all.
    assert presets.presets_for_class(keras.Model) == presets.PRESETS
    assert presets.presets_for_class("NoSuchModel") == {}
    # A copy: editing it leaves the registry alone.
    presets.presets_for_class(SVAE)[BUILTIN]["params"] = -1
    assert presets.PRESETS[BUILTIN]["params"] > 0


def test_name_resolves_to_zoo_env_folder(tmp_path, monkeypatch):
    model, folder = _saved(tmp_path / "zoo", name="tiny_zoo")
    monkeypatch.setitem(presets.PRESETS, "tiny_zoo", {"model": "SVAE"})
    monkeypatch.setenv(presets.ZOO_ENV_VAR, str(tmp_path / "zoo"))
    assert presets.get_preset_dir("tiny_zoo") == folder
    restored = presets.load_preset("tiny_zoo")
    np.testing.assert_array_equal(_np(restored.embed(X)), _np(model.embed(X)))
    # A user's own preset in their zoo folder needs no registry entry.
    _saved(tmp_path / "zoo", name="my_own")
    assert presets.get_preset_dir("my_own") == tmp_path / "zoo" / "my_own"


def test_resolution_order(tmp_path, monkeypatch):
    """Folder path, then $KERAS_HSVAE_ZOO, the checkout zoo/, the package."""
    roots = {k: tmp_path / k for k in ("cwd", "env", "checkout", "installed")}
    embedded = {}
    for key, root in roots.items():
        model = _tiny()
        presets.save_to_preset(model, root / "tiny")
        embedded[key] = _np(model.embed(X))
    monkeypatch.setitem(presets.PRESETS, "tiny", {"model": "SVAE"})
    monkeypatch.chdir(roots["cwd"])
    monkeypatch.setenv(presets.ZOO_ENV_VAR, str(roots["env"]))
    monkeypatch.setattr(resolve, "CHECKOUT_ZOO_DIR", roots["checkout"])
    monkeypatch.setattr(resolve, "installed_zoo_dir", lambda: roots["installed"])
    assert presets.zoo_roots() == [roots[k] for k in ("env", "checkout", "installed")]
    for key in roots:
        found = presets.get_preset_dir("tiny").resolve()
        assert found == (roots[key] / "tiny").resolve()
        if key == "installed":
            # Each root holds other weights: the one found is the one loaded.
            restored = presets.load_preset("tiny")
            np.testing.assert_array_equal(_np(restored.embed(X)), embedded[key])
        shutil.rmtree(found)
    with pytest.raises(ValueError, match="'tiny' is not installed"):
        presets.load_preset("tiny")


def _toy_classifier(folder, accuracy):
    inputs = keras.Input((4,))
    features = keras.layers.Dense(3, name="features")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(features))
    folder.mkdir(parents=True)
    model.save(folder / "classifier.keras")
    (folder / "metadata.json").write_text(json.dumps({"test_accuracy": accuracy}))


def test_fid_classifiers_follow_the_zoo_roots(tmp_path, monkeypatch):
    env, zoo, installed = (tmp_path / k for k in ("env", "zoo", "installed"))
    monkeypatch.setenv(presets.ZOO_ENV_VAR, str(zoo))
    monkeypatch.setattr(resolve, "CHECKOUT_ZOO_DIR", tmp_path / "no_checkout")
    monkeypatch.setattr(resolve, "installed_zoo_dir", lambda: installed)
    _toy_classifier(installed / "fid_classifiers" / "toy", 0.3)
    zoo.mkdir()
    assert presets.fid_classifier_roots() == [
        zoo / "fid_classifiers",
        installed / "fid_classifiers",
    ]

    def accuracy():
        extractor = evaluation.get_feature_extractor("classifier:toy")
        return evaluation.describe_feature_extractor(extractor)["test_accuracy"]

    assert accuracy() == 0.3
    _toy_classifier(zoo / "fid_classifiers" / "toy", 0.2)
    assert accuracy() == 0.2
    monkeypatch.setenv(presets.FID_CLASSIFIERS_ENV_VAR, str(env))
    assert presets.fid_classifier_roots()[0] == env
    _toy_classifier(env / "toy", 0.1)
    assert accuracy() == 0.1
    with pytest.raises(
        evaluation.FeatureExtractorUnavailableError, match=r"keras-hsvae\[zoo\]"
    ):
        evaluation.get_feature_extractor("classifier:absent")
    # Binarized MNIST models are scored with the MNIST classifier.
    _toy_classifier(installed / "fid_classifiers" / "mnist", 0.4)
    for dataset in ("binarized_mnist", "dynamic_binarized_mnist"):
        extractor = evaluation.get_feature_extractor("classifier", dataset=dataset)
        info = evaluation.describe_feature_extractor(extractor)
        assert info["name"] == "classifier:mnist" and info["test_accuracy"] == 0.4


def test_remote_preset_from_a_url_with_sha256(tmp_path, serve):
    """A URL the user gives, with the sha256 of the weights, served locally."""
    model, served = _saved(tmp_path / "server", name="tiny_remote")
    sha256 = presets.sha256_of_file(served / "model.weights.h5")
    url = serve(tmp_path / "server") + "/tiny_remote"
    restored = presets.load_preset(url, sha256=sha256)
    np.testing.assert_array_equal(_np(restored.embed(X)), _np(model.embed(X)))
    assert type(SVAE.from_preset(url, sha256=sha256)) is SVAE
    cached = presets.get_preset_dir(url, sha256=sha256)
    assert cached.is_relative_to(tmp_path / "cache")
    assert sorted(os.listdir(cached)) == sorted(presets.PRESET_FILES)

    # No sha256, or a malformed one: refused before any download.
    for bad in (None, "abc"):
        with pytest.raises(ValueError, match="needs the sha256"):
            presets.load_preset(url, sha256=bad)
    # A sha256 that the served weights do not have: refused, nothing loaded.
    wrong = hashlib.sha256(b"other weights").hexdigest()
    with pytest.raises(ValueError, match="do not have the sha256 asked for"):
        presets.load_preset(url, sha256=wrong)

    # A corrupted copy on the server: the cached file is stale, the fresh
    # download fails the sha256.
    blob = bytearray((served / "model.weights.h5").read_bytes())
    blob[100] ^= 0xFF
    (served / "model.weights.h5").write_bytes(bytes(blob))
    (cached / "model.weights.h5").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="do not have the sha256 asked for"):
        presets.load_preset(url, sha256=sha256)


def test_sha256_is_checked_for_local_folders_too(tmp_path):
    _, folder = _saved(tmp_path)
    sha256 = presets.sha256_of_file(folder / "model.weights.h5")
    assert type(presets.load_preset(folder, sha256=sha256)) is SVAE
    with pytest.raises(ValueError, match="not the one asked for"):
        presets.load_preset(folder, sha256="0" * 64)


def test_sha256_covers_the_whole_of_a_file_larger_than_a_block(tmp_path):
    # 2.5 MiB: more than the 1 MiB blocks the file is read in. A byte changed
    # in the last block changes the digest (hashlib over the whole file).
    data = np.random.default_rng(0).bytes(5 << 19)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert presets.sha256_of_file(path) == hashlib.sha256(data).hexdigest()
    changed = bytearray(data)
    changed[-1] ^= 1
    path.write_bytes(bytes(changed))
    assert presets.sha256_of_file(path) == hashlib.sha256(changed).hexdigest()
    assert presets.sha256_of_file(path) != hashlib.sha256(data).hexdigest()


def test_download_failure_is_clear(tmp_path, serve):
    (tmp_path / "empty").mkdir()
    url = serve(tmp_path / "empty") + "/absent"
    with pytest.raises(ValueError, match="could not be downloaded"):
        presets.load_preset(url, sha256="0" * 64)


# --- the built-in preset ----------------------------------------------------


def _builtin_folder():
    folder = REPO / "zoo" / BUILTIN
    if not all((folder / f).is_file() for f in presets.PRESET_FILES):
        pytest.skip(f"built-in preset folder {folder} is absent (not a checkout)")
    return folder


def test_builtin_registry_matches_metadata():
    folder = _builtin_folder()
    meta = json.loads((folder / "metadata.json").read_text())
    entry = presets.PRESETS[BUILTIN]
    assert meta["parameter_count"] == entry["params"]
    assert meta["class_name"] == entry["model"]
    assert meta["dataset"] == entry["dataset"]
    assert entry["path"] == f"zoo/{BUILTIN}"
    assert meta["training_command"]
    for split in ("train", "test"):
        for key in ("loss", "reconstruction", "kl"):
            assert np.isfinite(meta["metrics"][f"{split}_{key}"])
    # Weights stay small: ~471k float32 parameters, no optimizer slots.
    assert meta["weights_bytes"] < 4 * meta["parameter_count"] + 200_000


def test_builtin_preset_on_real_images():
    _builtin_folder()
    if not (REAL_DATA / "binarized-mnist").is_dir():
        pytest.skip(f"binarized MNIST not found under {REAL_DATA}")
    from keras_hsvae import data

    model = SVAE.from_preset(BUILTIN)
    assert model.latent_dim == 10
    x = data.load("binarized_mnist", "test", data_dir=str(REAL_DATA), as_numpy=True)
    x = x[:200]
    z = _np(model.embed(x))
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)
    # Reconstruction error at the posterior mode, in numpy: the Bernoulli
    # negative log-likelihood summed over pixels. A trained model is far below
    # an untrained one (784 log 2 = 543 nats) and near its metadata value.
    p = np.clip(_np(model.reconstruct(x)).astype("float64"), 1e-7, 1 - 1e-7)
    nll = -(x * np.log(p) + (1 - x) * np.log1p(-p)).reshape(len(x), -1).sum(-1)
    meta = json.loads((REPO / "zoo" / BUILTIN / "metadata.json").read_text())
    assert nll.mean() < 0.5 * 784 * np.log(2)
    np.testing.assert_allclose(
        nll.mean(), meta["metrics"]["test_reconstruction"], rtol=0.1
    )
