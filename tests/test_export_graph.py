"""SavedModel export of the graph auto-encoders (`NVGAE`, `SVGAE`).

A tiny random graph; the served node embeddings, link probabilities and
edge scores are compared with the Keras model, and the scores with
`sigmoid(z_i . z_j)` recomputed in numpy from the served embeddings.
"""

import keras
import numpy as np
import pytest

from keras_hsvae.export import GRAPH_SIGNATURE_NAMES, export_saved_model
from keras_hsvae.models import NVGAE, SVGAE, graph_inputs

N, F = 12, 5
ATOL = 1e-5
IS_TF = keras.backend.backend() == "tensorflow"


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _graph(num_nodes, seed):
    rng = np.random.default_rng(seed)
    a = np.triu(rng.random((num_nodes, num_nodes)) < 0.3, 1).astype("float32")
    return rng.normal(size=(num_nodes, F)).astype("float32"), a + a.T


def _model(cls):
    """A built model with seeded random weights (larger than the initializers')."""
    model = cls(F, 3, 8, seed=0)
    model.build()
    rng = np.random.default_rng(1)
    for variable in model.trainable_variables:
        noise = rng.normal(scale=0.5, size=variable.shape).astype("float32")
        variable.assign(_np(variable) + noise)
    return model


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.skipif(not IS_TF, reason="exports in-process: TensorFlow backend")
@pytest.mark.parametrize("cls", [NVGAE, SVGAE])
def test_served_graph_outputs_match_keras(cls, tmp_path):
    import tensorflow as tf

    model = _model(cls)
    export_saved_model(model, tmp_path / "g")
    loaded = tf.saved_model.load(str(tmp_path / "g"))
    assert sorted(loaded.signatures) == sorted(GRAPH_SIGNATURE_NAMES)

    # A batch of two graphs of 12 nodes, then one graph of another size.
    graphs = [graph_inputs(*_graph(N, seed)) for seed in (2, 3)]
    batch = {k: np.concatenate([g[k] for g in graphs]) for k in graphs[0]}
    small = graph_inputs(*_graph(7, 4))
    for inputs in (batch, small):
        f, a = inputs["features"], inputs["adjacency"]
        z = loaded.embed(f, a).numpy()
        np.testing.assert_allclose(z, _np(model.embed(inputs)), atol=ATOL)
        served = {k: v.numpy() for k, v in loaded.encode(f, a).items()}
        expected = {k: _np(v) for k, v in model.encode(inputs).items()}
        assert sorted(served) == sorted(expected)
        for key in expected:
            np.testing.assert_allclose(served[key], expected[key], atol=ATOL)
        np.testing.assert_allclose(
            loaded.decode(z).numpy(), _sigmoid(z @ np.swapaxes(z, -1, -2)), atol=ATOL
        )
    if cls is SVGAE:
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)

    # Edge scores of one graph: the model's, and sigmoid(z_i . z_j).
    one = graph_inputs(*_graph(N, 2))
    edges = np.array([[0, 1], [2, 5], [11, 3], [4, 4]], "int64")
    z = loaded.embed(one["features"], one["adjacency"]).numpy()[0]
    scores = loaded.score_edges(one["features"], one["adjacency"], edges).numpy()
    np.testing.assert_allclose(
        scores, _sigmoid(np.sum(z[edges[:, 0]] * z[edges[:, 1]], -1)), atol=ATOL
    )
    np.testing.assert_allclose(scores, _np(model.score_edges(one, edges)), atol=ATOL)
    # The raw serving signature (what TF Serving calls), int32 edges cast.
    raw = loaded.signatures["score_edges"](
        features=tf.constant(one["features"]),
        adjacency=tf.constant(one["adjacency"]),
        edges=tf.constant(edges),
    )["output_0"]
    np.testing.assert_allclose(raw.numpy(), scores, atol=ATOL)
    np.testing.assert_allclose(
        loaded.score_edges(one["features"], one["adjacency"], edges.astype("int32")),
        scores,
        atol=ATOL,
    )

    with pytest.raises(tf.errors.InvalidArgumentError, match="takes one graph"):
        loaded.score_edges(batch["features"], batch["adjacency"], edges)
    # A non-finite input: that graph's outputs are NaN, the other's are not.
    f = batch["features"].copy()
    f[1, 3, 0] = np.nan
    z = loaded.embed(f, batch["adjacency"]).numpy()
    assert np.all(np.isfinite(z[0])) and np.all(np.isnan(z[1]))
    f = one["features"].copy()
    f[0, 0, 0] = np.inf
    assert np.all(np.isnan(loaded.score_edges(f, one["adjacency"], edges).numpy()))


def test_graph_export_refuses_overwrite_and_a_sampler(tmp_path):
    model = NVGAE(F, 3, 8)
    old = tmp_path / "old"
    old.mkdir()
    (old / "saved_model.pb").write_bytes(b"old")
    with pytest.raises(ValueError, match="is a SavedModel; pass overwrite=True"):
        export_saved_model(model, old)
    assert (old / "saved_model.pb").read_bytes() == b"old"
    with pytest.raises(ValueError, match="no `generate`.*Received: sampler="):
        export_saved_model(model, tmp_path / "m", sampler=lambda n, seed: None)


@pytest.mark.slow
@pytest.mark.skipif(IS_TF, reason="the TensorFlow child-process route")
def test_graph_export_from_another_backend(tmp_path):
    """Exported by a TensorFlow child process; served here only as files."""
    import subprocess
    import sys

    model = _model(SVGAE)
    export_saved_model(model, tmp_path / "g")
    inputs = graph_inputs(*_graph(N, 2))
    np.savez(tmp_path / "in.npz", **inputs)
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        "d = np.load(sys.argv[2])\n"
        "loaded = tf.saved_model.load(sys.argv[1])\n"
        "z = loaded.embed(d['features'], d['adjacency'])\n"
        "np.save(sys.argv[3], z.numpy())\n"
    )
    paths = [str(tmp_path / name) for name in ("g", "in.npz", "z.npy")]
    result = subprocess.run(
        [sys.executable, "-c", script, *paths], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(
        np.load(tmp_path / "z.npy"), _np(model.embed(inputs)), atol=ATOL
    )
