"""zoo/train_zoo.py: a stopped and resumed run ends where an uninterrupted one does."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _runner():
    spec = importlib.util.spec_from_file_location(
        "train_zoo", ROOT / "zoo" / "train_zoo.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _recipe(data_path, model="BetaVAE", **overrides):
    recipe = {
        "model": model,
        "latent_dim": 3,
        "model_kwargs": {"beta": 1.0, "likelihood": "bernoulli"},
        "dataset": f"npz:{data_path}",
        "binarization": "dynamic",
        "validation": {"size": 16, "split_seed": 0, "binarization_seed": 1},
        "input_shape": [4, 4, 1],
        "hidden": [8, 4],
        "optimizer": {"name": "adam", "learning_rate": 0.01},
        "batch_size": 16,
        "max_epochs": 3,
        "patience": 50,
        "kl_warmup_epochs": 2,
        "seed": 0,
        "jit_compile": False,
        "ll": {"every": 2, "examples": 8, "samples": 4, "seed": 0},
    }
    recipe.update(overrides)
    return recipe


@pytest.fixture
def recipes(tmp_path):
    grey = np.random.default_rng(0).random((64, 4, 4, 1)).astype("float32")
    np.savez(tmp_path / "tiny.npz", x_train=grey)
    path = tmp_path / "recipes.json"
    recipe = _recipe(tmp_path / "tiny.npz")
    recipe["preset_dir"] = str(tmp_path / "preset")
    path.write_text(json.dumps({"tiny": recipe}))
    return path


def _weights(runner, run_dir):
    state = runner.read_state(run_dir)
    return runner._load_arrays(run_dir / state["best"]), state


@pytest.mark.slow  # 40-130 s here, mostly the first compilations of the session
def test_resumed_run_equals_uninterrupted_run(tmp_path, recipes):
    runner = _runner()
    common = ["--recipes", str(recipes)]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert runner.main(["run", "tiny", "--runs-dir", str(whole), *common]) == 0
    final_whole = _weights(runner, whole / "tiny")
    # The whole run finished at max_epochs: rerunning it is a no-op.
    assert final_whole[1]["finished"] == "max_epochs"
    assert runner.main(["run", "tiny", "--runs-dir", str(whole), *common]) == 0
    assert runner.read_state(whole / "tiny")["epoch"] == 3

    # Stop after one epoch, then after another, then resume to the end.
    for _ in range(2):
        args = ["run", "tiny", "--epochs", "1", "--runs-dir", str(parts), *common]
        assert runner.main(args) == 0
    assert runner.read_state(parts / "tiny")["epoch"] == 2
    assert (
        sorted(p.name for p in (parts / "tiny").glob("*.npz"))
        == [
            "best-0002.npz",
            "optimizer-0002.npz",
            "weights-0002.npz",
        ]
        or runner.read_state(parts / "tiny")["best_epoch"] != 1
    )
    assert runner.main(["run", "tiny", "--runs-dir", str(parts), *common]) == 0
    final_parts = _weights(runner, parts / "tiny")

    for a, b in zip(final_whole[0], final_parts[0]):
        np.testing.assert_array_equal(a, b)
    history_whole = runner.read_history(whole / "tiny")
    history_parts = runner.read_history(parts / "tiny")
    assert [r["epoch"] for r in history_parts] == [0, 1, 2]
    for a, b in zip(history_whole, history_parts):
        assert a["val_loss"] == b["val_loss"]
        assert a["kl_weight"] == b["kl_weight"]
    # Linear warm-up over 2 epochs: 0, 0.5, then 1.
    assert [r["kl_weight"] for r in history_parts] == [0.0, 0.5, 1.0]
    # The LL curve is recorded every 2 epochs.
    assert ["val_log_likelihood" in r for r in history_parts] == [False, True, False]
    # The preset holds the best weights.
    preset = tmp_path / "preset"
    assert {"config.json", "model.weights.h5", "metadata.json", "history.jsonl"} <= {
        p.name for p in preset.iterdir()
    }


@pytest.mark.slow  # trains 6 epochs; first compilations of the session
def test_early_stopping_waits_for_the_warm_up(tmp_path, recipes):
    runner = _runner()
    recipe = json.loads(recipes.read_text())["tiny"]
    recipe.update(patience=1, max_epochs=6, kl_warmup_epochs=4, preset_dir=None)
    recipe["model_kwargs"]["beta"] = 1.0
    lines = []
    state_dir = tmp_path / "run"
    runner.ZOO_DIR = tmp_path  # the preset goes to tmp_path/<name>
    runner.train_run("early", recipe, state_dir, log=lines.append)
    state = runner.read_state(state_dir)
    history = runner.read_history(state_dir)
    stopped_at = state["epoch"]
    assert stopped_at >= 4  # never before the warm-up ends
    if state["finished"] == "early_stopped":
        assert stopped_at - 1 - state["best_epoch"] >= 1
    assert state["best_val_loss"] == min(r["val_loss"] for r in history)


def test_log_likelihood_monitor_selects_the_best_evaluated_epoch(tmp_path, recipes):
    runner = _runner()
    recipe = json.loads(recipes.read_text())["tiny"]
    recipe.update(
        monitor="val_log_likelihood",
        patience=3,
        max_epochs=7,
        kl_warmup_epochs=0,
        preset_dir=None,
    )
    state_dir = tmp_path / "run"
    runner.ZOO_DIR = tmp_path
    runner.train_run("ll", recipe, state_dir, log=lambda line: None)
    state = runner.read_state(state_dir)
    history = runner.read_history(state_dir)
    evaluated = [r for r in history if "val_log_likelihood" in r]
    # `ll.every` = 2: epochs 1, 3, 5 (from 0) carry a log-likelihood.
    assert [r["epoch"] for r in evaluated] == [
        e for e in range(state["epoch"]) if (e + 1) % 2 == 0
    ]
    best = max(evaluated, key=lambda r: r["val_log_likelihood"])
    assert state["best_epoch"] == best["epoch"]
    assert state["best_score"] == -best["val_log_likelihood"]
    assert state["best_val_loss"] == best["val_loss"]
    if state["finished"] == "early_stopped":
        assert state["epoch"] - 1 - state["best_epoch"] >= 3


def test_criterion_of_each_monitor():
    runner = _runner()
    record = {"val_loss": 90.0, "val_log_likelihood": -95.5}
    assert runner.criterion({}, record) == 90.0
    monitor = {"monitor": "val_log_likelihood"}
    assert runner.criterion(monitor, record) == 95.5
    assert runner.criterion(monitor, {"val_loss": 90.0}) is None
    with pytest.raises(ValueError, match="monitor"):
        runner.criterion({"monitor": "elbo"}, record)


def test_split_is_seeded_and_disjoint():
    runner = _runner()
    train, val = runner.split_train_validation(100, 20, seed=3)
    again = runner.split_train_validation(100, 20, seed=3)
    np.testing.assert_array_equal(train, again[0])
    assert len(val) == 20 and len(train) == 80
    assert set(train).isdisjoint(val) and set(train) | set(val) == set(range(100))


def test_kl_weight_warm_up():
    runner = _runner()
    recipe = {"kl_warmup_epochs": 100, "model_kwargs": {"beta": 1.0}}
    assert [runner.kl_weight(recipe, e) for e in (0, 50, 100, 200)] == [
        0.0,
        0.5,
        1.0,
        1.0,
    ]
    assert runner.kl_weight({"model_kwargs": {}}, 0) == 1.0


def test_recipes_follow_the_paper_conventions():
    recipes = _runner().load_recipes()
    for d in (2, 5, 10, 20, 40):
        nvae, svae = recipes[f"nvae_mnist_d{d}"], recipes[f"svae_mnist_d{d}"]
        # 002: N-VAE row d in R^d, S-VAE row d on S^d in R^(d+1).
        assert (nvae["model"], nvae["latent_dim"]) == ("BetaVAE", d)
        assert (svae["model"], svae["latent_dim"]) == ("SVAE", d + 1)
        for recipe in (nvae, svae):
            assert recipe["hidden"] == [256, 128]
            assert recipe["binarization"] == "dynamic"
            assert recipe["validation"]["size"] == 10000
    for name in (
        "product_mnist_41",
        "product_mnist_20_21",
        "product_mnist_10_10_10_11",
    ):
        recipe = recipes[name]
        assert sum(recipe["model_kwargs"]["shell_dims"]) == 41
        assert (recipe["max_epochs"], recipe["kl_warmup_epochs"]) == (300, 100)
        assert recipe["patience"] == 50


def test_kl_weight_follows_a_recipe_beta_schedule():
    runner = _runner()
    # The HSC-VAE recipe's sqrt stage, falling from 1 to 0 over 100 epochs:
    # beta(e) = 1 - sqrt(e / 100), then 0.
    recipe = {
        "beta_schedule": {
            "schedule": "sqrt",
            "start": 0.0,
            "end": 1.0,
            "epochs": 100,
            "direction": "decrease",
        },
        "kl_warmup_epochs": 0,
        "model_kwargs": {"beta": 1.0},
    }
    weights = [runner.kl_weight(recipe, e) for e in (0, 1, 25, 64, 100, 250)]
    assert weights == pytest.approx([1.0, 0.9, 0.5, 0.2, 0.0, 0.0], abs=1e-12)
    recipe["beta_schedule"]["direction"] = "increase"
    assert runner.kl_weight(recipe, 25) == pytest.approx(0.5)
    assert runner.kl_weight(recipe, 4) == pytest.approx(0.2)


def test_validation_loss_of_each_model_family():
    runner = _runner()
    # VAEs: reconstruction + KL; HSC-VAE: + unweighted regularizer; SAE: alone.
    assert runner.validation_loss({"reconstruction": 90.0, "kl": 20.5}) == 110.5
    hsc = {"reconstruction": 20.0, "regularizer": 1.25, "loss": 20.3}
    assert runner.validation_loss(hsc) == 21.25
    assert runner.validation_loss({"reconstruction": 2.5, "loss": 2.5}) == 2.5


def test_grey_recipes_keep_grey_levels(tmp_path):
    runner = _runner()
    grey = np.random.default_rng(0).random((64, 4, 4, 1)).astype("float32")
    np.savez(tmp_path / "tiny.npz", x_train=grey)
    recipe = _recipe(
        tmp_path / "tiny.npz",
        binarization="none",
        validation={"size": 16, "split_seed": 0},
    )
    x_train, x_val = runner.load_data(recipe)
    train_idx, val_idx = runner.split_train_validation(64, 16, 0)
    np.testing.assert_array_equal(x_val, grey[val_idx])
    np.testing.assert_array_equal(x_train, grey[train_idx])
    batches = runner.training_batches(recipe, x_train)
    # The order of DynamicBinarization (seeded per epoch), no Bernoulli draw.
    batches.epoch = 3
    order = np.random.default_rng([0, 3]).permutation(48)
    np.testing.assert_array_equal(batches[1], x_train[order[16:32]])
    assert len(batches) == 3
    # Binarized recipes still get Bernoulli draws.
    binary = runner.training_batches(_recipe(tmp_path / "tiny.npz"), x_train)
    assert set(np.unique(binary[0])) <= {0.0, 1.0}


@pytest.mark.slow  # trains 2 epochs of an HSC-VAE; first compilations
def test_select_last_keeps_the_last_epoch(tmp_path):
    runner = _runner()
    grey = np.random.default_rng(0).random((64, 4, 4, 1)).astype("float32")
    np.savez(tmp_path / "tiny.npz", x_train=grey)
    recipe = _recipe(
        tmp_path / "tiny.npz",
        model="HSCVAE",
        latent_dim=4,
        model_kwargs={"prior": "compressed", "beta": 1.0, "likelihood": "gaussian"},
        binarization="none",
        validation={"size": 16, "split_seed": 0},
        beta_schedule={
            "schedule": "sqrt",
            "start": 0.0,
            "end": 1.0,
            "epochs": 4,
            "direction": "decrease",
        },
        select="last",
        max_epochs=2,
        patience=2,
        kl_warmup_epochs=0,
        preset_dir=str(tmp_path / "preset"),
    )
    del recipe["ll"]
    state_dir = tmp_path / "run"
    assert runner.train_run("hsc", recipe, state_dir, log=print) == "finished"
    state = runner.read_state(state_dir)
    history = runner.read_history(state_dir)
    assert (state["epoch"], state["best_epoch"], state["finished"]) == (
        2,
        1,
        "max_epochs",
    )
    assert [r["kl_weight"] for r in history] == pytest.approx([1.0, 0.5])
    assert state["best_val_loss"] == history[-1]["val_loss"]
    assert {"val_regularizer", "val_reconstruction"} <= set(history[-1])
