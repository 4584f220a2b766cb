"""`hsvae train` / `hsvae evaluate` with the graph auto-encoders.

A random 40-node graph in Planetoid files stands in for Cora. The AUC the
command reports is recomputed here from the preset's embeddings with the
Mann-Whitney rank formula (not scikit-learn's metric, which it uses).
"""

import json

import keras
import numpy as np
import pytest
from graph_files import write_random_planetoid

from keras_hsvae import cli, data, presets
from keras_hsvae.models import NVGAE, SVGAE, graph_inputs
from keras_hsvae.training import TrainingConfig


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("graphs")
    write_random_planetoid(root / "cora-planetoid")
    return root


def _auc(positive, negative):
    """P(score of a link > score of a non-link), ties counted 1/2."""
    diff = positive[:, None] - negative[None, :]
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


def _sigmoid_scores(z, pairs):
    return 1 / (1 + np.exp(-np.sum(z[pairs[:, 0]] * z[pairs[:, 1]], -1)))


def _train_and_evaluate(model, data_dir, tmp_path, capsys, seed):
    out = tmp_path / "run"
    argv = ["train", "--model", model, "--dataset", "cora", "--data-dir",
            str(data_dir), "--latent-dim", "3", "--epochs", "2", "--seed",
            str(seed), "--learning-rate", "0.01", "--model-kwargs",
            '{"hidden_dim": 8}', "--verbose", "0", "--output", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    metrics_path = tmp_path / "metrics.json"
    argv = ["evaluate", str(out), "--data-dir", str(data_dir), "--output",
            str(metrics_path)]  # fmt: skip
    assert cli.main(argv) == 0
    assert "test AUC" in capsys.readouterr().out
    return out, json.loads(metrics_path.read_text())


@pytest.mark.parametrize(
    "name, cls",
    [("nvgae", NVGAE), pytest.param("svgae", SVGAE, marks=pytest.mark.slow)],
)
def test_train_and_evaluate_a_graph_preset(name, cls, data_dir, tmp_path, capsys):
    seed = 3
    out, metrics = _train_and_evaluate(name, data_dir, tmp_path, capsys, seed)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["dataset"] == "cora" and meta["model_name"] == name
    assert meta["training_arguments"]["likelihood"] is None
    model = presets.load_preset(out)
    assert type(model) is cls and model.hidden_dim == 8 and model.latent_dim == 3
    assert np.isfinite(meta["metrics"]["train_loss"])

    # `evaluate` scores the split of the preset's seed, not of --seed 0.
    graph = data.load("cora", data_dir=data_dir)
    split = data.split_edges(graph, None, seed=seed)
    assert metrics["split_seed"] == seed
    assert metrics["num_test_links"] == len(split.test_edges) == 11
    inputs = graph_inputs(graph.features, split.train_adjacency())
    z = np.asarray(keras.ops.convert_to_numpy(model.embed(inputs))[0], np.float64)
    for name_, pos, neg in (
        ("test", split.test_edges, split.test_non_edges),
        ("val", split.val_edges, split.val_non_edges),
    ):
        expected = 100 * _auc(_sigmoid_scores(z, pos), _sigmoid_scores(z, neg))
        assert metrics[f"{name_}_auc"] == pytest.approx(expected, abs=1e-6)
        # The preset's metrics (at the end of training) are the same numbers.
        assert meta["metrics"][f"{name_}_auc"] == pytest.approx(expected, abs=1e-6)
        assert meta["metrics"][f"{name_}_ap"] == pytest.approx(
            metrics[f"{name_}_ap"], abs=1e-6
        )


def test_graph_configs_are_checked(capsys, tmp_path):
    with pytest.raises(ValueError, match="must be a graph .*Received: dataset='mnist'"):
        TrainingConfig("svgae", "mnist")
    with pytest.raises(ValueError, match="is a graph: train a graph model"):
        TrainingConfig("svae", "cora")
    with pytest.raises(ValueError, match="Received: likelihood='gaussian'"):
        TrainingConfig("nvgae", "cora", likelihood="gaussian")
    assert (
        TrainingConfig("svgae_power_spherical", "pubmed").resolved().likelihood is None
    )
    argv = ["train", "--model", "nvgae", "--dataset", "mnist", "--output",
            str(tmp_path / "x")]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and "hsvae train: error: `dataset` must be a graph" in err
    )
