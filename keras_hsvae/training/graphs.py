"""The graph steps of `train`: a graph auto-encoder on one citation graph.

For the names of `keras_hsvae.models.registry.GRAPH_MODELS` (`nvgae`,
`svgae`, `svgae_<posterior>`) `train` loads the whole graph
(`keras_hsvae.data.load("cora")`), holds out links with
`split_edges(graph, seed=config.seed)` (Kipf & Welling: 5 % validation,
10 % test), fits the model on the training graph (one example, the full
graph, per step) and reports the ROC AUC and average precision of the
held-out links, in %, as `test_auc`, `test_ap`, `val_auc` and `val_ap`.
`hsvae evaluate` recomputes them from a preset with `link_metrics`.
"""

from typing import NamedTuple

import keras
import numpy as np

from keras_hsvae.models.registry import GRAPH_MODELS, get_model_class


class GraphData(NamedTuple):
    """A graph, its link split and the model inputs of its training graph."""

    graph: object  # keras_hsvae.data.Graph
    split: object  # keras_hsvae.data.EdgeSplit
    inputs: dict
    target: np.ndarray


def is_graph_model(name):
    """Whether `name` is a graph auto-encoder of `GRAPH_MODELS`."""
    return name in GRAPH_MODELS


def load_graph_data(dataset, data_dir, seed):
    """The graph `dataset`, its link split of `seed` and the training inputs."""
    from keras_hsvae import data
    from keras_hsvae.data._graphs import GRAPH_DATASETS
    from keras_hsvae.models import graph_inputs, reconstruction_target

    if dataset not in GRAPH_DATASETS:
        raise ValueError(
            f"`dataset` must be a graph ({', '.join(GRAPH_DATASETS)}). "
            f"Received: dataset={dataset!r}"
        )
    graph = data.load(dataset, data_dir=data_dir)
    split = data.split_edges(graph, None, seed=seed)
    adjacency = split.train_adjacency()
    return GraphData(
        graph,
        split,
        graph_inputs(graph.features, adjacency),
        reconstruction_target(adjacency),
    )


def build_graph_model(config, data):
    """The untrained, compiled graph model of `config` for `data.graph`.

    `latent_dim` is the model's (ambient) latent size; `model_kwargs` may
    set `hidden_dim` (32) and `dropout`; `beta` as for the other models.
    """
    cls, fixed = get_model_class(config.model, GRAPH_MODELS)
    beta = config.beta if config.beta_schedule is None else config.beta_start
    model = cls(
        input_dim=int(data.graph.features.shape[1]),
        latent_dim=config.latent_dim,
        beta=beta,
        seed=config.seed,
        **{**fixed, **config.model_kwargs},
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    model.build()
    return model


def link_metrics(model, data):
    """AUC and AP (%) of `model` on the validation and test links of `data`."""
    from keras_hsvae import evaluation

    metrics = {}
    split = data.split
    for name, pos, neg in (
        ("test", split.test_edges, split.test_non_edges),
        ("val", split.val_edges, split.val_non_edges),
    ):
        scores = evaluation.evaluate_link_prediction(model, data.inputs, pos, neg)
        metrics[f"{name}_auc"] = 100 * scores["auc"]
        metrics[f"{name}_ap"] = 100 * scores["ap"]
    return metrics


def evaluate_graph(model, data, config):
    """The final metrics of a graph model: loss terms and link AUC / AP."""
    values = model.evaluate(
        data.inputs, data.target, batch_size=1, verbose=0, return_dict=True
    )
    metrics = {"epochs": config.epochs, "split_seed": config.seed}
    metrics.update({f"train_{key}": float(value) for key, value in values.items()})
    metrics.update(link_metrics(model, data))
    metrics["evaluation"] = (
        "AUC / AP (%) of sigmoid(z_i . z_j) of the posterior modes on the "
        "held-out links of split_edges(graph, seed=split_seed) and as many "
        "non-links; train_*: model.evaluate on the training graph"
    )
    return metrics
