"""The command line: `python -m keras_hsvae` and the `hsvae` console script.

Sub-commands:

    train        train a model with `fit` and save it as a preset folder
    sample       preset or folder -> PNG grid of generated images
    reconstruct  preset or folder + dataset -> PNG of originals,
                 reconstructions and samples
    export       preset or folder -> TensorFlow SavedModel
    evaluate     preset or folder + dataset -> JSON metrics (and PNG figures);
                 graph presets: link AUC / AP on the held-out links
    presets      the table of built-in presets
    demo         the README's main command: load the shipped preset, write a
                 PNG grid of samples and say where it went

The options of `train` are generated from the fields of
`keras_hsvae.training.TrainingConfig` (`hsvae train --help`). `train` is
resumable: rerunning the same command after an interruption continues from
the last finished epoch; Ctrl-C ends it with one line saying where the
checkpoint is and which command resumes it (exit status 130).

`--backend` (before or after the sub-command) picks the Keras backend; the
process re-executes itself with `KERAS_BACKEND` set when Keras was already
imported with another one. Bad arguments and failures the user can fix (a
backend that is not installed included) end with one line on stderr
(`hsvae <command>: error: ...`) and exit status 2, not a traceback.
"""

import argparse
import dataclasses
import importlib.util
import json
import os
import shlex
import sys

BACKENDS = ("tensorflow", "jax", "torch")
DEMO_PRESET = "svae_mnist_10d"
DEMO_OUTPUT = os.path.join("demo_output", "samples.png")


class CommandError(Exception):
    """An error to report as one line, without a traceback."""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _add_backend(parser):
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=argparse.SUPPRESS,
        help="Keras backend (default: $KERAS_BACKEND, else tensorflow)",
    )


def _add_preset(parser):
    parser.add_argument("preset", help="built-in preset name or preset folder")


def build_parser():
    """The `argparse` parser of the command line."""
    from keras_hsvae import training

    parser = argparse.ArgumentParser(
        prog="hsvae",
        description="Hyperspherical VAEs for Keras 3: train, sample, evaluate, export.",
    )
    _add_backend(parser)
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.required = True

    p = commands.add_parser("train", help="train a model and save a preset folder")
    _add_backend(p)
    training.TrainingConfig.add_arguments(p)

    p = commands.add_parser("sample", help="write a PNG grid of generated images")
    _add_backend(p)
    _add_preset(p)
    p.add_argument("--num", type=_positive_int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--output", default="samples.png", help="image path (.png, .jpg, ...)"
    )

    p = commands.add_parser(
        "reconstruct", help="write a PNG of originals, reconstructions and samples"
    )
    _add_backend(p)
    _add_preset(p)
    p.add_argument("--dataset", default=None, help="default: the preset's dataset")
    p.add_argument("--split", default="test")
    p.add_argument("--num", type=_positive_int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument(
        "--output", default="reconstructions.png", help="image path (.png, .jpg, ...)"
    )

    p = commands.add_parser("export", help="write a TensorFlow SavedModel")
    _add_backend(p)
    _add_preset(p)
    p.add_argument("--output", required=True, help="SavedModel folder")
    p.add_argument(
        "--overwrite", action="store_true", help="replace a SavedModel at --output"
    )

    p = commands.add_parser("evaluate", help="write metrics as JSON (and figures)")
    _add_backend(p)
    _add_preset(p)
    p.add_argument("--dataset", default=None, help="default: the preset's dataset")
    p.add_argument("--split", default="test")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--max-examples", type=_positive_int, default=1000)
    p.add_argument("--num-importance-samples", type=_positive_int, default=500)
    p.add_argument("--metrics", default=None, help="comma-separated metric names")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--binarization-seed",
        type=int,
        default=None,
        help="seed of the fixed draw of dynamic_binarized_mnist "
        "(default: keras_hsvae.data.TEST_BINARIZATION_SEED)",
    )
    p.add_argument("--output", default="metrics.json", help="JSON path")
    p.add_argument("--plots", default=None, help="folder for the PNG figures")

    p = commands.add_parser("presets", help="print the built-in presets")
    _add_backend(p)

    p = commands.add_parser("demo", help="sample the shipped preset to a PNG")
    _add_backend(p)
    p.add_argument("--preset", default=DEMO_PRESET)
    p.add_argument("--output", default=DEMO_OUTPUT)
    return parser


# -- commands -----------------------------------------------------------------


def _load(preset):
    from keras_hsvae import presets

    return presets.load_preset(preset)


def _preset_metadata(preset):
    from keras_hsvae import presets

    folder = presets.get_preset_dir(preset)
    with open(folder / "metadata.json", encoding="utf-8") as f:
        return json.load(f)


def _preset_dataset(preset, dataset):
    if dataset is not None:
        return dataset
    name = _preset_metadata(preset).get("dataset")
    if not name:
        raise CommandError(f"preset {preset!r} records no dataset; pass --dataset NAME")
    return name


def _load_images(dataset, split, data_dir, limit, binarization_seed=None):
    from keras_hsvae import data
    from keras_hsvae.data._sources import SPECS

    # Evaluation needs one fixed draw, not a fresh one per pass: the grey
    # levels of MNIST binarized once by `data.binarize` (file order, then cut).
    dynamic = dataset == "dynamic_binarized_mnist"
    source = "mnist" if dynamic else dataset
    labelled = source in SPECS and SPECS[source].has_labels
    out = data.load(
        source, split, data_dir=data_dir, with_labels=labelled, as_numpy=True
    )
    x, y = out if labelled else (out, None)
    if dynamic:
        if binarization_seed is None:
            binarization_seed = data.TEST_BINARIZATION_SEED
        x = data.binarize(x, seed=binarization_seed)
    return x[:limit], (None if y is None else y[:limit])


def _parent_dir(path):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)


def _train(args, argv):
    from keras_hsvae import training

    config = training.TrainingConfig.from_args(args)
    config = dataclasses.replace(
        config, training_command=shlex.join(["python", "-m", "keras_hsvae", *argv])
    )
    try:
        training.train(config)
    except KeyboardInterrupt:
        print(f"hsvae train: {_resume_hint(config, argv)}", file=sys.stderr)
        return 130
    print(f"preset written to {os.path.abspath(config.output_dir)}")
    return 0


def _resume_hint(config, argv):
    """Where the checkpoint of an interrupted run is and how to resume it."""
    from keras_hsvae import training

    # `--overwrite` again would delete the checkpoint; the backend is pinned
    # so that the run resumes where it started.
    argv = [arg for arg in argv if arg != "--overwrite"]
    if _requested_backend(argv) is None:
        import keras

        argv = ["--backend", keras.backend.backend(), *argv]
    command = shlex.join(["python", "-m", "keras_hsvae", *argv])
    done = training.checkpoint_epoch(config.output_dir)
    if done is None:
        return f"interrupted before the first epoch ended; start again with: {command}"
    folder = os.path.abspath(training.backup_dir(config.output_dir))
    return (
        f"interrupted after {done} of {config.epochs} epochs; checkpoint in "
        f"{folder}; resume with: {command}"
    )


def _sample(args):
    from keras_hsvae import plots

    model = _load(args.preset)
    _parent_dir(args.output)
    plots.plot_samples(model, n=args.num, seed=args.seed, path=args.output)
    print(f"{args.num} samples written to {os.path.abspath(args.output)}")


def _reconstruct(args):
    from keras_hsvae import plots

    model = _load(args.preset)
    dataset = _preset_dataset(args.preset, args.dataset)
    x, _ = _load_images(dataset, args.split, args.data_dir, args.num)
    _parent_dir(args.output)
    plots.plot_reconstructions(
        model, x, n=min(args.num, len(x)), seed=args.seed, path=args.output
    )
    print(f"reconstructions written to {os.path.abspath(args.output)}")


def _export(args):
    from keras_hsvae import export

    model = _load(args.preset)
    export.export_saved_model(model, args.output, overwrite=args.overwrite)
    print(f"SavedModel written to {os.path.abspath(args.output)}")


def _evaluate_graph(args, model, dataset):
    """Link AUC / AP (%) of a graph preset on the held-out links of its split."""
    from keras_hsvae.training import graphs

    if args.plots:
        raise CommandError("--plots: graph models have no evaluation figures")
    # The split the preset was trained on (its seed): another split would
    # score links the model saw in training.
    metadata = _preset_metadata(args.preset)
    recorded = metadata.get("training_arguments", {}).get("seed")
    seed = metadata.get("metrics", {}).get("split_seed", recorded)
    seed = args.seed if seed is None else int(seed)
    data = graphs.load_graph_data(dataset, args.data_dir, seed)
    features = data.graph.features.shape[1]
    if features != model.input_dim:
        raise CommandError(
            f"preset {args.preset!r} takes {model.input_dim} node features; "
            f"dataset {dataset!r} has {features}"
        )
    results = {
        "preset": args.preset,
        "dataset": dataset,
        "split_seed": seed,
        "num_nodes": data.graph.num_nodes,
        "num_test_links": int(len(data.split.test_edges)),
        "num_val_links": int(len(data.split.val_edges)),
        **graphs.link_metrics(model, data),
        "evaluation": "AUC / AP (%) of sigmoid(z_i . z_j) of the posterior "
        "modes on the held-out links of split_edges(graph, seed=split_seed) "
        "and as many non-links",
    }
    _parent_dir(args.output)
    with open(args.output, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(
        f"test AUC {results['test_auc']:.2f}, AP {results['test_ap']:.2f} "
        f"(split seed {seed}); metrics written to {os.path.abspath(args.output)}"
    )


def _evaluate(args):
    from keras_hsvae import evaluation, plots
    from keras_hsvae.models import GraphVAE

    model = _load(args.preset)
    dataset = _preset_dataset(args.preset, args.dataset)
    if isinstance(model, GraphVAE):
        return _evaluate_graph(args, model, dataset)
    dynamic = dataset == "dynamic_binarized_mnist"
    binarization_seed = args.binarization_seed
    if dynamic and binarization_seed is None:
        from keras_hsvae.data import TEST_BINARIZATION_SEED as binarization_seed
    x, y = _load_images(
        dataset, args.split, args.data_dir, args.max_examples, binarization_seed
    )
    kwargs = {}
    if args.metrics:
        kwargs["metrics"] = tuple(m.strip() for m in args.metrics.split(",") if m)
    train = None
    if y is not None and args.split != "train":
        train = _load_images(
            dataset, "train", args.data_dir, args.max_examples, binarization_seed
        )
    results = evaluation.evaluate_model(
        model,
        x,
        y_test=y,
        x_train=None if train is None else train[0],
        y_train=None if train is None else train[1],
        num_importance_samples=args.num_importance_samples,
        seed=args.seed,
        dataset=dataset,
        **kwargs,
    )
    results = {
        "preset": args.preset,
        "dataset": dataset,
        "split": args.split,
        "num_examples": int(len(x)),
        **({"binarization_seed": binarization_seed} if dynamic else {}),
        **results,
    }
    _parent_dir(args.output)
    with open(args.output, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(f"metrics written to {os.path.abspath(args.output)}")
    if args.plots:
        labels = None if y is None else y[:256]
        written = plots.write_figures(model, x[:256], args.plots, labels=labels)
        print(f"{len(written)} figures written to {os.path.abspath(args.plots)}")


def _presets(args):
    from keras_hsvae import presets

    print(presets.format_table(presets.list_presets()))


def _demo(args):
    from keras import ops

    from keras_hsvae import plots

    model = _load(args.preset)
    images = ops.convert_to_numpy(model.generate(64, seed=0))
    _parent_dir(args.output)
    plots.plot_image_grid(images, path=args.output)
    print(
        f"Loaded preset {args.preset!r} ({type(model).__name__}, latent_dim="
        f"{model.latent_dim}); 64 samples, pixel values in "
        f"[{images.min():.3f}, {images.max():.3f}]."
    )
    print(f"Sample grid written to {os.path.abspath(args.output)}")


COMMANDS = {
    "sample": _sample,
    "reconstruct": _reconstruct,
    "export": _export,
    "evaluate": _evaluate,
    "presets": _presets,
    "demo": _demo,
}


# -- entry point --------------------------------------------------------------


def _requested_backend(argv):
    for i, arg in enumerate(argv):
        if arg == "--backend" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


def _check_installed(backend, source):
    """Raise a one-line error when the package of `backend` is missing."""
    if backend in BACKENDS and importlib.util.find_spec(backend) is None:
        others = [b for b in BACKENDS if b != backend]
        raise CommandError(
            f"{source} needs the {backend!r} package, which is not installed "
            f"here: install it (pip install {backend}) or pick another backend "
            f"({', '.join(others)})"
        )


def _switch_backend(argv):
    """Re-execute with `KERAS_BACKEND` set when `--backend` asks for another."""
    backend = _requested_backend(argv)
    if backend is None:
        env = os.environ.get("KERAS_BACKEND")
        _check_installed(env, f"KERAS_BACKEND={env}")
        return
    if backend not in BACKENDS:
        return  # argparse reports a bad value
    _check_installed(backend, f"--backend {backend}")
    import keras

    if keras.backend.backend() == backend:
        return
    env = dict(os.environ, KERAS_BACKEND=backend)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "keras_hsvae", *argv], env)


def main(argv=None):
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _switch_backend(argv)
    except CommandError as error:
        print(f"hsvae: error: {error}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    from keras_hsvae.data import DatasetNotFoundError

    try:
        if args.command == "train":
            return _train(args, argv)
        COMMANDS[args.command](args)
    except (
        CommandError,
        DatasetNotFoundError,
        FileNotFoundError,
        # A missing optional package: keras_hsvae._optional names the extra.
        ImportError,
        NotImplementedError,
        ValueError,
    ) as error:
        message = " ".join(str(error).split())
        print(f"hsvae {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hsvae {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
