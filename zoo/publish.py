"""Publish zoo runs as presets: weights, full test evaluation, golden outputs, card.

    python zoo/publish.py NAME [NAME ...]            # finished runs
    python zoo/publish.py --interim NAME [NAME ...]  # best weights so far
    python zoo/publish.py --index                    # registry, README, RESULTS

For each run of `zoo/train_zoo.py` (checkpoints in `zoo/runs/<name>/`), this
writes the preset folder `zoo/<name>/`:

1. `config.json`, `model.weights.h5`, `metadata.json` from the run's best
   weights (lowest validation loss; `keras_hsvae.presets.save_to_preset`),
   and the run's `history.jsonl`;
2. `evaluation.json`, written by `hsvae evaluate` (a child process on the
   TensorFlow backend) on the whole test split: 10,000 MNIST test images with
   the fixed binarization `keras_hsvae.data.binarize(x, seed=0)` for the
   dynamically binarized runs, importance-sampled LL with K = 500;
3. `golden.npz`: outputs on 8 test images (`zoo/make_golden.py`) that
   `tests/presets/test_preset_golden.py` checks on every backend;
4. the model card `README.md`: what it reproduces, our numbers beside the
   paper's (`zoo/paper_results.json`, quoted), the protocol, the commands,
   wall time, backend, hardware and the validation LL against epochs.

Grey-level presets (`"binarization": "none"`: the HSC-VAE runs of 001 and the
SAE runs of 003) have no likelihood to report: their `hsvae evaluate` takes
MSE, FID, k-NN with every one of the 60,000 training labels, replica angle
and posterior collapse, and a second file, `generation.json`
(`zoo/generation_fid.py`), compares latent samplers (HSC-VAE: the prior, the
paper's fitted vMF and the fitted Gaussians; the preset keeps the fitted
sampler of lowest self-FID) or sampling priors (SAE against the VAE of the
same dataset and latent size, `comparison_preset`). Their card is
`grey_card`.

`--interim` publishes a run that is still training (its card says so and
gives the epoch); the run itself is not touched. Publishing again after more
training replaces the folder. `--index` regenerates the preset registry data
(`keras_hsvae/presets/zoo_presets.py`), `zoo/README.md` and the zoo section of
`docs/RESULTS.md` (through `experiments/write_results.py`) from the preset
folders.
"""

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys

import generation_fid
import numpy as np
import train_zoo
from make_golden import GOLDEN_FILE, NUM_IMAGES, golden_outputs

ROOT = train_zoo.ROOT
ZOO_DIR = train_zoo.ZOO_DIR
RUNS_DIR = train_zoo.RUNS_DIR
PAPER_FILE = ZOO_DIR / "paper_results.json"
REGISTRY_FILE = ROOT / "keras_hsvae" / "presets" / "zoo_presets.py"
EVALUATION_FILE = "evaluation.json"
GENERATION_FILE = "generation.json"
MIXTURE_FIT_IMAGES = 10_000
CARD_FILE = "README.md"

NUM_TEST = 10_000
NUM_IMPORTANCE_SAMPLES = 500
EVALUATION_METRICS = (
    "elbo",
    "log_likelihood",
    "mse",
    "fid",
    "knn",
    "replica_angle",
    "posterior_collapse",
    "shells",
)
# Grey-level presets: no likelihood; k-NN on every training label (001's
# protocol): `--max-examples` covers the 60,000 training images, and the
# test split has 10,000.
GREY_EVALUATION_METRICS = (
    "mse",
    "fid",
    "knn",
    "replica_angle",
    "posterior_collapse",
)
NUM_TRAIN = 60_000
# Evaluation runs on TensorFlow: there the vMF sampler is traced once, while
# eager JAX compiles a new rejection loop per call (issue 13).
EVALUATION_BACKEND = "tensorflow"


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _git_revision():
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def hardware():
    """A one-line description of this machine (CPU count, no accelerator)."""
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} CPU cores ({cpu}), no GPU"


def preset_dataset(recipe):
    """The `keras_hsvae.data` name of the data a recipe trains on."""
    if recipe.get("binarization") == "dynamic":
        return "dynamic_binarized_mnist"
    return recipe["dataset"]


def paper_of(recipe):
    """The seed paper a recipe reproduces (`"001"` ... `"004"`)."""
    return recipe.get("reproduces", "").split(" ", 1)[0]


def comparison_preset(name):
    """The VAE an SAE preset is compared with: `sae_X` -> `betavae_X`."""
    if not name.startswith("sae_"):
        raise ValueError(f"Not an SAE preset name. Received: name={name!r}")
    return "betavae_" + name[len("sae_") :]


def latent_description(recipe):
    """Latent space in SPEC terms: ambient size and manifold dimension."""
    kwargs = recipe.get("model_kwargs", {})
    if recipe["model"] == "ProductSVAE":
        shells = kwargs["shell_dims"]
        spheres = " x ".join(f"S^{m - 1}" for m in shells)
        return (
            f"product of {len(shells)} vMF shells {spheres} (ambient size "
            f"{sum(shells)}, manifold dimension {sum(shells) - len(shells)})"
        )
    m = recipe["latent_dim"]
    if recipe["model"] == "SVAE":
        return (
            f"S^{m - 1} in R^{m} (ambient size {m} = `latent_dim`, manifold "
            f"dimension {m - 1}, the paper's d)"
        )
    if recipe["model"] == "HSCVAE":
        return (
            f"sphere of radius sqrt({m}) in R^{m} (`latent_dim` {m}, the "
            f"paper's n; manifold dimension {m - 1})"
        )
    if recipe["model"] == "SAE":
        return (
            f"unit sphere S^{m - 1} in R^{m}, centerized (`latent_dim` {m}, "
            f"manifold dimension {m - 2})"
        )
    return f"R^{m} (`latent_dim` {m}, the paper's d)"


def test_images(recipe, data_dir):
    """The whole test split as the evaluation sees it (fixed binarization)."""
    from keras_hsvae import data

    if preset_dataset(recipe) == "dynamic_binarized_mnist":
        x = data.load("mnist", "test", data_dir=data_dir, as_numpy=True)
        return data.binarize(x, seed=data.TEST_BINARIZATION_SEED)
    x = data.load(recipe["dataset"], "test", data_dir=data_dir, as_numpy=True)
    return np.asarray(x, dtype="float32")


# --------------------------------------------------------------------------
# One preset


def _read_best(run_dir, attempts=5):
    """The run's state and best weights, read while the run may be training.

    The queue replaces `best-*.npz` (and then deletes the old file) when a
    new best epoch is committed, so a read can race a deletion: read again.
    """
    for _ in range(attempts):
        state = train_zoo.read_state(run_dir)
        if state is None or not state.get("best"):
            raise SystemExit(f"{run_dir.name}: no checkpoint in {run_dir}")
        try:
            return state, train_zoo._load_arrays(run_dir / state["best"])
        except FileNotFoundError:
            continue
    raise SystemExit(f"{run_dir.name}: the best weights kept changing; retry")


def write_preset(name, interim, data_dir=None):
    """Step 1: the preset folder from the run's best weights; returns it.

    For an HSC-VAE (001) this also writes `generation.json`
    (`generation_fid.sampler_fids`) and stores in the preset the fitted
    sampler of lowest self-FID, which `generate` and `hsvae evaluate` use.
    """
    import keras

    from keras_hsvae import presets

    run_dir = RUNS_DIR / name
    state, best_weights = _read_best(run_dir)
    if not state.get("finished") and not interim:
        raise SystemExit(
            f"{name}: still training (epoch {state['epoch']}); pass --interim "
            "to publish its best weights so far"
        )
    recipe = state["recipe"]
    history = [
        r for r in train_zoo.read_history(run_dir) if r["epoch"] < state["epoch"]
    ]
    keras.utils.set_random_seed(recipe["seed"])
    model = train_zoo.build(recipe)
    model.set_weights(best_weights)
    train_zoo._set_kl_weight(model, train_zoo.kl_weight(recipe, recipe["max_epochs"]))
    if state["best_epoch"] is None:
        raise SystemExit(
            f"{name}: no epoch selected yet (its criterion, {recipe['monitor']}, "
            "has no value yet); train it longer before publishing."
        )
    best = next(r for r in history if r["epoch"] == state["best_epoch"])
    generation = None
    if train_zoo.is_grey(recipe) and paper_of(recipe) == "001":
        generation, sampler = hsc_generation(model, recipe, data_dir)
        # The baseline keeps its prior, as in 001; the HSC-VAE the best fit.
        if recipe["model"] == "HSCVAE":
            model.sampler = sampler
        else:
            generation["preset_sampler"] = "prior"
    preset_dir = ZOO_DIR / name
    if preset_dir.exists():
        shutil.rmtree(preset_dir)
    training = {
        "status": state.get("finished") or "interim",
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"] + 1,
        "epochs_without_improvement": state["epochs_without_improvement"],
        "max_epochs": recipe["max_epochs"],
        "patience": recipe["patience"],
        "train_seconds": round(sum(r["train_seconds"] for r in history), 1),
        "eval_seconds": round(sum(r.get("eval_seconds", 0) for r in history), 1),
        "backend": state.get("backend", "jax"),
        "hardware": hardware(),
    }
    presets.save_to_preset(
        model,
        preset_dir,
        training_command=f"python zoo/train_zoo.py run {name}",
        metrics={k: v for k, v in best.items() if k.startswith("val_")},
        extra={
            "preset_name": name,
            "dataset": preset_dataset(recipe),
            "reproduces": recipe.get("reproduces", ""),
            "latent": latent_description(recipe),
            "training": training,
            "recipe": recipe,
            "published_from": _git_revision(),
        },
    )
    train_zoo._write_history(preset_dir, history)
    if generation is not None:
        _write_json(preset_dir / GENERATION_FILE, generation)
    return preset_dir


def _write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


def _features(dataset):
    from keras_hsvae.evaluation import get_feature_extractor

    return get_feature_extractor(f"classifier:{dataset}")


def hsc_generation(model, recipe, data_dir):
    """`generation.json` of an HSC-VAE run and the preset's sampler.

    Returns:
        `(report, sampler)`: the report of `generation_fid.sampler_fids` with
        `"preset_sampler"` (the fitted sampler of lowest self-FID; the prior
        when no fitted one beats it) and that sampler (None: the prior).
    """
    from keras_hsvae.evaluation import describe_feature_extractor

    x_test = test_images(recipe, data_dir)
    # The mixtures are fitted to the first MIXTURE_FIT_IMAGES training images
    # (EM over all of them would cost minutes per iteration on 2 cores).
    x_train, _ = train_zoo.load_data(recipe)
    features = _features(recipe["dataset"])
    samplers = generation_fid.fitted_samplers(
        model, x_test, x_train[:MIXTURE_FIT_IMAGES]
    )
    report = generation_fid.sampler_fids(model, x_test, features, samplers)
    report["feature_extractor"] = describe_feature_extractor(features)
    scores = report["samplers"]
    best = min(scores, key=lambda k: scores[k]["self_fid"])
    report["preset_sampler"] = best
    return report, (None if best == "prior" else samplers[best][0])


def sae_generation(name, preset_dir, data_dir):
    """`generation.json` of an SAE preset against its comparison VAE."""
    from keras_hsvae import presets
    from keras_hsvae.evaluation import describe_feature_extractor

    recipe = _read_json(preset_dir / "metadata.json")["recipe"]
    other = comparison_preset(name)
    if not (ZOO_DIR / other / "metadata.json").is_file():
        raise SystemExit(f"{name}: publish its comparison VAE {other} first")
    sae = presets.load_preset(os.fspath(preset_dir))
    vae = presets.load_preset(os.fspath(ZOO_DIR / other))
    features = _features(recipe["dataset"])
    x_test = test_images(recipe, data_dir)
    report = generation_fid.prior_fids(sae, vae, x_test, features)
    report["comparison_preset"] = other
    report["comparison_epochs"] = _read_json(ZOO_DIR / other / "metadata.json")[
        "training"
    ]["epochs"]
    report["feature_extractor"] = describe_feature_extractor(features)
    _write_json(preset_dir / GENERATION_FILE, report)


def write_golden(name, preset_dir, data_dir):
    """Step 3: golden outputs of the saved preset on 8 test images."""
    import keras
    import numpy as np

    from keras_hsvae import presets

    recipe = _read_json(preset_dir / "metadata.json")["recipe"]
    images = test_images(recipe, data_dir)[:NUM_IMAGES]
    model = presets.load_preset(os.fspath(preset_dir))
    outputs = golden_outputs(model, images)
    source = (
        f"zoo/publish.py at {_git_revision()} keras {keras.__version__} "
        f"{keras.backend.backend()}"
    )
    np.savez(preset_dir / GOLDEN_FILE, source=np.array(source), **outputs)


def evaluate_command(name, preset_dir, data_dir):
    """The `hsvae evaluate` argv, and the same command as the card shows it."""
    recipe = _read_json(preset_dir / "metadata.json")["recipe"]
    grey = train_zoo.is_grey(recipe)
    metrics = GREY_EVALUATION_METRICS if grey else EVALUATION_METRICS
    command = [
        sys.executable,
        "-m",
        "keras_hsvae",
        "evaluate",
        os.fspath(preset_dir),
        "--backend",
        EVALUATION_BACKEND,
        "--data-dir",
        data_dir,
        "--max-examples",
        str(NUM_TRAIN if grey else NUM_TEST),
        "--num-importance-samples",
        str(NUM_IMPORTANCE_SAMPLES),
        "--metrics",
        ",".join(metrics),
        "--output",
        os.fspath(preset_dir / EVALUATION_FILE),
    ]
    shown = ["python", "-m", "keras_hsvae", *command[3:]]
    shown[shown.index("--data-dir") + 1] = "$KERAS_HSVAE_DATA"
    shown[4] = f"zoo/{name}"
    shown[-1] = f"zoo/{name}/{EVALUATION_FILE}"
    return command, " ".join(shown)


def evaluate(name, preset_dir, data_dir):
    """Step 2: `hsvae evaluate` on the whole test split, in a child process."""
    command, shown = evaluate_command(name, preset_dir, data_dir)
    env = {**os.environ, "KERAS_BACKEND": EVALUATION_BACKEND}
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return shown


def _fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def _ll_curve(history):
    rows = [r for r in history if "val_log_likelihood" in r]
    lines = [
        "| epoch | validation LL (1,000 images, K = 100) | validation loss |",
        "| --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['epoch'] + 1} | {r['val_log_likelihood']:.2f} | "
            f"{r['val_loss']:.2f} |"
        )
    return "\n".join(lines)


def _card_tail(name, interim, training, meta, evaluate_command, what, title, curve):
    """The end of every card: training time, commands, a curve, versions."""
    hours = (training["train_seconds"] + training["eval_seconds"]) / 3600
    return f"""\
- Training: {training["epochs"]} epochs, {training["train_seconds"] / 3600:.2f} h
  of training plus {training["eval_seconds"] / 3600:.2f} h of validation
  ({hours:.2f} h) on the {training["backend"]} backend, {training["hardware"]},
  shared with other jobs. Evaluation: {EVALUATION_BACKEND} backend.

## Commands

    # train (starts, or resumes from zoo/runs/{name}/)
    python zoo/train_zoo.py run {name}
    # publish this folder ({what})
    python zoo/publish.py {"--interim " if interim else ""}{name}
    # the evaluation alone
    {evaluate_command}

## {title}

{curve}

Versions: keras_hsvae {meta["library_version"]}, Keras {meta["keras_version"]};
weights sha256 `{meta["weights_sha256"]}`.
"""


def _criterion_name(recipe):
    """What selected the weights, in a few words."""
    if recipe.get("monitor") == "val_log_likelihood":
        return "validation log-likelihood"
    return "validation loss"


def _criterion_text(recipe):
    """What selected the weights, in full (the recipe's `monitor`), wrapped
    as the card's protocol paragraph."""
    if recipe.get("monitor") == "val_log_likelihood":
        ll = recipe["ll"]
        return (
            "the validation log-likelihood (importance-sampled, the first "
            f"{ll['examples']:,} validation images, K = {ll['samples']}, "
            f"every {ll['every']} epochs); the weights are those of the best "
            "epoch."
        )
    return (
        "the validation loss\n  (reconstruction + KL at the posterior mode); "
        "the weights are those of the\n  best epoch."
    )


def card(name, preset_dir, evaluate_command):
    """Step 4: the model card (README.md), from the files of the folder."""
    meta = _read_json(preset_dir / "metadata.json")
    results = _read_json(preset_dir / EVALUATION_FILE)
    paper = _read_json(PAPER_FILE).get(name, {})
    recipe, training = meta["recipe"], meta["training"]
    history = train_zoo.read_history(preset_dir)
    ll = results["log_likelihood"]["value"]
    elbo = results["elbo"]
    interim = training["status"] == "interim"
    status = (
        f"**Interim**: {training['epochs']} of at most {training['max_epochs']} "
        f"epochs, best {_criterion_name(recipe)} at epoch {training['best_epoch']} "
        f"({training['epochs_without_improvement']} epochs without improvement, "
        f"the look-ahead is {training['patience']}). The run is still training; "
        "the preset and this card are replaced when it ends."
        if interim
        else f"Finished ({training['status']}) after {training['epochs']} epochs; "
        f"best {_criterion_name(recipe)} at epoch {training['best_epoch']}."
    )
    gap = None if "log_likelihood" not in paper else ll - paper["log_likelihood"]
    table = [
        "| metric (test, nats) | ours | paper (quoted) | ours - paper |",
        "| --- | --- | --- | --- |",
        f"| log-likelihood, K = {results['log_likelihood']['num_importance_samples']}"
        f" | {ll:.2f} | {_fmt(paper.get('log_likelihood'))}"
        + (
            f" +- {paper['log_likelihood_std']:.2f}"
            if "log_likelihood_std" in paper
            else ""
        )
        + f" | {_fmt(gap)} |",
        f"| ELBO (one posterior draw) | {elbo['elbo']:.2f} | "
        f"{_fmt(paper.get('elbo'))} | "
        f"{_fmt(None if 'elbo' not in paper else elbo['elbo'] - paper['elbo'])} |",
        f"| reconstruction term | {elbo['reconstruction']:.2f} | "
        f"{_fmt(paper.get('re'))} | |",
        f"| KL term | {elbo['kl']:.2f} | {_fmt(paper.get('kl'))} | |",
    ]
    other = [f"- MSE (sum over pixels, mean over images): {results['mse']:.2f}"]
    if isinstance(results.get("fid"), dict):
        fid = results["fid"]
        extractor = fid["feature_extractor"].get("name", "?")
        other.append(
            f"- FID ({extractor}): samples {fid['samples']:.2f}, reconstructions "
            f"{fid['reconstructions']:.2f}, self-FID {fid['self_fid']:.2f}"
        )
    if isinstance(results.get("knn"), dict):
        knn = results["knn"]
        parts = [f"all labels {100 * knn['all_labels']:.1f} %"]
        budgets = sorted(int(k[7:]) for k in knn if k.startswith("labels_"))
        for key in (f"labels_{b}" for b in budgets):
            parts.append(f"{key[7:]} labels {100 * knn[key]['mean']:.1f} %")
        other.append("- 5-NN accuracy on latent means: " + ", ".join(parts))
    if isinstance(results.get("replica_angle"), dict):
        other.append(f"- replica angle: {results['replica_angle']['mean']:.3f} rad")
    collapse = results.get("posterior_collapse")
    if isinstance(collapse, dict):
        line = f"- active units: {collapse.get('active_units')}"
        if isinstance(collapse.get("concentration"), dict):
            line += f"; concentration mean {collapse['concentration']['mean']:.1f}"
        other.append(line)
    runs = paper.get("runs", "mean +- std over 10 runs")
    title = f"`{name}`: {meta['class_name']}, {paper.get('source', '')}"
    tail = _card_tail(
        name,
        interim,
        training,
        meta,
        evaluate_command,
        "weights, evaluation, golden outputs, this card",
        "Validation log-likelihood against epochs",
        _ll_curve(history),
    )
    text = f"""# {title}

{status}

Reproduces: {recipe.get("reproduces", "")}. Latent: {meta["latent"]}.

```python
import keras_hsvae

model = keras_hsvae.from_preset("{name}")
```

## Results on the test set

{_test_set_line(recipe, results)}
Paper numbers are quoted from {paper.get("source", "the paper")} ({runs}){
        "; " + paper["note"] if "note" in paper else ""
    }; ours are one run (seed
{recipe["seed"]}).

{chr(10).join(table)}

{chr(10).join(other)}
{_shell_section(results)}
## Protocol

- Model: `{meta["class_name"]}` with `{json.dumps(recipe.get("model_kwargs", {}))}`,
  MLP encoder 784-{"-".join(map(str, recipe["hidden"]))} (ReLU) and mirrored
  decoder, Bernoulli likelihood; {meta["parameter_count"]:,} parameters.
{_data_protocol(recipe)}
{tail}"""
    (preset_dir / CARD_FILE).write_text(text)


def _test_set_line(recipe, results):
    """The card's sentence on the test images the numbers are computed on."""
    if preset_dataset(recipe) == "dynamic_binarized_mnist":
        return (
            f"Whole MNIST test split ({results['num_examples']:,} images), "
            "binarized once\nwith `keras_hsvae.data.binarize(x_test, seed="
            f"{results.get('binarization_seed', '-')})`."
        )
    return (
        f"Whole statically binarized MNIST test split ({results['num_examples']:,}"
        "\nimages, the fixed binarization of Salakhutdinov & Murray, 2008)."
    )


def _data_protocol(recipe):
    """The card's data and optimisation bullets (Table 1 or product protocol)."""
    if preset_dataset(recipe) == "dynamic_binarized_mnist":
        validation = recipe["validation"]
        return f"""\
- Data: MNIST training images split by a seeded permutation (seed
  {validation["split_seed"]}) into {60000 - validation["size"]:,}
  for training, redrawn as Bernoulli pixels every epoch
  (`keras_hsvae.data.DynamicBinarization`, seed {recipe["seed"]}), and
  {validation["size"]:,} for validation, binarized once (seed
  {validation["binarization_seed"]}).
- Optimisation: Adam {recipe["optimizer"]["learning_rate"]}, batch
  {recipe["batch_size"]}, at most {recipe["max_epochs"]} epochs, early stopping
  with a look-ahead of {recipe["patience"]} epochs on {_criterion_text(recipe)}
  Batch size, learning rate and epoch budget are our choice: the paper's
  text available here does not give them."""
    return f"""\
- Data: statically binarized MNIST as distributed (Larochelle's `.amat`
  files): 50,000 training and 10,000 validation images, fixed pixels.
- Optimisation (004's protocol where it gives one): Adam
  {recipe["optimizer"]["learning_rate"]}, batch {recipe["batch_size"]}, at most
  {recipe["max_epochs"]} epochs, the KL weight warmed up linearly from 0 to 1
  over the first {recipe["kl_warmup_epochs"]} epochs, early stopping with a
  look-ahead of {recipe["patience"]} epochs on the validation loss
  (reconstruction + KL at the posterior mode, KL weight 1 during the warm-up
  too), not before the warm-up ends; the
  weights are those of the best epoch. Batch size and learning rate are our
  choice (004 does not give them); 004 averages 3 seeds, this is one."""


def _shell_section(results):
    """Per-shell KL and concentration of a product model (SPEC section 4)."""
    shells = results.get("shells")
    if not isinstance(shells, dict) or len(shells.get("kl", [])) < 1:
        return ""
    inactive = set(shells["inactive_shells"])
    lines = [
        "",
        "## Shells",
        "",
        "Per-shell KL to the uniform prior (test mean, nats) and concentration "
        "(mean and std over the test images). A shell whose KL is within "
        f"{shells['kl_threshold']} nats of the smallest KL its posterior can "
        "give (the floor, at kappa = 1) is ignored by the model (004, "
        "appendix B).",
        "",
        "| shell | ambient size | KL | KL floor | kappa mean | kappa std | used |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, dim in enumerate(shells["shell_dims"]):
        lines.append(
            f"| {i} | {dim} | {shells['kl'][i]:.2f} | {shells['kl_floor'][i]:.3f} | "
            f"{shells['concentration_mean'][i]:.1f} | "
            f"{shells['concentration_std'][i]:.1f} | "
            f"{'no' if i in inactive else 'yes'} |"
        )
    return "\n".join(lines) + "\n"


DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def _status(training):
    """The card's first line: interim (N of M epochs) or finished."""
    if training["status"] == "interim":
        return (
            f"**Interim, {training['epochs']} of {training['max_epochs']} "
            "epochs**: the run is still training (the paper's protocol is "
            f"{training['max_epochs']} epochs); the numbers below are those of "
            "a shorter training than the paper's, and the preset and this "
            "card are replaced when the run ends."
        )
    return f"Finished after {training['epochs']} epochs (the recipe's budget)."


def _schedule_line(recipe):
    schedule = recipe.get("beta_schedule")
    if not schedule:
        beta = recipe.get("model_kwargs", {}).get("beta")
        return "" if beta is None else f"constant beta {beta:g}"
    return (
        f"beta schedule `{schedule['schedule']}` with direction "
        f"`{schedule['direction']}`: from {schedule['end']:g} down to "
        f"{schedule['start']:g}"
        if schedule["direction"] == "decrease"
        else f"beta schedule `{schedule['schedule']}` with direction "
        f"`{schedule['direction']}`: from {schedule['start']:g} up to "
        f"{schedule['end']:g}"
    ) + (
        f" over the first {schedule['epochs']} epochs "
        f"(`keras_hsvae.callbacks.BetaSchedule(**{json.dumps(schedule)})`), "
        "then constant"
    )


def _sampler_table(generation):
    lines = [
        "| sampler | self-FID (vs reconstructions) | FID (vs test images) | "
        "what it is |",
        "| --- | --- | --- | --- |",
    ]
    for key, value in generation["samplers"].items():
        lines.append(
            f"| `{key}` | {value['self_fid']:.2f} | {value['fid']:.2f} | "
            f"{value['description']} |"
        )
    return "\n".join(lines)


def _prior_table(generation, paper):
    raw = paper.get("fid_raw", {})
    spherized = paper.get("fid_centerized_spherized", {})
    lines = [
        "| prior | ours: SAE (centerized + spherized) | ours: VAE, raw draws | "
        "ours: VAE, centerized + spherized to sqrt(d) | paper (quoted): "
        "vanilla sampling | paper (quoted): centerized + spherized |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in generation["rows"]:
        lines.append(
            f"| {r['prior']} | {r['sae']:.2f} | {r['vae_raw']:.2f} | "
            f"{r['vae_spherized']:.2f} | {_fmt(raw.get(r['prior']))} | "
            f"{_fmt(spherized.get(r['prior']))} |"
        )
    ratio = generation["ratio"]
    paper_ratio = [
        max(v.values()) / min(v.values()) if v else None for v in (raw, spherized)
    ]
    lines.append(
        f"| **max / min** | **{ratio['sae']:.3f}** | **{ratio['vae_raw']:.3f}** "
        f"| {ratio['vae_spherized']:.3f} | {_fmt(paper_ratio[0], 3)} | "
        f"{_fmt(paper_ratio[1], 3)} |"
    )
    return "\n".join(lines)


def _loss_curve(history, every=10):
    """Every `every`-th epoch and the last: beta, train and validation losses.

    The HSC-VAE's validation loss is split into its squared error and its
    unweighted regularizer (how far the latent is from the compressed prior).
    """
    split = bool(history) and "val_regularizer" in history[-1]
    header = "| epoch | beta | train loss | "
    header += (
        "validation squared error | validation regularizer (unweighted) |"
        if split
        else "validation loss |"
    )
    lines = [header, "|" + " --- |" * (5 if split else 4)]
    for r in history:
        if (r["epoch"] + 1) % every == 0 or r is history[-1]:
            values = (
                f"{r['val_reconstruction']:.3f} | {r['val_regularizer']:.3f}"
                if split
                else f"{r['val_loss']:.3f}"
            )
            lines.append(
                f"| {r['epoch'] + 1} | {r['kl_weight']:.3f} | "
                f"{r['train_loss']:.3f} | {values} |"
            )
    return "\n".join(lines)


def grey_card(name, preset_dir, evaluate_command):
    """Step 4 for a grey-level preset (HSC-VAE of 001, SAE of 003)."""
    meta = _read_json(preset_dir / "metadata.json")
    results = _read_json(preset_dir / EVALUATION_FILE)
    generation_path = preset_dir / GENERATION_FILE
    generation = _read_json(generation_path) if generation_path.is_file() else None
    paper = _read_json(PAPER_FILE).get(name, {})
    recipe, training = meta["recipe"], meta["training"]
    history = train_zoo.read_history(preset_dir)
    interim = training["status"] == "interim"
    dataset = DATASET_NAMES.get(recipe["dataset"], recipe["dataset"])
    fid = results.get("fid") if isinstance(results.get("fid"), dict) else None
    knn = results.get("knn") if isinstance(results.get("knn"), dict) else None
    angle = results.get("replica_angle")
    table = [
        "| metric (test set) | ours | paper (quoted) |",
        "| --- | --- | --- |",
        f"| MSE (sum over pixels, mean over images) | {results['mse']:.2f} | - |",
    ]
    if knn is not None:
        table.append(
            f"| 5-NN accuracy on `embed`, all {NUM_TRAIN:,} training labels | "
            f"{knn['all_labels']:.3f} | {_fmt(paper.get('knn_all_labels'))} |"
        )
    if isinstance(angle, dict):
        table.append(
            "| replica angle (mean angle to the mean test latent; 90 deg = "
            f"no island) | {math.degrees(angle['mean']):.1f} deg (std "
            f"{math.degrees(angle['std']):.1f}) | - |"
        )
    if fid is not None:
        sampler = (
            f"the preset's sampler, `{generation['preset_sampler']}`"
            if generation and "preset_sampler" in generation
            else "the preset's `generate` (its prior)"
        )
        table += [
            f"| FID of samples ({sampler}) vs test images | {fid['samples']:.2f} | - |",
            f"| self-FID of those samples (vs reconstructions) | "
            f"{fid['self_fid']:.2f} | - |",
            f"| FID of reconstructions vs test images | "
            f"{fid['reconstructions']:.2f} | - |",
        ]
    extractor = (fid or {}).get("feature_extractor", {})
    features = (
        f"FID features: `{extractor.get('name', '?')}` (the zoo's in-domain "
        f"classifier, layer `{extractor.get('layer', '?')}`), not "
        "Inception-v3: values are comparable between the zoo's presets, not "
        "with the papers'."
    )
    sections = []
    if generation is not None and "samplers" in generation:
        vmf = generation.get("fitted_vmf", {})
        sections.append(
            "## Generation by sampler (`generation.json`)\n\n"
            f"{generation['num_generated']:,} decoded samples per sampler "
            "(`zoo/generation_fid.py`: `sampler_fids`); the fitted samplers "
            "are fitted to the embeddings of the test images, as 001 fits its "
            "vMF. Fitted vMF: concentration "
            f"{vmf.get('concentration', float('nan')):.1f}, radius "
            f"{vmf.get('radius', float('nan')):.3f}. "
            + (
                "The preset keeps the fitted sampler of lowest self-FID, "
                f"`{generation['preset_sampler']}` (`model.sampler`, used by "
                "`generate`; the prior when none beats it). "
                if meta["class_name"] == "HSCVAE"
                else "The preset generates from its prior N(0, I), as 001's "
                "baseline does. "
            )
            + "001 finds generation from the fitted vMF of a compressed model "
            "far better than from a standard VAE's prior (qualitatively, "
            "Fig. 1; no MNIST FID is given).\n\n" + _sampler_table(generation)
        )
    if generation is not None and "rows" in generation:
        ratio = generation["ratio"]
        verdict = "met" if ratio["sae"] <= 1.1 else "NOT met"
        sections.append(
            "## FID by sampling prior (`generation.json`)\n\n"
            f"{generation['num_generated']:,} decoded samples per prior and "
            "model, FID against the test images (`zoo/generation_fid.py`: "
            "`prior_fids`). The VAE is the preset "
            f"[`{generation['comparison_preset']}`](../"
            f"{generation['comparison_preset']}/README.md) (same data, MLP "
            f"and latent size; {generation['comparison_epochs']} epochs), fed "
            "the same raw draws. Priors: "
            + ", ".join(
                f"{p} {json.dumps(v)}"
                for p, v in generation["prior_parameters"].items()
            )
            + f". Target (issue 9): SAE max / min <= 1.1: **{verdict}** "
            f"({ratio['sae']:.3f}; VAE fed raw draws: {ratio['vae_raw']:.3f}). "
            "Paper numbers are StyleGAN on FFHQ faces with Inception FID "
            f"({paper.get('source', '003 Table 1')}), quoted for the claim "
            "(the spread over priors), not for the values.\n\n"
            + _prior_table(generation, paper)
            + "\n\nFloors (reconstructions vs test images): "
            + ", ".join(f"{k} {v:.2f}" for k, v in generation["floors"].items())
            + "."
        )
    collapse = results.get("posterior_collapse")
    other = []
    if isinstance(collapse, dict) and "active_units" in collapse:
        other.append(
            "- active units (spread of the latent over the test set): "
            f"{collapse['active_units']} of {recipe['latent_dim']}"
        )
    p = recipe.get("model_kwargs", {}).get("p", 2.0)
    loss = (
        f"p-norm of the error, p = {p:g}"
        if recipe["model"] == "SAE"
        else "squared error (sum over pixels, mean over the batch)"
    )
    schedule = _schedule_line(recipe)
    schedule = f", {schedule}" if schedule else ""
    source = paper.get("source", recipe.get("reproduces", ""))
    tail = _card_tail(
        name,
        interim,
        training,
        meta,
        evaluate_command,
        "weights, evaluation, generation, golden outputs, card",
        "Losses against epochs",
        _loss_curve(history),
    )
    text = f"""# `{name}`: {meta["class_name"]}, {source}

{_status(training)}

Reproduces: {recipe.get("reproduces", "")}. Latent: {meta["latent"]}.

```python
import keras_hsvae

model = keras_hsvae.from_preset("{name}")
```

## Results on the test set

Whole {dataset} test split ({results["num_examples"]:,} grey-level images),
evaluated by `hsvae evaluate` (`evaluation.json`); k-NN against the
embeddings of all {NUM_TRAIN:,} training images. Ours are one run (seed
{recipe["seed"]}); paper numbers are quoted from {paper.get("source", "the paper")}.
{features}

{chr(10).join(table)}

{chr(10).join(other)}

{(chr(10) * 2).join(sections)}

## Protocol

- Model: `{meta["class_name"]}` with `{json.dumps(recipe.get("model_kwargs", {}))}`,
  MLP encoder 784-{"-".join(map(str, recipe["hidden"]))} (ReLU) and mirrored
  decoder, {loss}; {meta["parameter_count"]:,} parameters.
- Data: {dataset} training images (grey levels in [0, 1]) split by a seeded
  permutation (seed {recipe["validation"]["split_seed"]}) into
  {60000 - recipe["validation"]["size"]:,} for training and
  {recipe["validation"]["size"]:,} for validation.
- Optimisation: Adam {recipe["optimizer"]["learning_rate"]}, batch
  {recipe["batch_size"]}, {recipe["max_epochs"]} epochs{schedule}; the
  preset holds the weights of the last epoch trained (no early stopping).
{tail}"""
    (preset_dir / CARD_FILE).write_text(
        text.replace("\n\n\n\n", "\n\n").replace("\n\n\n", "\n\n")
    )


def publish(name, interim, data_dir):
    preset_dir = write_preset(name, interim, data_dir)
    print(f"{name}: wrote {preset_dir}", flush=True)
    write_golden(name, preset_dir, data_dir)
    print(f"{name}: wrote {preset_dir / GOLDEN_FILE}", flush=True)
    command = evaluate(name, preset_dir, data_dir)
    print(f"{name}: wrote {preset_dir / EVALUATION_FILE}", flush=True)
    recipe = _read_json(preset_dir / "metadata.json")["recipe"]
    if train_zoo.is_grey(recipe) and recipe["model"] == "SAE":
        sae_generation(name, preset_dir, data_dir)
        print(f"{name}: wrote {preset_dir / GENERATION_FILE}", flush=True)
    write_card(name, preset_dir, command)
    print(f"{name}: wrote {preset_dir / CARD_FILE}", flush=True)


def write_card(name, preset_dir, evaluate_command):
    """Step 4: `card` or, for a grey-level preset, `grey_card`."""
    recipe = _read_json(preset_dir / "metadata.json")["recipe"]
    render = grey_card if train_zoo.is_grey(recipe) else card
    render(name, preset_dir, evaluate_command)


# --------------------------------------------------------------------------
# Index


def zoo_presets():
    """Names of the published zoo presets (folders with a run's metadata)."""
    names = []
    for path in sorted(ZOO_DIR.glob("*/metadata.json")):
        meta = _read_json(path)
        if "recipe" in meta and (path.parent / EVALUATION_FILE).is_file():
            names.append(path.parent.name)
    return names


def _interim_label(training):
    """`"interim, N of M epochs"` or `"M epochs"` (grey-level presets)."""
    if training["status"] == "interim":
        return f"interim, {training['epochs']} of {training['max_epochs']} epochs"
    return f"{training['epochs']} epochs"


def _grey_description(name, meta, results):
    recipe = meta["recipe"]
    dataset = DATASET_NAMES.get(recipe["dataset"], recipe["dataset"])
    text = (
        f"{meta['class_name']} on {meta['latent'].split(' (')[0]}, MLP "
        f"784-256-128, {dataset} grey levels ({_interim_label(meta['training'])}); "
        f"{meta['reproduces']}. Test MSE {results['mse']:.2f}"
    )
    if isinstance(results.get("knn"), dict):
        text += f", 5-NN accuracy {results['knn']['all_labels']:.3f}"
    generation_path = ZOO_DIR / name / GENERATION_FILE
    if generation_path.is_file():
        generation = _read_json(generation_path)
        if "ratio" in generation:
            text += (
                ", FID max / min over 4 priors "
                f"{generation['ratio']['sae']:.3f} (VAE fed raw draws "
                f"{generation['ratio']['vae_raw']:.3f})"
            )
    return text + "."


def _description(meta, results):
    if train_zoo.is_grey(meta["recipe"]):
        return _grey_description(meta["preset_name"], meta, results)
    training = meta["training"]
    status = (
        f"interim, epoch {training['epochs']}"
        if training["status"] == "interim"
        else f"{training['epochs']} epochs"
    )
    ll = results["log_likelihood"]["value"]
    binarization = (
        "dynamically"
        if preset_dataset(meta["recipe"]) == "dynamic_binarized_mnist"
        else "statically"
    )
    return (
        f"{meta['class_name']} on {meta['latent'].split(' (')[0]}, MLP "
        f"784-256-128, {binarization} binarized MNIST ({status}); "
        f"{meta['reproduces']}. Test LL {ll:.2f} (K = 500)."
    )


def write_registry(names):
    entries = {}
    for name in names:
        meta = _read_json(ZOO_DIR / name / "metadata.json")
        results = _read_json(ZOO_DIR / name / EVALUATION_FILE)
        entries[name] = {
            "model": meta["class_name"],
            "description": _description(meta, results),
            "params": meta["parameter_count"],
            "dataset": meta["dataset"],
            "path": f"zoo/{name}",
        }
    lines = ["zoo_presets = {"]
    for name, entry in entries.items():
        lines.append(f"    {json.dumps(name)}: {{")
        for key, value in entry.items():
            if key == "description":
                lines.append('        "description": (')
                lines += [f"            {json.dumps(c)}" for c in _chunks(value)]
                lines.append("        ),")
            else:
                lines.append(f"        {json.dumps(key)}: {json.dumps(value)},")
        lines.append("    },")
    lines.append("}")
    text = (
        '"""Built-in presets trained by the zoo runs (generated data).\n\n'
        "Written by `python zoo/publish.py --index` from the preset folders\n"
        "`zoo/<name>/` (metadata.json, evaluation.json); do not edit by hand.\n"
        "Entries as in `svae_presets.py`.\n"
        '"""\n\n' + "\n".join(lines) + "\n"
    )
    REGISTRY_FILE.write_text(text)


def _chunks(text, width=64):
    """`text` cut at spaces into pieces of about `width` characters."""
    pieces, current = [], ""
    for word in text.split(" "):
        if current and len(current) + len(word) > width:
            pieces.append(current)
            current = ""
        current += word + " "
    pieces.append(current.rstrip())
    return pieces


def _likelihood_row(training, results):
    """The training summary and test likelihood of a binarized-MNIST preset."""
    return {
        "status": training["status"],
        "epochs": training["epochs"],
        "best_epoch": training["best_epoch"],
        "train_hours": round(
            (training["train_seconds"] + training["eval_seconds"]) / 3600, 2
        ),
        "backend": training["backend"],
        "hardware": training["hardware"],
        "log_likelihood": results["log_likelihood"]["value"],
        "elbo": results["elbo"],
    }


def table1_record(names):
    """`experiments/results/svae_mnist_zoo.json`: the S-VAE Table 1 presets."""
    rows = []
    for name in names:
        meta = _read_json(ZOO_DIR / name / "metadata.json")
        if not name.startswith(("nvae_mnist_d", "svae_mnist_d")):
            continue
        results = _read_json(ZOO_DIR / name / EVALUATION_FILE)
        training = meta["training"]
        rows.append(
            {
                "preset": name,
                "model": "S-VAE" if meta["class_name"] == "SVAE" else "N-VAE",
                "latent_dim": int(name.rsplit("_d", 1)[1]),
                **_likelihood_row(training, results),
                "knn": results.get("knn", {}),
            }
        )
    return {
        "kind": "zoo",
        "claim": "svae_mnist",
        "command": "python zoo/publish.py [--interim] NAME ...; "
        "python zoo/publish.py --index",
        "test_data": f"the {NUM_TEST:,} MNIST test images binarized once "
        "(keras_hsvae.data.binarize, seed 0)",
        "importance_samples": NUM_IMPORTANCE_SAMPLES,
        "rows": rows,
    }


def product_record(names):
    """`experiments/results/product_svae_zoo.json`: the product presets."""
    rows = []
    for name in names:
        meta = _read_json(ZOO_DIR / name / "metadata.json")
        if meta["recipe"]["model"] != "ProductSVAE":
            continue
        results = _read_json(ZOO_DIR / name / EVALUATION_FILE)
        training = meta["training"]
        shell_dims = meta["recipe"]["model_kwargs"]["shell_dims"]
        rows.append(
            {
                "preset": name,
                "shell_dims": shell_dims,
                "composition": (
                    f"{len(shell_dims)} shells {shell_dims}"
                    if len(shell_dims) > 1
                    else f"single {shell_dims}"
                ),
                **_likelihood_row(training, results),
                "max_epochs": training["max_epochs"],
                "shells": results.get("shells"),
            }
        )
    rows.sort(key=lambda r: len(r["shell_dims"]))
    return {
        "kind": "zoo",
        "claim": "product_svae",
        "command": "python zoo/publish.py [--interim] NAME ...; "
        "python zoo/publish.py --index",
        "test_data": f"the {NUM_TEST:,} statically binarized MNIST test images",
        "importance_samples": NUM_IMPORTANCE_SAMPLES,
        "rows": rows,
    }


def product_readme_table(record):
    """The README's rows for the product presets: ours beside the paper's."""
    paper = _read_json(PAPER_FILE)
    lines = [
        "| preset | shells | epochs (best) | test log p(x), K = 500 | "
        "paper (quoted) | KL per shell (nats) | status |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in record["rows"]:
        quoted = paper.get(r["preset"], {}).get("log_likelihood")
        shells = r["shells"] or {}
        kl = ", ".join(f"{v:.2f}" for v in shells.get("kl", [])) or "-"
        lines.append(
            f"| `{r['preset']}` | {r['shell_dims']} | {r['epochs']} "
            f"({r['best_epoch']}) | {r['log_likelihood']:.2f} | "
            f"{_fmt(quoted)} | {kl} | {r['status']} |"
        )
    return "\n".join(lines)


def _grey_row(name):
    """The summary of a grey-level preset for the HSC-VAE / SAE records."""
    meta = _read_json(ZOO_DIR / name / "metadata.json")
    results = _read_json(ZOO_DIR / name / EVALUATION_FILE)
    training = meta["training"]
    generation_path = ZOO_DIR / name / GENERATION_FILE
    row = {
        "preset": name,
        "model": meta["class_name"],
        "dataset": meta["dataset"],
        "latent_dim": meta["recipe"]["latent_dim"],
        "status": training["status"],
        "epochs": training["epochs"],
        "max_epochs": training["max_epochs"],
        "train_hours": round(
            (training["train_seconds"] + training["eval_seconds"]) / 3600, 2
        ),
        "backend": training["backend"],
        "hardware": training["hardware"],
        "beta_schedule": meta["recipe"].get("beta_schedule"),
        "mse": results["mse"],
        "knn_all_labels": (results.get("knn") or {}).get("all_labels"),
        "replica_angle": results.get("replica_angle"),
        "fid": results.get("fid"),
    }
    if generation_path.is_file():
        row["generation"] = _read_json(generation_path)
    return row


def grey_records(names):
    """`experiments/results/{hsc_vae,sae_priors}_zoo.json` from the presets."""
    records = {}
    for claim, paper in (("hsc_vae", "001"), ("sae_priors", "003")):
        rows = []
        for name in names:
            recipe = _read_json(ZOO_DIR / name / "metadata.json")["recipe"]
            if train_zoo.is_grey(recipe) and paper_of(recipe) == paper:
                rows.append(_grey_row(name))
        records[claim] = {
            "kind": "zoo",
            "claim": claim,
            "command": "python zoo/publish.py [--interim] NAME ...; "
            "python zoo/publish.py --index",
            "test_data": f"the {NUM_TEST:,} test images (grey levels); k-NN "
            f"against all {NUM_TRAIN:,} training images",
            "rows": rows,
        }
    return records


def grey_readme_table(records):
    """The README's rows for the HSC-VAE and SAE presets."""
    paper = _read_json(PAPER_FILE)
    lines = [
        "| preset | model | data | epochs | test MSE | 5-NN, all labels "
        "(paper, quoted) | replica angle | FID / self-FID of samples | "
        "FID max / min over 4 priors (VAE fed raw draws) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for record in records.values():
        for r in record["rows"]:
            quoted = paper.get(r["preset"], {}).get("knn_all_labels")
            knn = "-" if r["knn_all_labels"] is None else f"{r['knn_all_labels']:.3f}"
            angle = r["replica_angle"]
            fid = r["fid"] or {}
            generation = r.get("generation", {})
            samples = "-"
            if fid:
                sampler = generation.get("preset_sampler", "prior")
                samples = f"{fid['samples']:.1f} / {fid['self_fid']:.1f} ({sampler})"
            ratio = generation.get("ratio")
            epochs = (
                f"{r['epochs']} of {r['max_epochs']} (interim)"
                if r["status"] == "interim"
                else str(r["epochs"])
            )
            lines.append(
                f"| `{r['preset']}` | {r['model']} | {r['dataset']} | {epochs} | "
                f"{r['mse']:.2f} | {knn} ({_fmt(quoted)}) | "
                + (
                    f"{math.degrees(angle['mean']):.1f} deg"
                    if isinstance(angle, dict)
                    else "-"
                )
                + f" | {samples} | "
                + (f"{ratio['sae']:.3f} ({ratio['vae_raw']:.3f})" if ratio else "-")
                + " |"
            )
    return "\n".join(lines)


README_START = "<!-- zoo-table1:start (python zoo/publish.py --index) -->"
README_END = "<!-- zoo-table1:end -->"
GREY_README_START = "<!-- zoo-hsc-sae:start (python zoo/publish.py --index) -->"
GREY_README_END = "<!-- zoo-hsc-sae:end -->"
PRODUCT_README_START = "<!-- zoo-product:start (python zoo/publish.py --index) -->"
PRODUCT_README_END = "<!-- zoo-product:end -->"


def readme_table(record):
    """The README's rows for the Table 1 presets: ours beside the paper's."""
    paper = _read_json(PAPER_FILE)
    lines = [
        "| preset | model | latent | epochs (best) | test log p(x), K = 500 | "
        "paper (quoted) | status |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows = sorted(record["rows"], key=lambda r: (r["latent_dim"], r["model"]))
    for r in rows:
        d = r["latent_dim"]
        latent = f"S^{d} in R^{d + 1}" if r["model"] == "S-VAE" else f"R^{d}"
        quoted = paper.get(r["preset"], {}).get("log_likelihood")
        lines.append(
            f"| `{r['preset']}` | {r['model']} | {latent} | {r['epochs']} "
            f"({r['best_epoch']}) | {r['log_likelihood']:.2f} | "
            f"{_fmt(quoted)} | {r['status']} |"
        )
    return "\n".join(lines)


def write_readme_table(record):
    _write_readme_block(README_START, README_END, readme_table(record))


def _write_readme_block(start, end, table):
    path = ROOT / "README.md"
    text = path.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{path}: no {start} ... {end} block")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(head + f"{start}\n{table}\n{end}" + tail)


def index():
    names = zoo_presets()
    write_registry(names)
    record = table1_record(names)
    if record["rows"]:
        path = ROOT / "experiments" / "results" / "svae_mnist_zoo.json"
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        write_readme_table(record)
    product = product_record(names)
    if product["rows"]:
        path = ROOT / "experiments" / "results" / "product_svae_zoo.json"
        path.write_text(json.dumps(product, indent=2, sort_keys=True) + "\n")
        _write_readme_block(
            PRODUCT_README_START, PRODUCT_README_END, product_readme_table(product)
        )
    grey = grey_records(names)
    for claim, value in grey.items():
        if value["rows"]:
            path = ROOT / "experiments" / "results" / f"{claim}_zoo.json"
            path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
    if any(value["rows"] for value in grey.values()):
        _write_readme_block(GREY_README_START, GREY_README_END, grey_readme_table(grey))
    subprocess.run(
        [sys.executable, os.fspath(ZOO_DIR / "build_presets.py"), "--readme-only"],
        check=True,
        cwd=ROOT,
    )
    subprocess.run(
        [sys.executable, os.fspath(ROOT / "experiments" / "write_results.py")],
        check=True,
        cwd=ROOT,
    )
    print(f"registry: {len(names)} zoo presets in {REGISTRY_FILE}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument(
        "--interim", action="store_true", help="publish unfinished runs too"
    )
    parser.add_argument("--index", action="store_true", help="regenerate indexes")
    parser.add_argument(
        "--cards-only",
        action="store_true",
        help="re-render the model cards of NAMEs from their folders",
    )
    parser.add_argument("--data-dir", default=train_zoo.data_dir())
    args = parser.parse_args(argv)
    if not args.names and not args.index:
        parser.error("give run names and/or --index")
    for name in args.names:
        if args.cards_only:
            preset_dir = ZOO_DIR / name
            _, shown = evaluate_command(name, preset_dir, args.data_dir)
            write_card(name, preset_dir, shown)
            continue
        publish(name, args.interim, args.data_dir)
    if args.index:
        index()
    return 0


if __name__ == "__main__":
    sys.exit(main())
