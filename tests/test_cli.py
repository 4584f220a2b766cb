"""The command line (`keras_hsvae.cli`), run in-process except for one check
of `python -m keras_hsvae` in a child process."""

import json
import os
import shlex
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_hsvae import cli, presets

DEMO = cli.DEMO_PRESET


def _has_builtin():
    try:
        presets.get_preset_dir(DEMO)
    except Exception:  # no zoo folder and no network
        return False
    return True


needs_zoo = pytest.mark.skipif(
    not _has_builtin(), reason=f"the built-in preset {DEMO!r} is not available"
)


def _png_size(path):
    from matplotlib import image

    pixels = image.imread(path)
    assert pixels.std() > 0, "blank image"
    return pixels.shape[:2]


def test_presets_prints_table(capsys):
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "name" in out.splitlines()[0]
    for name in presets.PRESETS:
        assert name in out


@needs_zoo
def test_demo_and_sample_write_pngs(tmp_path, capsys):
    path = str(tmp_path / "demo" / "grid.png")
    assert cli.main(["demo", "--output", path]) == 0
    assert path in capsys.readouterr().out
    assert _png_size(path) == (600, 600)
    path = str(tmp_path / "s.png")
    assert (
        cli.main(["sample", DEMO, "--num", "9", "--seed", "3", "--output", path]) == 0
    )
    assert _png_size(path) == (600, 600)


TRAIN_ARGV = [
    "train",
    "--model",
    "svae",
    "--dataset",
    "vmf_circle",
    "--latent-dim",
    "3",
    "--epochs",
    "1",
    "--batch-size",
    "32",
    "--max-train-examples",
    "64",
    "--verbose",
    "0",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny `train` run shared by the tests below (a preset folder)."""
    folder = tmp_path_factory.mktemp("cli") / "run"
    assert cli.main(TRAIN_ARGV + ["--output", str(folder)]) == 0
    return folder


def test_train_writes_a_loadable_preset(trained):
    metadata = json.loads((trained / "metadata.json").read_text())
    argv = ["python", "-m", "keras_hsvae", *TRAIN_ARGV, "--output", str(trained)]
    assert metadata["training_command"] == shlex.join(argv)
    assert metadata["dataset"] == "vmf_circle"
    model = presets.load_preset(str(trained))
    assert model.latent_dim == 3


def test_evaluate_writes_json_and_figures(trained, tmp_path):
    out = tmp_path / "metrics.json"
    argv = ["evaluate", str(trained), "--max-examples", "50", "--metrics", "mse"]
    argv += ["--plots", str(tmp_path / "figures")]
    assert cli.main(argv + ["--output", str(out)]) == 0
    figures = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert {"reconstructions.png", "samples.png", "tsne.png"} <= set(figures)
    for name in figures:
        _png_size(str(tmp_path / "figures" / name))  # non-blank
    results = json.loads(out.read_text())
    assert results["dataset"] == "vmf_circle" and results["num_examples"] == 50
    # Independent check: the sum-over-features squared error of `reconstruct`.
    from keras_hsvae import data

    x = data.load("vmf_circle", "test", as_numpy=True)[:50]
    model = presets.load_preset(str(trained))
    expected = np.mean(
        np.sum((x - keras.ops.convert_to_numpy(model.reconstruct(x))) ** 2, -1)
    )
    assert results["mse"] == pytest.approx(float(expected), rel=1e-4)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export runs on TensorFlow here"
)
def test_export_writes_a_saved_model(trained, tmp_path):
    target = str(tmp_path / "served")
    assert cli.main(["export", str(trained), "--output", target]) == 0
    assert os.path.isfile(os.path.join(target, "saved_model.pb"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "no_such_preset"], "Unknown preset"),
        (["reconstruct", "no_such_preset"], "Unknown preset"),
    ],
)
def test_errors_are_one_line(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"hsvae {argv[0]}: error: ") and message in err[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--epochs", "0", "--output", "x"], "--epochs"),
        (["train", "--model", "gan", "--output", "x"], "--model"),
        (["train", "--beta", "-1", "--output", "x"], "--beta"),
        (["sample"], "preset"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_usage_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("hsvae") and "error:" in last and message in last


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="one child process is enough (it picks its own backend)",
)
def test_module_entry_point_reports_without_traceback(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "keras_hsvae", "--backend", "jax", "sample", "nope"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "hsvae sample: error: Unknown preset" in result.stderr
