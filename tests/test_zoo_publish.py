"""zoo/publish.py and the evaluation data it relies on.

The model card and the Table 1 summary are rendered from the files of a
preset folder: checked here on a synthetic folder whose numbers are known,
against values computed by hand (ours - paper, the paper's ordering claims).
The fixed test binarization of `hsvae evaluate` is checked against
`keras_hsvae.data.binarize` where the MNIST files are at hand.
"""

import json
import math
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


def _product_folder(tmp_path, publish):
    recipe = {
        "reproduces": "004 fixed ambient space 41, shells [20, 21]",
        "model": "ProductSVAE",
        "latent_dim": 41,
        "model_kwargs": {"beta": 1.0, "shell_dims": [20, 21]},
        "dataset": "binarized_mnist",
        "binarization": "static",
        "hidden": [256, 128],
        "optimizer": {"name": "adam", "learning_rate": 0.001},
        "batch_size": 64,
        "max_epochs": 300,
        "patience": 50,
        "kl_warmup_epochs": 100,
        "seed": 0,
    }
    folder = tmp_path / "product_mnist_20_21"
    folder.mkdir()
    _write(
        folder / "metadata.json",
        {
            "class_name": "ProductSVAE",
            "parameter_count": 471000,
            "latent": publish.latent_description(recipe),
            "recipe": recipe,
            "training": {
                "status": "early_stopped",
                "epochs": 166,
                "best_epoch": 117,
                "epochs_without_improvement": 50,
                "max_epochs": 300,
                "patience": 50,
                "train_seconds": 3600.0,
                "eval_seconds": 360.0,
                "backend": "jax",
                "hardware": "2 CPU cores (x86_64), no GPU",
            },
            "library_version": "0.1.0",
            "keras_version": "3.15.1",
            "weights_sha256": "cd" * 32,
        },
    )
    _write(
        folder / "evaluation.json",
        {
            "num_examples": 10000,
            "log_likelihood": {"value": -94.0, "num_importance_samples": 500},
            "elbo": {"elbo": -99.5, "reconstruction": -70.0, "kl": 29.5},
            "mse": 20.0,
            "shells": {
                "shell_dims": [20, 21],
                "kl": [29.47, 0.031],
                "kl_floor": [0.012, 0.011],
                "concentration_mean": [150.25, 1.0],
                "concentration_std": [20.5, 0.01],
                "inactive_shells": [1],
                "kl_threshold": 0.01,
            },
        },
    )
    (folder / "history.jsonl").write_text(
        json.dumps({"epoch": 159, "val_loss": 86.0, "val_log_likelihood": -94.7}) + "\n"
    )
    return folder


def test_card_of_a_product_preset(tmp_path, publish):
    folder = _product_folder(tmp_path, publish)
    publish.card("product_mnist_20_21", folder, "python -m keras_hsvae evaluate ...")
    text = (folder / "README.md").read_text()
    # 004 B.1, the better 2-shell row: LL -93.18, ELBO -98.72 (quoted);
    # ours - paper = -94.00 + 93.18 = -0.82 and -99.50 + 98.72 = -0.78.
    assert "| log-likelihood, K = 500 | -94.00 | -93.18 | -0.82 |" in text
    assert "| ELBO (one posterior draw) | -99.50 | -98.72 | -0.78 |" in text
    assert "mean over 3 seeds" in text
    assert "statically binarized MNIST test split" in text
    assert "over the first 100 epochs" in text
    assert "validation" not in publish._test_set_line(
        _read(folder)["recipe"], {"num_examples": 10000}
    )
    # One row per shell; shell 1 is listed as inactive.
    assert "| 0 | 20 | 29.47 | 0.012 | 150.2 | 20.5 | yes |" in text
    assert "| 1 | 21 | 0.03 | 0.011 | 1.0 | 0.0 | no |" in text


def test_product_record_and_readme_row(tmp_path, publish, monkeypatch):
    _product_folder(tmp_path, publish)
    monkeypatch.setattr(publish, "ZOO_DIR", tmp_path)
    record = publish.product_record(["product_mnist_20_21"])
    (row,) = record["rows"]
    assert row["composition"] == "2 shells [20, 21]"
    assert row["shells"]["kl"] == [29.47, 0.031]
    table = publish.product_readme_table(record)
    assert (
        "| `product_mnist_20_21` | [20, 21] | 166 (117) | -94.00 | -93.18 | "
        "29.47, 0.03 | early_stopped |"
    ) in table


def _read(folder):
    return json.loads((folder / "metadata.json").read_text())


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


def _grey_recipe(model="HSCVAE"):
    recipe = {
        "reproduces": "001 (HSC-VAE) compressed model, MNIST grey levels, n = 128",
        "model": model,
        "latent_dim": 128,
        "model_kwargs": {"prior": "compressed", "beta": 1.0, "likelihood": "gaussian"},
        "dataset": "mnist",
        "binarization": "none",
        "validation": {"size": 10000, "split_seed": 0},
        "hidden": [256, 128],
        "optimizer": {"name": "adam", "learning_rate": 0.001},
        "batch_size": 100,
        "max_epochs": 300,
        "patience": 300,
        "select": "last",
        "seed": 0,
        "beta_schedule": {
            "schedule": "sqrt",
            "start": 0.0,
            "end": 1.0,
            "epochs": 100,
            "direction": "decrease",
        },
    }
    if model == "SAE":
        recipe["reproduces"] = "003 (SAE) prior-robust sampling, MNIST grey levels"
        recipe["model_kwargs"] = {}
        recipe["max_epochs"] = recipe["patience"] = 100
        del recipe["beta_schedule"]
    return recipe


def _grey_folder(tmp_path, publish, name, model, generation):
    folder = tmp_path / name
    folder.mkdir()
    recipe = _grey_recipe(model)
    training = {
        "status": "interim",
        "epochs": 40,
        "best_epoch": 40,
        "epochs_without_improvement": 0,
        "max_epochs": recipe["max_epochs"],
        "patience": recipe["patience"],
        "train_seconds": 360.0,
        "eval_seconds": 36.0,
        "backend": "jax",
        "hardware": "2 CPU cores (x86_64), no GPU",
    }
    _write(
        folder / "metadata.json",
        {
            "class_name": model,
            "preset_name": name,
            "parameter_count": 517905,
            "dataset": "mnist",
            "reproduces": recipe["reproduces"],
            "latent": publish.latent_description(recipe),
            "recipe": recipe,
            "training": training,
            "library_version": "0.1.0",
            "keras_version": "3.15.1",
            "weights_sha256": "cd" * 32,
        },
    )
    _write(
        folder / "evaluation.json",
        {
            "num_examples": 10000,
            "mse": 16.5,
            "knn": {"all_labels": 0.9712},
            "replica_angle": {"mean": math.pi / 10, "std": math.pi / 60},
            "fid": {
                "feature_extractor": {"name": "classifier:mnist", "layer": "f"},
                "samples": 31.5,
                "self_fid": 48.0,
                "reconstructions": 9.7,
            },
        },
    )
    _write(folder / "generation.json", generation)
    records = [
        {
            "epoch": e,
            "kl_weight": 1.0 - math.sqrt(e / 100),
            "train_loss": 30.0 - e / 4,
            "val_loss": 35.0 - e / 4,
            **(
                {"val_reconstruction": 20.0, "val_regularizer": 15.0 - e / 4}
                if model == "HSCVAE"
                else {}
            ),
            "train_seconds": 9.0,
        }
        for e in range(40)
    ]
    (folder / "history.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records)
    )
    return folder


def _sampler(self_fid, fid):
    return {"self_fid": self_fid, "fid": fid, "description": "d"}


def test_grey_card_of_an_hsc_vae(tmp_path, publish):
    generation = {
        "samplers": {
            "prior": _sampler(118.8, 89.6),
            "fitted_vmf": _sampler(210.8, 150.4),
            "tangent_normal": _sampler(48.0, 31.5),
        },
        "fitted_vmf": {"concentration": 1214.9, "radius": 11.3137},
        "preset_sampler": "tangent_normal",
        "num_generated": 10000,
    }
    folder = _grey_folder(tmp_path, publish, "hscvae_mnist_n128", "HSCVAE", generation)
    publish.grey_card("hscvae_mnist_n128", folder, "python -m keras_hsvae ...")
    text = (folder / "README.md").read_text()
    assert "**Interim, 40 of 300 epochs**" in text
    # 001 Fig. 1 quotes 0.88 for the compressed model.
    assert (
        "| 5-NN accuracy on `embed`, all 60,000 training labels | 0.971 | 0.88 |"
        in (text)
    )
    # pi / 10 rad = 18.0 degrees, pi / 60 = 3.0 degrees.
    assert "| 18.0 deg (std 3.0) | - |" in text
    assert "| `fitted_vmf` | 210.81 | 150.37 | d |" not in text  # not rounded
    assert "| `fitted_vmf` | 210.80 | 150.40 | d |" in text
    assert "concentration 1214.9, radius 11.314" in text
    assert "direction `decrease`: from 1 down to 0 over the first 100 epochs" in text
    # The loss table: every 10th epoch, beta = 1 - sqrt(e / 100) at e = 9,
    # the HSC-VAE's validation loss split into its two terms.
    assert "| 10 | 0.700 | 27.750 | 20.000 | 12.750 |" in text
    assert "validation regularizer (unweighted) |" in text
    assert "python zoo/publish.py --interim hscvae_mnist_n128" in text
    assert "sphere of radius sqrt(128) in R^128" in text


def test_grey_card_of_an_sae_gives_the_ratio_over_priors(tmp_path, publish):
    rows = [
        {"prior": "normal", "sae": 20.0, "vae_raw": 10.0, "vae_spherized": 10.5},
        {"prior": "uniform", "sae": 21.0, "vae_raw": 80.0, "vae_spherized": 11.0},
        {"prior": "poisson", "sae": 20.5, "vae_raw": 40.0, "vae_spherized": 10.0},
        {"prior": "chi2", "sae": 20.2, "vae_raw": 30.0, "vae_spherized": 12.0},
    ]
    generation = {
        "rows": rows,
        "ratio": {"sae": 21.0 / 20.0, "vae_raw": 8.0, "vae_spherized": 1.2},
        "floors": {"sae_reconstructions": 5.0, "vae_reconstructions": 9.0},
        "prior_parameters": {"normal": {"mean": 0.0, "stddev": 1.0}},
        "comparison_preset": "betavae_mnist_n128",
        "comparison_epochs": 120,
        "num_generated": 10000,
    }
    folder = _grey_folder(tmp_path, publish, "sae_mnist_n128", "SAE", generation)
    publish.grey_card("sae_mnist_n128", folder, "python -m keras_hsvae ...")
    text = (folder / "README.md").read_text()
    assert "**Interim, 40 of 100 epochs**" in text
    # 21 / 20 = 1.05 <= 1.1: the target is met.
    assert "SAE max / min <= 1.1: **met** (1.050; VAE fed raw draws: 8.000)" in text
    # 003 Table 1 (quoted): uniform 33.93 vanilla, 6.16 centerized+spherized.
    assert "| uniform | 21.00 | 80.00 | 11.00 | 33.93 | 6.16 |" in text
    # Paper ratios: 33.93 / 6.20 = 5.473, 6.19 / 6.12 = 1.011.
    assert "| **max / min** | **1.050** | **8.000** | 1.200 | 5.473 | 1.011 |" in text
    assert "p-norm of the error, p = 2" in text


def test_comparison_preset_and_paper_of(publish):
    assert publish.comparison_preset("sae_mnist_n128") == "betavae_mnist_n128"
    assert (
        publish.comparison_preset("sae_fashion_mnist_n128")
        == "betavae_fashion_mnist_n128"
    )
    with pytest.raises(ValueError, match="Not an SAE preset"):
        publish.comparison_preset("hscvae_mnist_n128")
    assert publish.paper_of(_grey_recipe()) == "001"
    assert publish.paper_of(_recipe()) == "002"


@pytest.mark.slow  # eager draws of four priors and their decoding: 40 s here
def test_prior_fids_on_a_tiny_model(publish):
    import generation_fid
    import keras

    from keras_hsvae.evaluation import frechet_distance_from_features
    from keras_hsvae.models import SAE, BetaVAE, mlp_decoder, mlp_encoder

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((40, 6)).astype("float32")
    sae = SAE(mlp_encoder((6,), (8,)), mlp_decoder(4, (6,), (8,)), 4)
    vae = _tiny_vae()
    features = lambda images: np.asarray(images).reshape(len(images), -1)  # noqa: E731
    report = generation_fid.prior_fids(sae, vae, x, features, seed=3)
    assert [r["prior"] for r in report["rows"]] == list(generation_fid.PRIORS)
    sae_fids = [r["sae"] for r in report["rows"]]
    assert report["ratio"]["sae"] == pytest.approx(max(sae_fids) / min(sae_fids))
    # The raw draws of the VAE column are the prior's draws, seeds 3, 4, ...
    from keras_hsvae.samplers import SphericalPriorSampler

    raw = generation_fid._numpy(
        SphericalPriorSampler(4, "uniform").sample_raw(40, seed=3)
    )
    expected = frechet_distance_from_features(
        features(generation_fid._numpy(vae.decode(raw))), features(x)
    )
    assert report["rows"][1]["vae_raw"] == pytest.approx(expected, rel=1e-6)

    with pytest.raises(ValueError, match="same latent size"):
        generation_fid.prior_fids(
            sae,
            BetaVAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3),
            x,
            features,
        )


def _tiny_vae():
    from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder

    return BetaVAE(
        mlp_encoder((6,), (8,)), mlp_decoder(4, (6,), (8,)), 4, likelihood="gaussian"
    )


@pytest.mark.slow  # eager vMF draws compile a rejection loop per call on JAX
def test_sampler_fids_on_a_tiny_model(publish):
    import generation_fid
    import keras

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((40, 6)).astype("float32")
    vae = _tiny_vae()
    features = lambda images: np.asarray(images).reshape(len(images), -1)  # noqa: E731
    x_train = np.random.default_rng(1).random((60, 6)).astype("float32")
    samplers = generation_fid.fitted_samplers(vae, x, x_train=x_train)
    fids = generation_fid.sampler_fids(vae, x, features, samplers, seed=0)
    assert sorted(fids["samplers"]) == [
        "fitted_vmf",
        "gaussian_mixture_projected",
        "gaussian_projected",
        "prior",
        "tangent_normal",
        "vmf_mixture",
    ]
    assert fids["num_generated"] == 40
    radius = np.linalg.norm(generation_fid._numpy(vae.embed(x)), axis=1).mean()
    assert fids["fitted_vmf"]["radius"] == pytest.approx(radius, rel=1e-5)
