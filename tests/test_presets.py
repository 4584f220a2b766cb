"""keras_hsvae.presets: save/load, integrity checks, the registry, the zoo.

Tiny models (6 features) for the mechanism; the built-in MNIST preset is
loaded when its folder `zoo/svae_mnist_10d/` is present (repository
checkout) and checked on real test images when `$KERAS_HSVAE_TEST_DATA`
(default `<repo>/../shared/datasets`) holds binarized MNIST.
"""

import hashlib
import json
import os
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_hsvae
from keras_hsvae import presets
from keras_hsvae.models import SVAE, BetaVAE, ProductSVAE, mlp_decoder, mlp_encoder

REPO = Path(__file__).resolve().parents[1]
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
    for var in (presets.ZOO_ENV_VAR, presets.URL_ENV_VAR):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(presets.CACHE_ENV_VAR, str(tmp_path / "cache"))


def _tiny(kind="svae", seed=1):
    if kind == "beta":
        return BetaVAE(
            mlp_encoder((6,), (8,)), mlp_decoder(2, (6,), (8,)), 2, seed=seed
        )
    if kind == "product":
        return ProductSVAE(
            mlp_encoder((6,), (8,)), mlp_decoder(5, (6,), (8,)), [3, 2], seed=seed
        )
    return SVAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3, seed=seed)


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


def test_unknown_preset_name():
    with pytest.raises(ValueError, match="Unknown preset.*Received: preset='nope'"):
        presets.load_preset("nope")


def test_list_presets_prints_a_table(capsys):
    rows = presets.list_presets()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "model", "dataset", "params", "description"]
    assert set(lines[1]) <= {"-", " "}
    assert [row["name"] for row in rows] == sorted(presets.PRESETS)
    assert len(lines) == 2 + len(rows)
    for line, row in zip(lines[2:], rows):
        assert line.split()[:4] == [
            row["name"],
            row["model"],
            row["dataset"],
            str(row["params"]),
        ]
        assert line.endswith(row["description"])
    for row in rows:
        assert row["url"].startswith(presets.BASE_URL)
        assert row["path"] == f"zoo/{row['name']}"
    assert presets.list_presets(print_table=False) == rows
    assert capsys.readouterr().out == ""


def test_name_resolves_to_zoo_env_folder(tmp_path, monkeypatch):
    model, folder = _saved(tmp_path / "zoo", name="tiny_zoo")
    monkeypatch.setitem(presets.PRESETS, "tiny_zoo", {"url": "file:///nowhere"})
    monkeypatch.setenv(presets.ZOO_ENV_VAR, str(tmp_path / "zoo"))
    assert presets.get_preset_dir("tiny_zoo") == folder
    restored = presets.load_preset("tiny_zoo")
    np.testing.assert_array_equal(_np(restored.embed(X)), _np(model.embed(X)))


def test_download_from_base_url_offline(tmp_path, monkeypatch):
    """The download path, served from a local `file://` folder."""
    model, served = _saved(tmp_path / "server", name="tiny_remote")
    monkeypatch.setitem(presets.PRESETS, "tiny_remote", {"url": "file:///nowhere"})
    monkeypatch.setenv(presets.ZOO_ENV_VAR, str(tmp_path / "empty_zoo"))
    monkeypatch.setenv(presets.URL_ENV_VAR, (tmp_path / "server").as_uri())
    restored = presets.load_preset("tiny_remote")
    np.testing.assert_array_equal(_np(restored.embed(X)), _np(model.embed(X)))
    cached = presets.get_preset_dir("tiny_remote")
    assert cached.is_relative_to(tmp_path / "cache")
    assert sorted(os.listdir(cached)) == sorted(presets.PRESET_FILES)

    # A corrupted copy on the server: the cached file is stale, the fresh
    # download fails the sha256 of the metadata.
    blob = bytearray((served / "model.weights.h5").read_bytes())
    blob[100] ^= 0xFF
    (served / "model.weights.h5").write_bytes(bytes(blob))
    (cached / "model.weights.h5").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="corrupted or incomplete"):
        presets.load_preset("tiny_remote")


def test_download_failure_is_clear(tmp_path, monkeypatch):
    monkeypatch.setitem(presets.PRESETS, "tiny_absent", {"url": "file:///nowhere"})
    monkeypatch.setenv(presets.ZOO_ENV_VAR, str(tmp_path / "empty_zoo"))
    monkeypatch.setenv(presets.URL_ENV_VAR, (tmp_path / "no_server").as_uri())
    with pytest.raises(ValueError, match="could not be downloaded"):
        presets.load_preset("tiny_absent")


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
