"""The command line (`keras_hsvae.cli`), run in-process except for one check
of `python -m keras_hsvae` in a child process."""

import dataclasses
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading

import keras
import numpy as np
import pytest

from keras_hsvae import cli, presets
from keras_hsvae.training import TrainingConfig

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


def _train_parser():
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return commands.choices["train"]


# A value other than the default for every option of `hsvae train`.
NON_DEFAULT = {
    "model": "product_svae",
    "dataset": "vmf_circle",
    "latent_dim": 6,
    "epochs": 7,
    "batch_size": 8,
    "beta": 2.5,
    "beta_schedule": "sqrt_down",
    "encoder": "conv",
    "likelihood": "bernoulli",
    "output_dir": "out/run",
    "seed": 5,
    "data_dir": "data",
    "verbose": 2,
    "max_train_examples": 99,
    "learning_rate": 0.01,
    "beta_start": 0.5,
    "beta_schedule_epochs": 4,
    "shuffle": False,
    "shell_dims": (3, 3),
    "model_kwargs": {"name": "p"},
    "overwrite": True,
    "distribute": "data_parallel",
}


def test_train_options_are_the_config_fields():
    actions = {
        action.dest: action
        for action in _train_parser()._actions
        if action.dest not in ("help", "backend")
    }
    fields = {field.name for field in dataclasses.fields(TrainingConfig)}
    # One option per field; the command is recorded by the CLI itself.
    assert set(actions) == fields - {"training_command"} == set(NON_DEFAULT)
    assert all(action.help for action in actions.values())
    assert actions["output_dir"].option_strings == ["--output"]
    assert actions["output_dir"].required

    defaults = TrainingConfig()
    argv = ["train"]
    for name, value in NON_DEFAULT.items():
        assert getattr(defaults, name) != value, name
        flag = actions[name].option_strings[0]
        if isinstance(value, bool):
            argv.append(flag if value else flag.replace("--", "--no-", 1))
        elif isinstance(value, tuple):
            argv += [flag, *map(str, value)]
        elif isinstance(value, dict):
            argv += [flag, json.dumps(value)]
        else:
            argv += [flag, str(value)]
    args = cli.build_parser().parse_args(argv)
    assert TrainingConfig.from_args(args) == TrainingConfig(**NON_DEFAULT)
    # Options left out take the config's defaults.
    args = cli.build_parser().parse_args(["train", "--output", "x"])
    assert TrainingConfig.from_args(args) == TrainingConfig(output_dir="x")


def test_train_refuses_to_resume_other_arguments(tmp_path, capsys):
    out = tmp_path / "run"
    argv = TRAIN_ARGV + ["--output", str(out)]
    # The backup of an unfinished run of `argv`.
    backup = out / "backup"
    backup.mkdir(parents=True)
    old = TrainingConfig.from_args(cli.build_parser().parse_args(argv))
    (backup / "config.json").write_text(json.dumps(old.resolved().to_dict()))
    (backup / "training_metadata.json").write_text('{"epoch": 1, "batch": 0}')

    assert cli.main(argv + ["--beta", "4.0", "--seed", "7"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hsvae train: error: ")
    assert "beta: 1.0 -> 4.0" in err[0] and "seed: 0 -> 7" in err[0]
    assert "--overwrite" in err[0] and str(backup) in err[0]
    assert (backup / "training_metadata.json").exists()


def test_missing_backend_is_one_line(monkeypatch, capsys):
    other = next(b for b in cli.BACKENDS if b != keras.backend.backend())
    # As if `other` were not installed: its import fails, find_spec is None.
    monkeypatch.setitem(sys.modules, other, None)
    assert cli.main(["--backend", other, "presets"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"hsvae: error: --backend {other} needs the {other!r}")
    assert "not installed" in err[0]
    monkeypatch.setenv("KERAS_BACKEND", other)
    assert cli.main(["presets"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"KERAS_BACKEND={other} needs" in err[0]


@pytest.mark.slow
def test_ctrl_c_prints_where_the_checkpoint_is_and_how_to_resume(tmp_path):
    backend = keras.backend.backend()
    out = tmp_path / "run"
    argv = ["train", "--model", "beta_vae", "--dataset", "vmf_circle"]
    argv += ["--latent-dim", "3", "--epochs", "100000", "--batch-size", "32"]
    argv += ["--max-train-examples", "64", "--verbose", "2", "--output", str(out)]
    env = dict(
        os.environ,
        KERAS_BACKEND=backend,
        PYTHONUNBUFFERED="1",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    epoch_ended = threading.Event()
    with open(tmp_path / "stderr.txt", "w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "keras_hsvae", *argv],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
            cwd=tmp_path,
        )

        def watch():  # drains stdout; an epoch-end line of verbose=2 has the loss
            for line in child.stdout:
                if "loss:" in line:
                    epoch_ended.set()

        reader = threading.Thread(target=watch, daemon=True)
        reader.start()
        try:
            assert epoch_ended.wait(timeout=300), "no epoch ended in 300 s"
            child.send_signal(signal.SIGINT)
            returncode = child.wait(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        reader.join(timeout=10)
        child.stdout.close()
    err = (tmp_path / "stderr.txt").read_text()
    assert returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = [line for line in err.splitlines() if line.startswith("hsvae")]
    assert len(lines) == 1, err
    match = re.fullmatch(
        r"hsvae train: interrupted after (\d+) of 100000 epochs; "
        r"checkpoint in (.+); resume with: (.+)",
        lines[0],
    )
    assert match, lines[0]
    done = int(match[1])
    assert done >= 1
    assert match[2] == str(out / "backup")
    metadata = json.loads((out / "backup" / "training_metadata.json").read_text())
    assert metadata["epoch"] == done
    command = ["python", "-m", "keras_hsvae", "--backend", backend, *argv]
    assert shlex.split(match[3]) == command
    assert not (out / "metadata.json").exists()
