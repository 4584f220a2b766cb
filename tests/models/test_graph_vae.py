"""Graph auto-encoders (N-VGAE, S-VGAE) on a tiny random graph."""

import keras
import numpy as np
import pytest

from keras_hsvae import presets
from keras_hsvae.models import (
    NVGAE,
    SVGAE,
    GraphVAE,
    graph_inputs,
    reconstruction_target,
    weighted_edge_cross_entropy,
)

N, F = 12, 5


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def _graph(seed=0):
    rng = np.random.default_rng(seed)
    a = np.triu(rng.random((N, N)) < 0.3, 1).astype("float32")
    a = a + a.T
    x = rng.normal(size=(N, F)).astype("float32")
    return x, a


def _reference_loss(adjacency, logits):
    """Kipf & Welling's gae: weights from A without self-loops, target A + I."""
    n = adjacency.shape[0]
    e = adjacency.sum()
    pos_weight = (n * n - e) / e
    norm = n * n / (2.0 * (n * n - e))
    label = adjacency + np.eye(n)
    p = 1.0 / (1.0 + np.exp(-logits))
    entry = -pos_weight * label * np.log(p) - (1 - label) * np.log(1 - p)
    return norm * entry.mean()


def test_weighted_cross_entropy_matches_kipf():
    x, a = _graph()
    logits = np.random.default_rng(1).normal(size=(N, N))
    logits = (logits + logits.T).astype("float64")
    out = _np(weighted_edge_cross_entropy(reconstruction_target(a), logits[None]))
    np.testing.assert_allclose(out, [_reference_loss(a, logits)], rtol=1e-5)


MODELS = {
    "nvgae": lambda **kw: NVGAE(F, 3, 8, **kw),
    "svgae_vmf": lambda **kw: SVGAE(F, 3, 8, **kw),
    "svgae_power_spherical": lambda **kw: SVGAE(
        F, 3, 8, posterior="power_spherical", **kw
    ),
}


@pytest.mark.parametrize(
    "kind",
    [
        "nvgae",
        "svgae_vmf",
        # Same code path as the vMF (another registered posterior).
        pytest.param("svgae_power_spherical", marks=pytest.mark.slow),
    ],
)
def test_training_steps_and_loss(kind):
    x, a = _graph()
    inputs, target = graph_inputs(x, a), reconstruction_target(a)
    model = MODELS[kind](seed=0)
    # No XLA: compiling the vMF sampler costs more than 3 steps on 12 nodes.
    model.compile(optimizer=keras.optimizers.Adam(0.05), jit_compile=False)
    model.build()
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(inputs, target, epochs=2, verbose=0)
    logged = ["kl", "loss", "reconstruction"]
    if kind != "nvgae":
        logged = ["concentration"] + logged
    assert sorted(history.history) == logged
    assert np.all(np.isfinite(history.history["loss"]))
    assert any(not np.allclose(w0, w1) for w0, w1 in zip(before, model.get_weights()))
    # At inference the loss is the reconstruction of the modes' logits plus
    # mean_nodes(KL) / N (Kipf & Welling), recomputed here from its parts.
    z = _np(model.embed(inputs))[0]
    kl = _np(model.posterior.kl(model.node_features(inputs)))
    expected = _reference_loss(a, z @ z.T) + kl.mean() / N
    # (Eager, not `evaluate`: one traced step fewer.)
    y_pred = model(inputs, training=False)
    loss = model.compute_loss(inputs, target, y_pred, training=False)
    np.testing.assert_allclose(_np(loss), expected, rtol=1e-4)
    # score_edges is sigmoid(z_i . z_j); decode gives every pair.
    pairs = np.array([[0, 1], [2, 5]])
    np.testing.assert_allclose(
        _np(model.score_edges(inputs, pairs)),
        1 / (1 + np.exp(-np.sum(z[pairs[:, 0]] * z[pairs[:, 1]], -1))),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        _np(model.decode(z)), 1 / (1 + np.exp(-z @ z.T)), rtol=1e-5
    )
    if kind != "nvgae":
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)


def test_config_round_trip_and_preset(tmp_path):
    x, a = _graph()
    inputs = graph_inputs(x, a)
    model = SVGAE(F, 4, 8, posterior="power_spherical", beta=0.5, seed=2)
    clone = SVGAE.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    model.build()
    clone.build()
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(_np(clone.embed(inputs)), _np(model.embed(inputs)))
    presets.save_to_preset(model, tmp_path / "g")
    restored = presets.load_preset(tmp_path / "g", expected_class=GraphVAE)
    assert type(restored) is SVGAE and restored.posterior_name == "power_spherical"
    np.testing.assert_array_equal(_np(restored.embed(inputs)), _np(model.embed(inputs)))


@pytest.mark.parametrize("cls", [NVGAE, SVGAE])
def test_kipf_heads(cls, tmp_path):
    """heads="kipf": no bias in the heads; a Gaussian's scale is exp(head)."""
    x, a = _graph()
    inputs, target = graph_inputs(x, a), reconstruction_target(a)
    model = cls(F, 3, 8, heads="kipf", seed=0)
    model.build()
    assert not [w for w in model.weights if w.path.endswith("bias")]
    default = cls(F, 3, 8, seed=0)
    default.build()
    assert default.heads == "dense"
    assert len([w for w in default.weights if w.path.endswith("bias")]) == 2
    h = _np(model.node_features(inputs))[0]
    params = {k: _np(v)[0] for k, v in model.encode(inputs).items()}
    if cls is NVGAE:
        mean = h @ _np(model.posterior.mean_dense.kernel)
        log_scale = h @ _np(model.posterior.scale_dense.kernel)
        np.testing.assert_allclose(params["mean"], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(params["stddev"], np.exp(log_scale), rtol=1e-5)
        # Closed-form KL(N(mu, sigma^2) || N(0, I)), summed over the latent.
        kl = 0.5 * np.sum(mean**2 + np.exp(2 * log_scale) - 1 - 2 * log_scale, -1)
        got = _np(model.posterior.kl(model.node_features(inputs)))[0]
        np.testing.assert_allclose(got, kl, rtol=1e-4, atol=1e-6)
    model.compile(optimizer=keras.optimizers.Adam(0.05), jit_compile=False)
    history = model.fit(inputs, target, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    clone = cls.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.heads == "kipf"
    presets.save_to_preset(model, tmp_path / "g")
    restored = presets.load_preset(tmp_path / "g", expected_class=GraphVAE)
    np.testing.assert_array_equal(_np(restored.embed(inputs)), _np(model.embed(inputs)))


def test_validation():
    with pytest.raises(ValueError, match="posterior"):
        SVGAE(F, 3, posterior="gaussian")
    with pytest.raises(ValueError, match="posterior"):
        NVGAE(F, 3, posterior="vmf")
    with pytest.raises(ValueError, match="input_dim"):
        NVGAE(0, 3)
    with pytest.raises(ValueError, match="heads"):
        NVGAE(F, 3, heads="gae")
    x, a = _graph()
    model = NVGAE(F, 3, 8)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="reconstruction_target"):
        model.fit(graph_inputs(x, a), epochs=1, verbose=0)


@pytest.mark.skipif(
    keras.backend.backend() == "torch", reason="Keras has sparse tensors on TF and JAX"
)
def test_sparse_adjacency_trains_as_dense():
    from keras_hsvae.models import sparse_graph_inputs

    x, a = _graph()
    dense = graph_inputs(x, a)
    sparse = sparse_graph_inputs(x, np.argwhere(np.triu(a, 1) > 0))
    target = reconstruction_target(a)
    models, initial = [], None
    for inputs in (dense, sparse):
        model = NVGAE(F, 3, 8, seed=0)
        model.build()
        if initial is None:
            initial = model.get_weights()
        model.set_weights(initial)
        model.compile(optimizer=keras.optimizers.Adam(0.05), jit_compile=False)
        model.fit(inputs, target, epochs=2, verbose=0, shuffle=False)
        models.append(model)
    np.testing.assert_allclose(
        _np(models[1].embed(sparse)), _np(models[0].embed(dense)), atol=1e-5
    )
    np.testing.assert_allclose(
        _np(models[1].embed(dense)), _np(models[0].embed(dense)), atol=1e-5
    )
