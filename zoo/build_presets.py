"""Train the built-in presets into zoo/<name>/ and regenerate zoo/README.md.

    KERAS_BACKEND=tensorflow python zoo/build_presets.py            # all presets
    python zoo/build_presets.py --only svae_mnist_10d
    python zoo/build_presets.py --readme-only                        # table only

Each preset is one call of `keras_hsvae.training.train` with the arguments in
`RECIPES`; the call, the versions and the final metrics land in the preset's
metadata.json, from which the README table is generated. Data comes from
`--data-dir` (default `$KERAS_HSVAE_DATA`, else `../shared/datasets` beside
the repository). Interrupted runs resume from `zoo/<name>/backup`.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ZOO = Path(__file__).resolve().parent
REPO = ZOO.parent
sys.path.insert(0, str(REPO))

# name -> arguments of keras_hsvae.training.train (output_dir is zoo/<name>).
RECIPES = {
    "svae_mnist_10d": {
        "model": "svae",
        "dataset": "binarized_mnist",
        "latent_dim": 10,
        "epochs": 10,
        "batch_size": 100,
        "beta": 1.0,
        "encoder": "mlp",
        "likelihood": "bernoulli",
        "learning_rate": 1e-3,
        "seed": 0,
    },
}

README_HEADER = """\
# Model zoo

Built-in presets of `keras_hsvae`: one folder per preset with `config.json`,
`model.weights.h5` and `metadata.json` (versions, parameter count, sha256 of
the weights, training command, final metrics), and `golden.npz` (outputs on 8
test images, recorded by `zoo/make_golden.py`, that
`tests/presets/test_preset_golden.py` checks on every backend). Load one by name:

    import keras_hsvae
    model = keras_hsvae.from_preset("svae_mnist_10d")  # or SVAE.from_preset
    rows = keras_hsvae.presets.list_presets()  # the table: `hsvae presets`

A name is looked up as a folder path first, then as `<zoo>/<name>/` in
`$KERAS_HSVAE_ZOO`, in this `zoo/` folder of a repository checkout, and in the
data distribution `keras-hsvae-zoo` that `pip install "keras-hsvae[zoo]"`
installs (this folder's presets, `fid_classifiers/` and README, without
`runs/` or the scripts; built by `pip wheel --no-deps zoo_dist`). Nothing is
downloaded unless you give a URL and the sha256 of its weights:
`keras_hsvae.from_preset("https://host/folder", sha256="...")`.

This file and every preset folder are written by `zoo/build_presets.py`
(`python zoo/build_presets.py --readme-only` regenerates the table from the
metadata). Metrics are `model.evaluate` at the posterior mode
(`training=False`): `recon` is the negative log-likelihood summed over the 784
pixels (nats), `kl` the exact KL to the prior, `loss` = recon + beta * kl,
means over the split. They are not importance-sampled log-likelihoods.
Other folders here (not presets) are described in their own READMEs.

"""


def _default_data_dir():
    env = os.environ.get("KERAS_HSVAE_DATA")
    return env or str(REPO.parent / "shared" / "datasets")


def build(name, data_dir, verbose):
    import keras

    from keras_hsvae import training

    recipe = RECIPES[name]
    command = (
        f"KERAS_BACKEND={keras.backend.backend()} python zoo/build_presets.py "
        f"--only {name}"
    )
    training.train(
        **recipe,
        output_dir=ZOO / name,
        data_dir=data_dir,
        verbose=verbose,
        training_command=command,
    )


def check_registry():
    """Each built-in entry of `PRESETS` agrees with its folder's metadata."""
    from keras_hsvae.presets import METADATA_FILE, PRESETS

    problems = []
    for name, entry in PRESETS.items():
        path = ZOO / name / METADATA_FILE
        if not path.is_file():
            problems.append(f"{name}: no {path}")
            continue
        meta = json.loads(path.read_text())
        if meta["parameter_count"] != entry["params"]:
            problems.append(
                f"{name}: PRESETS params {entry['params']} != metadata "
                f"{meta['parameter_count']}"
            )
        if meta["class_name"] != entry["model"]:
            problems.append(
                f"{name}: PRESETS model {entry['model']} != {meta['class_name']}"
            )
    return problems


def write_readme():
    paths = [ZOO / name / "metadata.json" for name in sorted(RECIPES)]
    paths = [path for path in paths if path.is_file()]
    rows = []
    for path in paths:
        meta = json.loads(path.read_text())
        m = meta["metrics"]
        args = meta.get("training_arguments", {})
        rows.append(
            "| `{}` | {} | {} | {} | {} | {} | {:,} | {:.2f} / {:.2f} | "
            "{:.2f} / {:.2f} | {:.2f} / {:.2f} | {} {} | `{}` |".format(
                path.parent.name,
                meta["class_name"],
                meta.get("dataset", ""),
                args.get("latent_dim", ""),
                m.get("epochs", ""),
                meta.get("train_examples", ""),
                meta["parameter_count"],
                m["train_loss"],
                m["test_loss"],
                m["train_reconstruction"],
                m["test_reconstruction"],
                m["train_kl"],
                m["test_kl"],
                meta["backend"],
                meta["backend_version"],
                meta["weights_sha256"][:12],
            )
        )
    header = (
        "| preset | model | dataset | latent dim | epochs | train examples | "
        "params | loss train / test | recon train / test | kl train / test | "
        "trained on | sha256 |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    commands = "\n".join(
        f"- `{p.parent.name}`: `{json.loads(p.read_text())['training_command']}`"
        for p in paths
    )
    text = README_HEADER + header + "\n".join(rows) + "\n\nCommands:\n\n" + commands
    text += "\n" + zoo_runs_section()
    (ZOO / "README.md").write_text(text + "\n")


def zoo_runs_section():
    """The presets of the long zoo runs (`zoo/publish.py`), with their cards."""
    return _table1_section() + _grey_section()


def _grey_section():
    """The HSC-VAE (001) and SAE (003) presets, from their zoo records."""
    results = REPO / "experiments" / "results"
    sys.path.insert(0, str(REPO / "experiments"))
    from write_results import section_hsc_zoo, section_sae_zoo

    parts, cards = [], []
    for claim, title, section in (
        ("hsc_vae", "HSC-VAE paper (001), MNIST, n = 128", section_hsc_zoo),
        ("sae_priors", "SAE paper (003): FID by sampling prior", section_sae_zoo),
    ):
        path = results / f"{claim}_zoo.json"
        if not path.is_file():
            continue
        record = json.loads(path.read_text())
        parts.append(f"\n## {title} (zoo runs)\n\n" + "\n".join(section(record)))
        cards += [r["preset"] for r in record["rows"]]
    if not parts:
        return ""
    links = "\n".join(f"- [`{name}`]({name}/README.md)" for name in sorted(cards))
    return "".join(parts) + "\nModel cards:\n\n" + links + "\n"


def _table1_section():
    record = REPO / "experiments" / "results" / "svae_mnist_zoo.json"
    if not record.is_file():
        return ""
    sys.path.insert(0, str(REPO / "experiments"))
    from write_results import section_svae_zoo

    record = json.loads(record.read_text())
    cards = "\n".join(
        f"- [`{r['preset']}`]({r['preset']}/README.md)"
        for r in sorted(record["rows"], key=lambda r: r["preset"])
    )
    return (
        "\n## S-VAE paper Table 1 (zoo runs)\n\n"
        "Trained by `zoo/train_zoo.py` (recipes in `zoo/recipes.json`, runs "
        "in progress in `zoo/RUNS.md`), published by `zoo/publish.py`, "
        "which evaluates each on the whole test set with `hsvae evaluate` and "
        "writes its model card. Row d: N-VAE latents in R^d, S-VAE latents on "
        "S^d in R^(d+1) (SPEC section 3).\n\n"
        + "\n".join(section_svae_zoo(record))
        + "\nModel cards:\n\n"
        + cards
        + "\n"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(RECIPES), action="append")
    parser.add_argument("--readme-only", action="store_true")
    parser.add_argument("--data-dir", default=_default_data_dir())
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.readme_only:
        for name in args.only or sorted(RECIPES):
            build(name, args.data_dir, args.verbose)
    write_readme()
    problems = check_registry()
    for problem in problems:
        print("PRESETS mismatch:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
