"""Link prediction on Cora: N-VGAE vs S-VGAE (S-VAE paper 002, Table 4).

Protocol of Kipf & Welling (2016), which the paper follows: the link split
of `keras_hsvae.data.split_edges` (5 % validation, 10 % test links and as
many non-links), a GCN encoder with 32 hidden units, latent size 16, full
batch, Adam with learning rate 0.01, 200 epochs, no early stopping; AUC and
AP of `sigmoid(z_i . z_j)` of the posterior modes on the test links. Each
seed draws its own split and initialization. The S-VGAE's latent is S^16 in
R^17 (SPEC: the paper's `d` is the manifold dimension), the N-VGAE's R^16.

Writes `experiments/results/graph_vae_cora[_reduced].json`, the figure
`docs/figures/graph_vae_cora[_reduced]_embeddings.png` (the paper's Figure 3:
an N-VGAE with latent R^2 and an S-VGAE on S^2, Hammer projection, coloured
by class; seed 0) and, with `--save-presets`, the seed-0 models as the zoo
presets `zoo/ngvae_cora` and `zoo/sgvae_cora`.

    python experiments/graph_vae_cora.py                  # 2 x 5 runs
    python experiments/graph_vae_cora.py --save-presets   # + zoo presets
    python experiments/graph_vae_cora.py --reduced        # 2 x 2 runs, 20 epochs
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


def build(kind, input_dim, latent_dim, hidden_dim, seed):
    from keras_hsvae.models import NVGAE, SVGAE

    if kind == "N-VGAE":
        return NVGAE(input_dim, latent_dim, hidden_dim, seed=seed)
    # S^d in R^(d+1): the ambient size is the paper's d plus one.
    return SVGAE(input_dim, latent_dim + 1, hidden_dim, seed=seed)


def train_one(kind, graph, args, seed, latent_dim=None):
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
    model = build(kind, graph.features.shape[1], latent, args.hidden_dim, seed)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    start = time.perf_counter()
    history = model.fit(
        inputs, target, batch_size=1, epochs=args.epochs, verbose=0, shuffle=False
    )
    seconds = time.perf_counter() - start
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
        "test_auc": 100 * test["auc"],
        "test_ap": 100 * test["ap"],
        "val_auc": 100 * val["auc"],
        "val_ap": 100 * val["ap"],
        "final_metrics": final,
        "fit_seconds": round(seconds, 1),
    }
    return model, inputs, row, np.asarray(graph.labels)


def summarize(rows):
    import numpy as np

    out = {}
    for kind in PAPER:
        mine = [r for r in rows if r["model"] == kind]
        if not mine:
            continue
        entry = {"runs": len(mine)}
        for key in ("test_auc", "test_ap", "val_auc", "val_ap"):
            values = np.array([r[key] for r in mine])
            entry[key] = {"mean": float(values.mean()), "std": float(values.std())}
        paper = PAPER[kind]
        entry["paper_auc"] = {"mean": paper["auc"][0], "std": paper["auc"][1]}
        entry["paper_ap"] = {"mean": paper["ap"][0], "std": paper["ap"][1]}
        entry["auc_minus_paper"] = entry["test_auc"]["mean"] - paper["auc"][0]
        entry["ap_minus_paper"] = entry["test_ap"]["mean"] - paper["ap"][0]
        out[kind] = entry
    return out


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
                "learning_rate": args.learning_rate,
                "hidden_dim": args.hidden_dim,
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
    parser.add_argument("--save-presets", action="store_true")
    parser.add_argument("--no-figure", action="store_true")
    args = parse(parser, REDUCED, argv)
    timer = Timer()

    from keras_hsvae import data

    graph = data.load("cora", data_dir=args.data_dir)
    # Runs done so far (resumable): one row per (model, seed).
    cache = run_dir(CLAIM, args, "rows.json")
    rows = json.loads(cache.read_text()) if cache.is_file() else []
    payload = {
        "dataset": "cora",
        "nodes": graph.num_nodes,
        "links": int(len(graph.edges)),
        "features": int(graph.features.shape[1]),
        "paper": "002 Table 4 (Cora), quoted",
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
                f"{row['test_ap']:.2f} ({row['fit_seconds']} s)",
                flush=True,
            )
            rows = [r for r in rows if (r["model"], r["seed"]) != (kind, seed)]
            rows.append(row)
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(rows, indent=2))
            if preset:
                save_preset(model, kind, row, args)
            payload.update(summary=summarize(rows), rows=rows)
            write_result(CLAIM, args, payload, timer)
        if seed == args.seed and not args.no_figure and "figure" not in payload:
            payload["figure"] = relative(plot_embeddings(graph, args))
            write_result(CLAIM, args, payload, timer)
    for kind, entry in summarize(rows).items():
        print(
            f"{kind}: AUC {entry['test_auc']['mean']:.2f} +- "
            f"{entry['test_auc']['std']:.2f} (paper {PAPER[kind]['auc'][0]}), AP "
            f"{entry['test_ap']['mean']:.2f} +- {entry['test_ap']['std']:.2f} "
            f"(paper {PAPER[kind]['ap'][0]})"
        )


if __name__ == "__main__":
    main()
