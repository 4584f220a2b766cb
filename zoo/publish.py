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

`--interim` publishes a run that is still training (its card says so and
gives the epoch); the run itself is not touched. Publishing again after more
training replaces the folder. `--index` regenerates the preset registry data
(`keras_hsvae/presets/zoo_presets.py`), `zoo/README.md` and the zoo section of
`docs/RESULTS.md` (through `experiments/write_results.py`) from the preset
folders.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys

import train_zoo
from make_golden import GOLDEN_FILE, NUM_IMAGES, golden_outputs

ROOT = train_zoo.ROOT
ZOO_DIR = train_zoo.ZOO_DIR
RUNS_DIR = train_zoo.RUNS_DIR
PAPER_FILE = ZOO_DIR / "paper_results.json"
REGISTRY_FILE = ROOT / "keras_hsvae" / "presets" / "zoo_presets.py"
EVALUATION_FILE = "evaluation.json"
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
    return f"R^{m} (`latent_dim` {m}, the paper's d)"


def test_images(recipe, data_dir):
    """The whole test split as the evaluation sees it (fixed binarization)."""
    from keras_hsvae import data

    if preset_dataset(recipe) == "dynamic_binarized_mnist":
        x = data.load("mnist", "test", data_dir=data_dir, as_numpy=True)
        return data.binarize(x, seed=data.TEST_BINARIZATION_SEED)
    return data.load(recipe["dataset"], "test", data_dir=data_dir, as_numpy=True)


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


def write_preset(name, interim):
    """Step 1: the preset folder from the run's best weights; returns it."""
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
    best = next(r for r in history if r["epoch"] == state["best_epoch"])
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
    return preset_dir


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
        str(NUM_TEST),
        "--num-importance-samples",
        str(NUM_IMPORTANCE_SAMPLES),
        "--metrics",
        ",".join(EVALUATION_METRICS),
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
        f"epochs, best validation loss at epoch {training['best_epoch']} "
        f"({training['epochs_without_improvement']} epochs without improvement, "
        f"the look-ahead is {training['patience']}). The run is still training; "
        "the preset and this card are replaced when it ends."
        if interim
        else f"Finished ({training['status']}) after {training['epochs']} epochs; "
        f"best validation loss at epoch {training['best_epoch']}."
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
    hours = (training["train_seconds"] + training["eval_seconds"]) / 3600
    title = f"`{name}`: {meta['class_name']}, {paper.get('source', '')}"
    text = f"""# {title}

{status}

Reproduces: {recipe.get("reproduces", "")}. Latent: {meta["latent"]}.

```python
import keras_hsvae

model = keras_hsvae.from_preset("{name}")
```

## Results on the test set

Whole MNIST test split ({results["num_examples"]:,} images), binarized once
with `keras_hsvae.data.binarize(x_test, seed={results.get("binarization_seed", "-")})`.
Paper numbers are quoted from {paper.get("source", "the paper")} (mean +- std
over 10 runs); ours are one run (seed {recipe["seed"]}).

{chr(10).join(table)}

{chr(10).join(other)}

## Protocol

- Model: `{meta["class_name"]}` with `{json.dumps(recipe.get("model_kwargs", {}))}`,
  MLP encoder 784-{"-".join(map(str, recipe["hidden"]))} (ReLU) and mirrored
  decoder, Bernoulli likelihood; {meta["parameter_count"]:,} parameters.
- Data: MNIST training images split by a seeded permutation (seed
  {recipe["validation"]["split_seed"]}) into {60000 - recipe["validation"]["size"]:,}
  for training, redrawn as Bernoulli pixels every epoch
  (`keras_hsvae.data.DynamicBinarization`, seed {recipe["seed"]}), and
  {recipe["validation"]["size"]:,} for validation, binarized once (seed
  {recipe["validation"]["binarization_seed"]}).
- Optimisation: Adam {recipe["optimizer"]["learning_rate"]}, batch
  {recipe["batch_size"]}, at most {recipe["max_epochs"]} epochs, early stopping
  with a look-ahead of {recipe["patience"]} epochs on the validation loss
  (reconstruction + KL at the posterior mode); the weights are those of the
  best epoch. Batch size, learning rate and epoch budget are our choice: the
  paper's text available here does not give them.
- Training: {training["epochs"]} epochs, {training["train_seconds"] / 3600:.2f} h
  of training plus {training["eval_seconds"] / 3600:.2f} h of validation
  ({hours:.2f} h) on the {training["backend"]} backend, {training["hardware"]},
  shared with other jobs. Evaluation: {EVALUATION_BACKEND} backend.

## Commands

    # train (starts, or resumes from zoo/runs/{name}/)
    python zoo/train_zoo.py run {name}
    # publish this folder (weights, evaluation, golden outputs, this card)
    python zoo/publish.py {"--interim " if interim else ""}{name}
    # the evaluation alone
    {evaluate_command}

## Validation log-likelihood against epochs

{_ll_curve(history)}

Versions: keras_hsvae {meta["library_version"]}, Keras {meta["keras_version"]};
weights sha256 `{meta["weights_sha256"]}`.
"""
    (preset_dir / CARD_FILE).write_text(text)


def publish(name, interim, data_dir):
    preset_dir = write_preset(name, interim)
    print(f"{name}: wrote {preset_dir}", flush=True)
    write_golden(name, preset_dir, data_dir)
    print(f"{name}: wrote {preset_dir / GOLDEN_FILE}", flush=True)
    command = evaluate(name, preset_dir, data_dir)
    print(f"{name}: wrote {preset_dir / EVALUATION_FILE}", flush=True)
    card(name, preset_dir, command)
    print(f"{name}: wrote {preset_dir / CARD_FILE}", flush=True)


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


def _description(meta, results):
    training = meta["training"]
    status = (
        f"interim, epoch {training['epochs']}"
        if training["status"] == "interim"
        else f"{training['epochs']} epochs"
    )
    ll = results["log_likelihood"]["value"]
    return (
        f"{meta['class_name']} on {meta['latent'].split(' (')[0]}, MLP "
        f"784-256-128, dynamically binarized MNIST ({status}); "
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
                "status": training["status"],
                "epochs": training["epochs"],
                "best_epoch": training["best_epoch"],
                "train_hours": round(
                    (training["train_seconds"] + training["eval_seconds"]) / 3600,
                    2,
                ),
                "backend": training["backend"],
                "hardware": training["hardware"],
                "log_likelihood": results["log_likelihood"]["value"],
                "elbo": results["elbo"],
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


README_START = "<!-- zoo-table1:start (python zoo/publish.py --index) -->"
README_END = "<!-- zoo-table1:end -->"


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
    path = ROOT / "README.md"
    text = path.read_text()
    if README_START not in text or README_END not in text:
        raise SystemExit(f"{path}: no {README_START} ... {README_END} block")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    block = f"{README_START}\n{readme_table(record)}\n{README_END}"
    path.write_text(head + block + tail)


def index():
    names = zoo_presets()
    write_registry(names)
    record = table1_record(names)
    if record["rows"]:
        path = ROOT / "experiments" / "results" / "svae_mnist_zoo.json"
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        write_readme_table(record)
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
            card(name, preset_dir, shown)
            continue
        publish(name, args.interim, args.data_dir)
    if args.index:
        index()
    return 0


if __name__ == "__main__":
    sys.exit(main())
