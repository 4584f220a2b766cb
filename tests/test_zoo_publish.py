"""zoo/publish.py and the evaluation data it relies on.

The model card and the Table 1 summary are rendered from the files of a
preset folder: checked here on a synthetic folder whose numbers are known,
against values computed by hand (ours - paper, the paper's ordering claims).
The fixed test binarization of `hsvae evaluate` is checked against
`keras_hsvae.data.binarize` where the MNIST files are at hand.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_hsvae import cli, data

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = os.environ.get("KERAS_HSVAE_DATA") or str(
    ROOT.parent / "shared" / "datasets"
)


@pytest.fixture(scope="module")
def publish():
    sys.path.insert(0, str(ROOT / "zoo"))
    sys.path.insert(0, str(ROOT / "experiments"))
    try:
        import publish

        yield publish
    finally:
        sys.path.remove(str(ROOT / "zoo"))
        sys.path.remove(str(ROOT / "experiments"))


def _write(path, value):
    path.write_text(json.dumps(value))


def _recipe():
    return {
        "reproduces": "002 Table 1, S-VAE d = 10 (latents on S^10 in R^11)",
        "model": "SVAE",
        "latent_dim": 11,
        "model_kwargs": {"beta": 1.0, "posterior": "vmf"},
        "binarization": "dynamic",
        "dataset": "mnist",
        "validation": {"size": 10000, "split_seed": 0, "binarization_seed": 1},
        "hidden": [256, 128],
        "optimizer": {"name": "adam", "learning_rate": 0.001},
        "batch_size": 64,
        "max_epochs": 1000,
        "patience": 50,
        "seed": 0,
    }


@pytest.fixture
def folder(tmp_path, publish):
    folder = tmp_path / "svae_mnist_d10"
    folder.mkdir()
    training = {
        "status": "interim",
        "epochs": 80,
        "best_epoch": 78,
        "epochs_without_improvement": 2,
        "max_epochs": 1000,
        "patience": 50,
        "train_seconds": 3600.0,
        "eval_seconds": 360.0,
        "backend": "jax",
        "hardware": "2 CPU cores (x86_64), no GPU",
    }
    _write(
        folder / "metadata.json",
        {
            "class_name": "SVAE",
            "parameter_count": 471453,
            "latent": publish.latent_description(_recipe()),
            "recipe": _recipe(),
            "training": training,
            "library_version": "0.1.0",
            "keras_version": "3.15.1",
            "weights_sha256": "ab" * 32,
        },
    )
    _write(
        folder / "evaluation.json",
        {
            "num_examples": 10000,
            "binarization_seed": 0,
            "log_likelihood": {"value": -94.5, "num_importance_samples": 500},
            "elbo": {"elbo": -99.0, "reconstruction": -79.0, "kl": 20.0},
            "mse": 23.0,
        },
    )
    records = [
        {"epoch": e, "val_loss": 100.0 - e / 10, "train_seconds": 45.0}
        for e in range(80)
    ]
    records[19]["val_log_likelihood"] = -101.25
    records[39]["val_log_likelihood"] = -98.5
    (folder / "history.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records)
    )
    return folder


def test_card_puts_our_numbers_beside_the_paper(folder, publish):
    publish.card("svae_mnist_d10", folder, "python -m keras_hsvae evaluate ...")
    text = (folder / "README.md").read_text()
    # 002 Table 1, S-VAE d = 10: LL -93.16 +- 0.31, ELBO -97.70 (quoted).
    assert "| log-likelihood, K = 500 | -94.50 | -93.16 +- 0.31 | -1.34 |" in text
    assert "| ELBO (one posterior draw) | -99.00 | -97.70 | -1.30 |" in text
    assert "**Interim**: 80 of at most 1000 epochs" in text
    assert "ambient size 11 = `latent_dim`, manifold dimension 10" in text
    # The LL-against-epochs table lists the epochs that have an LL, 1-based.
    assert "| 20 | -101.25 | 98.10 |" in text
    assert "| 40 | -98.50 | 96.10 |" in text
    assert "python zoo/publish.py --interim svae_mnist_d10" in text


def test_latent_description_follows_the_paper_convention(publish):
    nvae = {"model": "BetaVAE", "latent_dim": 5}
    assert publish.latent_description(nvae).startswith("R^5 ")
    svae = {"model": "SVAE", "latent_dim": 3}
    assert publish.latent_description(svae).startswith("S^2 in R^3 ")
    product = {"model": "ProductSVAE", "model_kwargs": {"shell_dims": [20, 21]}}
    assert publish.latent_description(product).startswith("product of 2 vMF shells")
    assert "S^19 x S^20" in publish.latent_description(product)
    assert "manifold dimension 39" in publish.latent_description(product)


def _row(d, model, ll):
    return {"latent_dim": d, "model": model, "log_likelihood": ll}


def test_table1_ordering_checks_the_paper_claims(publish):
    from write_results import table1_ordering

    rows = [
        _row(2, "N-VAE", -136.0),
        _row(2, "S-VAE", -133.0),  # S better: as in the paper
        _row(40, "N-VAE", -90.0),
        _row(40, "S-VAE", -89.5),  # S better at d = 40: not as in the paper
    ]
    lines = table1_ordering(rows)
    assert lines[0] == (
        "- d = 2: paper S-VAE better; ours S-VAE better by 3.00 nats (as in the paper)."
    )
    assert lines[1] == "- d = 5: paper S-VAE better; ours not published yet."
    assert lines[3] == (
        "- d = 40: paper N-VAE better; ours S-VAE better by 0.50 nats "
        "(NOT as in the paper)."
    )


def _has_mnist():
    return (Path(DATA_DIR) / "mnist").is_dir()


@pytest.mark.skipif(not _has_mnist(), reason=f"no MNIST under {DATA_DIR}")
def test_evaluate_uses_the_fixed_test_binarization():
    x, y = cli._load_images("dynamic_binarized_mnist", "test", DATA_DIR, 50)
    grey = data.load("mnist", "test", data_dir=DATA_DIR, as_numpy=True)
    expected = data.binarize(grey, seed=data.TEST_BINARIZATION_SEED)[:50]
    np.testing.assert_array_equal(x, expected)
    assert y.shape == (50,)
    # Another seed, another draw; the same seed, the same draw.
    other, _ = cli._load_images("dynamic_binarized_mnist", "test", DATA_DIR, 50, 1)
    assert not np.array_equal(other, x)
    again, _ = cli._load_images("dynamic_binarized_mnist", "test", DATA_DIR, 50)
    np.testing.assert_array_equal(again, x)
