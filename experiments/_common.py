"""Shared helpers of the reproduction scripts: presets, data, result files.

Every `experiments/<claim>.py` script:

- has full-size defaults that follow the paper, and a `--reduced` preset of
  sizes that runs in a few minutes on a 2-core CPU (explicit flags override
  the preset);
- trains its models with `keras_hsvae.training.train` (resumable presets
  under `experiments/runs/`, not committed) and evaluates them with
  `keras_hsvae.evaluation`;
- writes `experiments/results/<claim>[_reduced].json` and PNG figures under
  `docs/figures/`; `experiments/write_results.py` turns the JSON files into
  `docs/RESULTS.md`.

The backend defaults to TensorFlow (the fastest on the CPU machines); set
`KERAS_BACKEND` to override it.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "experiments" / "results"
FIGURES_DIR = ROOT / "docs" / "figures"
RUNS_DIR = ROOT / "experiments" / "runs"


def default_data_dir():
    """`$KERAS_HSVAE_DATA`, else `../shared/datasets` beside the repository."""
    return os.environ.get("KERAS_HSVAE_DATA") or str(
        ROOT.parent / "shared" / "datasets"
    )


def make_parser(description, reduced_preset):
    """An argparse parser with the common flags and a `--reduced` preset.

    Args:
        description: the script's help text.
        reduced_preset: dict of argument defaults applied by `--reduced`
            (flags given explicitly still win).

    Returns:
        The parser; call `parse(parser, reduced_preset, argv)`.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--reduced",
        action="store_true",
        help="small preset for a quick run: "
        + ", ".join(f"{k}={v}" for k, v in reduced_preset.items()),
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument(
        "--runs-dir",
        default=str(RUNS_DIR),
        help="where the trained presets go (resumable; not committed)",
    )
    parser.add_argument("--verbose", type=int, default=2, help="fit() verbosity")
    return parser


def parse(parser, reduced_preset, argv=None):
    """Parse `argv`; with `--reduced`, the preset replaces the defaults."""
    known, _ = parser.parse_known_args(argv)
    if known.reduced:
        parser.set_defaults(**reduced_preset)
    return parser.parse_args(argv)


def result_name(claim, args):
    return f"{claim}_reduced" if args.reduced else claim


def figure_path(claim, args, name):
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    return FIGURES_DIR / f"{result_name(claim, args)}_{name}.png"


def run_dir(claim, args, name):
    return Path(args.runs_dir) / result_name(claim, args) / name


def load(name, split, args, max_examples=None, with_labels=False):
    """numpy arrays of `keras_hsvae.data.load` (first `max_examples` rows)."""
    import numpy as np

    from keras_hsvae import data

    kwargs = {"data_dir": args.data_dir, "as_numpy": True, "download": False}
    if name == "dynamic_binarized_mnist":
        # One fixed draw of the pixels (the first epoch for this seed).
        kwargs["seed"] = args.seed
    out = data.load(name, split, with_labels=with_labels, **kwargs)
    if with_labels:
        x, y = out
        x, y = np.asarray(x, "float32"), np.asarray(y)
        if max_examples is not None:
            x, y = x[:max_examples], y[:max_examples]
        return x, y
    x = np.asarray(out, "float32")
    return x if max_examples is None else x[:max_examples]


def environment():
    import keras

    info = {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    return info


class Timer:
    def __init__(self):
        self.start = time.perf_counter()

    def seconds(self):
        return round(time.perf_counter() - self.start, 1)


def write_result(claim, args, payload, timer):
    """Write `experiments/results/<claim>[_reduced].json`; return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("runs_dir",)}
    settings["data_dir"] = os.path.basename(os.path.normpath(args.data_dir))
    record = {
        "claim": claim,
        "reduced": bool(args.reduced),
        "command": f"KERAS_BACKEND={os.environ['KERAS_BACKEND']} python "
        + " ".join(["experiments/" + Path(sys.argv[0]).name] + sys.argv[1:]),
        "settings": settings,
        "environment": environment(),
        "wall_seconds": timer.seconds(),
        **payload,
    }
    path = RESULTS_DIR / f"{result_name(claim, args)}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}")
    return path


def relative(path):
    """`path` relative to the repository root (for the JSON files)."""
    return os.path.relpath(path, ROOT)
