"""Link prediction on Cora: N-VGAE vs S-VGAE (S-VAE paper 002, Table 4).

Protocol of Kipf & Welling (2016), which the paper follows: the link split
of `keras_hsvae.data.split_edges` (5 % validation, 10 % test links and as
many non-links), a GCN encoder with 32 hidden units, latent size 16, full
batch, Adam with learning rate 0.01, 200 epochs; AUC and AP of
`sigmoid(z_i . z_j)` of the posterior modes on the test links. Each seed
draws its own split and initialization. The S-VGAE's latent is S^16 in
R^17 (SPEC: the paper's `d` is the manifold dimension), the N-VGAE's R^16.

Issue #12 protocol (the defaults): the posterior heads of Kipf & Welling's
code (`GraphVAE(heads="kipf")`: no bias, a Gaussian's scale `exp(head)`)
and model selection on the validation links: the weights of the epoch with
the best validation AUC + AP are the ones scored on the test links (the
test links never choose). `--select last --heads dense` is the protocol
before issue #12 (the last epoch's weights, the posteriors' own heads).
Every row also holds both selections ("last", "val") at the budget and at
each epoch of `--report-within`. A protocol other than the defaults writes
its own `graph_vae_cora_<protocol>.json`.

Writes `experiments/results/graph_vae_cora[_reduced].json`, the figure
`docs/figures/graph_vae_cora[_reduced]_embeddings.png` (the paper's Figure 3:
an N-VGAE with latent R^2 and an S-VGAE on S^2, Hammer projection, coloured
by class; seed 0) and, with `--save-presets`, the seed-0 models as the zoo
presets `zoo/ngvae_cora` and `zoo/sgvae_cora`.

    python experiments/graph_vae_cora.py                  # 2 x 5 runs
    python experiments/graph_vae_cora.py --save-presets   # + zoo presets
    python experiments/graph_vae_cora.py --reduced        # 2 x 2 runs, 20 epochs
    python experiments/graph_vae_cora.py --select last --heads dense --no-figure
    python experiments/graph_vae_cora.py --select val --epochs 500 \
        --report-within 200 --heads dense --no-figure
"""

import json
import time

from _common import (
    ROOT,
    Timer,
    figure_path,
    make_parser,
    parse,
    relative,
    run_dir,
    write_result,
)

CLAIM = "graph_vae_cora"
REDUCED = {"epochs": 20, "num_seeds": 2}
# 002 Table 4, Cora (mean +- std over runs, in %).
PAPER = {
    "N-VGAE": {"auc": (92.7, 0.2), "ap": (93.2, 0.4)},
    "S-VGAE": {"auc": (94.1, 0.1), "ap": (94.1, 0.3)},
}
PRESETS = {"N-VGAE": "ngvae_cora", "S-VGAE": "sgvae_cora"}


def build(kind, input_dim, latent_dim, hidden_dim, seed, heads="dense"):
    from keras_hsvae.models import NVGAE, SVGAE

    if kind == "N-VGAE":
        return NVGAE(input_dim, latent_dim, hidden_dim, heads=heads, seed=seed)
    # S^d in R^(d+1): the ambient size is the paper's d plus one.
    return SVGAE(input_dim, latent_dim + 1, hidden_dim, heads=heads, seed=seed)


def link_scores(model, inputs, edges, non_edges):
    """`evaluate_link_prediction` from one embedding pass (per-epoch use)."""
    import keras
    import numpy as np

    from keras_hsvae.evaluation import link_prediction_scores

    z = np.asarray(keras.ops.convert_to_numpy(model.embed(inputs))[0], np.float64)

    def scores(pairs):
        pairs = np.asarray(pairs)
        return 1.0 / (1.0 + np.exp(-np.sum(z[pairs[:, 0]] * z[pairs[:, 1]], axis=1)))

    return link_prediction_scores(scores(edges), scores(non_edges))


def make_selection_callback(inputs, split, horizons, patience):
    """A callback that follows the validation links epoch by epoch.

    After every epoch it scores the validation links (AUC + AP of the
    posterior modes) and keeps the weights of the best epoch so far. At
    each epoch `h` of `horizons` it freezes two candidates: the weights of
    that epoch ("last", the Kipf & Welling protocol when `h` is the
    budget) and the best-validation weights among epochs 1..h ("val").
    The test links are scored only for these frozen candidates, never to
    choose between epochs. With `patience`, training stops once the
    validation score has not improved for that many epochs (the run's
    last horizon is then the stopping epoch).
    """
    import keras

    class ValidationSelection(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.horizons = sorted(horizons)
            self.curve = []
            self.best = None  # (score, epoch, auc, ap, weights)
            self.frozen = {}  # horizon -> {"last": ..., "val": ...}
            self.stopped_epoch = None

        def _freeze(self, epoch):
            auc, ap = self.curve[-1][1:]
            test = link_scores(
                self.model, inputs, split.test_edges, split.test_non_edges
            )
            score, best_epoch, best_auc, best_ap, weights = self.best
            self.frozen[epoch] = {
                "last": {
                    "epoch": epoch,
                    "val_auc": auc,
                    "val_ap": ap,
                    "test_auc": 100 * test["auc"],
                    "test_ap": 100 * test["ap"],
                },
                "val": {
                    "epoch": best_epoch,
                    "val_auc": best_auc,
                    "val_ap": best_ap,
                    "weights": weights,
                },
            }

        def on_epoch_end(self, epoch, logs=None):
            epoch += 1
            val = link_scores(self.model, inputs, split.val_edges, split.val_non_edges)
            auc, ap = 100 * val["auc"], 100 * val["ap"]
            self.curve.append((epoch, auc, ap))
            if self.best is None or auc + ap > self.best[0]:
                self.best = (auc + ap, epoch, auc, ap, self.model.get_weights())
            if patience and epoch - self.best[1] >= patience:
                self.model.stop_training = True
                self.stopped_epoch = epoch
            if epoch in self.horizons or self.model.stop_training:
                self._freeze(epoch)

    return ValidationSelection()


def train_one(kind, graph, args, seed, latent_dim=None):
    """Train one model; return it with the weights the protocol selects.

    `args.select == "last"`: the weights after the last epoch (Kipf &
    Welling, and this script's protocol until issue #12). `"val"`: the
    weights of the epoch with the best validation AUC + AP. Either way the
    row also holds both candidates at every epoch of `args.report_within`.
    """
    import keras
    import numpy as np

    from keras_hsvae import data, evaluation
    from keras_hsvae.models import graph_inputs, reconstruction_target

    keras.utils.set_random_seed(seed)
    split = data.split_edges(graph, None, seed=seed)
    adjacency = split.train_adjacency()
    inputs = graph_inputs(graph.features, adjacency)
    target = reconstruction_target(adjacency)
    latent = args.latent_dim if latent_dim is None else latent_dim
    model = build(
        kind, graph.features.shape[1], latent, args.hidden_dim, seed, args.heads
    )
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    horizons = sorted(
        {args.epochs, *[h for h in args.report_within if h < args.epochs]}
    )
    selection = make_selection_callback(inputs, split, horizons, args.patience)
    start = time.perf_counter()
    history = model.fit(
        inputs,
        target,
        batch_size=1,
        epochs=args.epochs,
        verbose=0,
        shuffle=False,
        callbacks=[selection],
    )
    seconds = time.perf_counter() - start
    last_weights = model.get_weights()
    within = {}
    for horizon, frozen in sorted(selection.frozen.items()):
        chosen = frozen["val"]
        model.set_weights(chosen.pop("weights"))
        test = evaluation.evaluate_link_prediction(
            model, inputs, split.test_edges, split.test_non_edges
        )
        chosen.update(test_auc=100 * test["auc"], test_ap=100 * test["ap"])
        within[str(horizon)] = frozen
    final_epoch = max(selection.frozen)
    if args.select == "val":
        model.set_weights(selection.best[4])
    else:
        model.set_weights(last_weights)
    test = evaluation.evaluate_link_prediction(
        model, inputs, split.test_edges, split.test_non_edges
    )
    val = evaluation.evaluate_link_prediction(
        model, inputs, split.val_edges, split.val_non_edges
    )
    final = {k: float(v[-1]) for k, v in history.history.items()}
    row = {
        "model": kind,
        "seed": seed,
        "latent_dim": int(model.latent_dim),
        "select": args.select,
        "epoch": selection.best[1] if args.select == "val" else final_epoch,
        "epochs_run": final_epoch,
        "test_auc": 100 * test["auc"],
        "test_ap": 100 * test["ap"],
        "val_auc": 100 * val["auc"],
        "val_ap": 100 * val["ap"],
        "within": within,
        "val_curve": [
            [e, round(auc, 3), round(ap, 3)] for e, auc, ap in selection.curve
        ],
        "final_metrics": final,
        "fit_seconds": round(seconds, 1),
    }
    return model, inputs, row, np.asarray(graph.labels)


def mean_std(values):
    import numpy as np

    values = np.asarray(values, np.float64)
    return {"mean": float(values.mean()), "std": float(values.std())}


def summarize(rows):
    out = {}
    for kind in PAPER:
        mine = [r for r in rows if r["model"] == kind]
        if not mine:
            continue
        entry = {"runs": len(mine)}
        for key in ("test_auc", "test_ap", "val_auc", "val_ap", "epoch"):
            entry[key] = mean_std([r[key] for r in mine])
        paper = PAPER[kind]
        entry["paper_auc"] = {"mean": paper["auc"][0], "std": paper["auc"][1]}
        entry["paper_ap"] = {"mean": paper["ap"][0], "std": paper["ap"][1]}
        entry["auc_minus_paper"] = entry["test_auc"]["mean"] - paper["auc"][0]
        entry["ap_minus_paper"] = entry["test_ap"]["mean"] - paper["ap"][0]
        # Both protocols at every reported budget (horizons all rows share).
        common = set.intersection(*(set(r.get("within", {})) for r in mine))
        entry["within"] = {}
        for horizon in sorted(common, key=int):
            entry["within"][horizon] = {
                select: {
                    key: mean_std([r["within"][horizon][select][key] for r in mine])
                    for key in ("test_auc", "test_ap", "val_auc", "val_ap", "epoch")
                }
                for select in ("last", "val")
            }
        out[kind] = entry
    return out


def protocol_tag(args):
    """The cache name of a protocol: runs of different protocols never mix."""
    heads = "" if args.heads == "dense" else f"-{args.heads}"
    if args.select == "last" and args.patience == 0 and not args.report_within:
        return f"last-{args.epochs}{heads}"
    tag = f"{args.select}-{args.epochs}{heads}"
    if args.patience:
        tag += f"-patience{args.patience}"
    if args.report_within:
        tag += "-within" + "_".join(str(h) for h in sorted(args.report_within))
    return tag


def save_preset(model, kind, row, args):
    import keras

    from keras_hsvae import presets

    name = PRESETS[kind]
    folder = ROOT / "zoo" / name
    backend = keras.backend.backend()
    command = f"KERAS_BACKEND={backend} python experiments/graph_vae_cora.py"
    metrics = {
        "test_auc": row["test_auc"],
        "test_ap": row["test_ap"],
        "val_auc": row["val_auc"],
        "val_ap": row["val_ap"],
        "epochs": args.epochs,
        "select": args.select,
        "selected_epoch": row["epoch"],
        "split_seed": row["seed"],
        "evaluation": "AUC / AP (%) of sigmoid(z_i . z_j) of the posterior modes "
        "on the seed's held-out links and as many non-links (split_edges)",
    }
    presets.save_to_preset(
        model,
        folder,
        training_command=command + " --save-presets",
        metrics=metrics,
        extra={
            "dataset": "cora",
            "model_name": kind,
            "training_arguments": {
                "epochs": args.epochs,
                "select": args.select,
                "patience": args.patience,
                "learning_rate": args.learning_rate,
                "hidden_dim": args.hidden_dim,
                "heads": args.heads,
                "latent_dim": int(model.latent_dim),
                "seed": row["seed"],
                "batch_size": "full graph",
            },
        },
    )
    evaluation = {
        "preset": name,
        "dataset": "cora",
        "model": type(model).__name__,
        "seed": row["seed"],
        "split": "split_edges(graph, seed=seed): 5% val, 10% test links",
        "test": {"auc": row["test_auc"], "ap": row["test_ap"]},
        "validation": {"auc": row["val_auc"], "ap": row["val_ap"]},
        "over_seeds": "experiments/results/graph_vae_cora.json",
    }
    (folder / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
    print(f"wrote preset {relative(folder)}")


def plot_embeddings(graph, args):
    """The paper's Figure 3: N-VGAE in R^2, S-VGAE on S^2 (Hammer), seed 0."""
    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from keras_hsvae.plots import hammer_projection

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    for ax, kind, latent in zip(axes, ("N-VGAE", "S-VGAE"), (2, 2)):
        model, inputs, row, labels = train_one(kind, graph, args, 0, latent)
        z = np.asarray(keras.ops.convert_to_numpy(model.embed(inputs))[0])
        coords = z if kind == "N-VGAE" else hammer_projection(z)
        scatter = ax.scatter(
            coords[:, 0], coords[:, 1], c=labels, cmap="tab10", s=4, vmin=0, vmax=9
        )
        space = "R^2" if kind == "N-VGAE" else "S^2, Hammer projection"
        ax.set_title(
            f"{kind}, latent {space}: test AUC {row['test_auc']:.1f}, "
            f"AP {row['test_ap']:.1f}"
        )
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.legend(
        *scatter.legend_elements(), loc="lower center", ncol=7, title="Cora class"
    )
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    path = figure_path(CLAIM, args, "embeddings")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {relative(path)}")
    return path


def main(argv=None):
    parser = make_parser(__doc__.split("\n")[0], REDUCED)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--num-seeds", type=int, default=5)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--hidden-dim", type=int, default=32)
    parser.add_argument(
        "--latent-dim",
        type=int,
        default=16,
        help="N-VGAE: R^d; S-VGAE: S^d in R^(d+1)",
    )
    parser.add_argument(
        "--select",
        choices=("last", "val"),
        default="val",
        help="weights evaluated on the test links: the last epoch's, or "
        "the epoch with the best validation AUC + AP",
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=0,
        help="stop once validation AUC + AP has not improved for this many "
        "epochs (0: train all --epochs)",
    )
    parser.add_argument(
        "--report-within",
        type=int,
        nargs="*",
        default=[],
        help="also report both selections within these shorter budgets",
    )
    parser.add_argument(
        "--heads",
        choices=("dense", "kipf"),
        default="kipf",
        help="GraphVAE(heads=...): the posterior heads with a bias and a "
        "softplus scale, or Kipf & Welling's (no bias, Gaussian scale exp)",
    )
    parser.add_argument("--save-presets", action="store_true")
    parser.add_argument("--no-figure", action="store_true")
    args = parse(parser, REDUCED, argv)
    timer = Timer()

    from keras_hsvae import data

    graph = data.load("cora", data_dir=args.data_dir)
    # Runs done so far (resumable): one row per (model, seed).
    cache = run_dir(CLAIM, args, f"rows-{protocol_tag(args)}.json")
    # The default protocol writes graph_vae_cora.json; any other one its own
    # file (graph_vae_cora_<protocol>.json), so that the two stay side by side.
    tag = protocol_tag(args)
    claim = CLAIM if tag == protocol_tag(parser.parse_args([])) else f"{CLAIM}_{tag}"
    rows = json.loads(cache.read_text()) if cache.is_file() else []
    payload = {
        "dataset": "cora",
        "nodes": graph.num_nodes,
        "links": int(len(graph.edges)),
        "features": int(graph.features.shape[1]),
        "paper": "002 Table 4 (Cora), quoted",
        "protocol": protocol_tag(args),
    }
    # Seed by seed, so that a partial run already holds both models; the
    # results file is rewritten after every run.
    for seed in range(args.seed, args.seed + args.num_seeds):
        for kind in PAPER:
            done = any(r["model"] == kind and r["seed"] == seed for r in rows)
            preset = args.save_presets and seed == args.seed
            if done and not (preset and not (ROOT / "zoo" / PRESETS[kind]).is_dir()):
                continue
            model, _, row, _ = train_one(kind, graph, args, seed)
            print(
                f"{kind} seed {seed}: test AUC {row['test_auc']:.2f} AP "
                f"{row['test_ap']:.2f}, epoch {row['epoch']} of "
                f"{row['epochs_run']} ({row['fit_seconds']} s)",
                flush=True,
            )
            rows = [r for r in rows if (r["model"], r["seed"]) != (kind, seed)]
            rows.append(row)
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(rows, indent=2))
            if preset:
                save_preset(model, kind, row, args)
            payload.update(summary=summarize(rows), rows=rows)
            write_result(claim, args, payload, timer)
        if seed == args.seed and not args.no_figure and "figure" not in payload:
            payload["figure"] = relative(plot_embeddings(graph, args))
            write_result(claim, args, payload, timer)
    for kind, entry in summarize(rows).items():
        print(
            f"{kind}: AUC {entry['test_auc']['mean']:.2f} +- "
            f"{entry['test_auc']['std']:.2f} (paper {PAPER[kind]['auc'][0]}), AP "
            f"{entry['test_ap']['mean']:.2f} +- {entry['test_ap']['std']:.2f} "
            f"(paper {PAPER[kind]['ap'][0]})"
        )
        for horizon, both in entry["within"].items():
            for select, stats in both.items():
                print(
                    f"  within {horizon} epochs, {select}: AUC "
                    f"{stats['test_auc']['mean']:.2f} +- "
                    f"{stats['test_auc']['std']:.2f}, AP "
                    f"{stats['test_ap']['mean']:.2f} +- "
                    f"{stats['test_ap']['std']:.2f} (epoch "
                    f"{stats['epoch']['mean']:.0f})"
                )


if __name__ == "__main__":
    main()
