"""GraphVAE's helpers, presets and dtypes, against numpy on a 6-node graph."""

import re

import keras
import numpy as np
import pytest
from backend_utils import float64
from harness import dtype_policy

from keras_hsvae import presets
from keras_hsvae.models import (
    NVGAE,
    SVGAE,
    GraphVAE,
    graph_inputs,
    reconstruction_target,
    sparse_graph_inputs,
    weighted_edge_cross_entropy,
)

N, F = 6, 4
TORCH = keras.backend.backend() == "torch"
# Keras 3.15's PyTorch `matmul` returns float32 for float64 operands (its
# `result_type` maps 64-bit to 32-bit types): the inner-product logits of a
# float64 model are float32 there, so float64 is checked on TF (to 1e-7) and
# JAX (to 1e-6: JAX's float64 loss differs from numpy by 5e-9 relative after
# other tests, by 1.3e-7 when it is the process's first float64 model; not
# investigated).
RTOL64 = 1e-7 if keras.backend.backend() == "tensorflow" else 1e-6


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def _graph():
    a = np.zeros((N, N), "float32")
    a[[0, 1, 2, 3, 0], [1, 2, 3, 4, 4]] = 1
    a = a + a.T  # node 5 has no link
    x = np.random.default_rng(0).normal(size=(N, F))
    return x, a


def _reference_loss(target, logits):
    """Kipf & Welling's weighted cross-entropy of one graph (numpy)."""
    n = target.shape[-1]
    e = target.sum() - np.trace(target)
    pos_weight = (n * n - e) / e
    norm = n * n / (2.0 * (n * n - e))
    entry = pos_weight * target * np.logaddexp(0, -logits) + (1 - target) * (
        np.logaddexp(0, logits)
    )
    return norm * entry.mean()


def _normalized(a):
    a_hat = a + np.eye(len(a))
    d = 1 / np.sqrt(a_hat.sum(-1))
    return d[:, None] * a_hat * d[None, :]


def test_graph_inputs_are_float32():
    x, a = _graph()
    inputs = graph_inputs(np.arange(N * F).reshape(N, F), a.astype(int))
    assert inputs["features"].dtype == np.float32
    assert inputs["adjacency"].dtype == np.float32
    np.testing.assert_array_equal(inputs["features"][0], np.arange(N * F).reshape(N, F))
    np.testing.assert_allclose(inputs["adjacency"][0], _normalized(a), rtol=1e-6)


def test_sparse_graph_inputs():
    x, a = _graph()
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [0, 4]])
    if keras.backend.backend() == "torch":
        with pytest.raises(
            ValueError, match="^A sparse adjacency needs the TensorFlow"
        ):
            sparse_graph_inputs(x, edges)
        return
    inputs = sparse_graph_inputs(x, edges)
    assert inputs["features"].dtype == np.float32
    dense = keras.ops.matmul(inputs["adjacency"], np.eye(N, dtype="float32")[None])
    np.testing.assert_allclose(_np(dense)[0], _normalized(a), rtol=1e-6)


def test_weighted_cross_entropy_per_graph_of_a_batch():
    # Two graphs, different numbers of links and of self-loops.
    _, a = _graph()
    first = a + np.eye(N)
    second = np.eye(N)
    second[0, 1] = second[1, 0] = 1.0
    second[5, 5] = 0.0
    target = np.stack([first, second])
    logits = np.random.default_rng(1).normal(size=(2, N, N))
    got = _np(weighted_edge_cross_entropy(target, logits))
    expected = [_reference_loss(t, lg) for t, lg in zip(target, logits)]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_build_creates_every_weight():
    model = NVGAE(F, 3, 8)
    model.build()
    # kernel (no bias) of the graph convolution; the beta variable; two heads.
    assert model.count_params() == F * 8 + 1 + 2 * (8 * 3 + 3)


def test_from_preset_checks_the_class(tmp_path):
    x, a = _graph()
    inputs = graph_inputs(x, a)
    model = NVGAE(F, 3, 8, seed=0)
    model.build()
    presets.save_to_preset(model, tmp_path / "nvgae")
    restored = GraphVAE.from_preset(tmp_path / "nvgae")
    assert type(restored) is NVGAE
    np.testing.assert_array_equal(_np(restored.embed(inputs)), _np(model.embed(inputs)))
    message = (
        f"Preset {tmp_path / 'nvgae'!r} holds a NVGAE, not a SVGAE. Load it with "
        "`NVGAE.from_preset(...)` or `keras_hsvae.presets.load_preset(...)`."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SVGAE.from_preset(tmp_path / "nvgae")


def _inference_loss(model, inputs, target):
    """The loss at inference recomputed in numpy from the model's outputs."""
    z = _np(model.embed(inputs))[0]
    kl = _np(model.posterior.kl(model.node_features(inputs)))
    return _reference_loss(target[0], z @ z.T) + kl.mean() / N


def test_compiled_metrics_leave_the_logged_terms():
    x, a = _graph()
    inputs, target = graph_inputs(x, a), reconstruction_target(a)
    model = NVGAE(F, 3, 8, seed=0)
    model.compile(
        optimizer="sgd",
        metrics={"logits": [keras.metrics.BinaryAccuracy(threshold=0.0)]},
        jit_compile=False,
    )
    logs = model.evaluate(inputs, target, verbose=0, return_dict=True)
    z = _np(model.embed(inputs))[0]
    assert logs["reconstruction"] == pytest.approx(
        _reference_loss(target[0], z @ z.T), rel=1e-5
    )
    assert logs["loss"] == pytest.approx(
        _inference_loss(model, inputs, target), rel=1e-5
    )


def test_loss_in_float64():
    x, a = _graph()
    with float64():
        model = NVGAE(F, 3, 8, seed=0, dtype="float64")
        inputs = {
            k: keras.ops.convert_to_tensor(v, "float64")
            for k, v in graph_inputs(x, a).items()
        }
        target = reconstruction_target(a).astype("float64")
        y_pred = model(inputs, training=False)
        loss = model.compute_loss(inputs, target, y_pred, training=False)
        logits_dtype = keras.backend.standardize_dtype(y_pred["logits"].dtype)
        assert logits_dtype == ("float32" if TORCH else "float64")
        # Not rounded to float32: the loss keeps the logits' precision.
        assert keras.backend.standardize_dtype(loss.dtype) == logits_dtype
        np.testing.assert_allclose(
            _np(loss), _inference_loss(model, inputs, target), rtol=RTOL64
        )


def test_kipf_kl_in_float64():
    x, a = _graph()
    with float64():
        model = NVGAE(F, 3, 8, heads="kipf", seed=0, dtype="float64")
        inputs = {
            k: keras.ops.convert_to_tensor(v, "float64")
            for k, v in graph_inputs(x, a).items()
        }
        features = model.node_features(inputs)
        params = model.encode(inputs)
        kl = model.posterior.kl(features)
    # The KL keeps the parameters' dtype (float32 on PyTorch, whose Keras
    # matmul rounds float64 operands): KL = 1/2 sum(mu^2 + s^2 - 1 - log s^2).
    dtype = keras.backend.standardize_dtype(params["mean"].dtype)
    assert dtype == ("float32" if TORCH else "float64")
    assert keras.backend.standardize_dtype(kl.dtype) == dtype
    mu = _np(params["mean"]).astype("float64")
    s = _np(params["stddev"]).astype("float64")
    expected = 0.5 * np.sum(mu**2 + s**2 - 1 - 2 * np.log(s), axis=-1)
    np.testing.assert_allclose(_np(kl), expected, rtol=RTOL64, atol=RTOL64)


# On PyTorch the loss and the Kipf KL stayed in half precision (a torch
# dtype compared with strings), found by the mutation check.
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_loss_and_kipf_kl_in_float32_under_mixed_policies(policy):
    x, a = _graph()
    inputs, target = graph_inputs(x, a), reconstruction_target(a)
    with dtype_policy(policy):
        model = NVGAE(F, 3, 8, heads="kipf", seed=0)
        y_pred = model(inputs, training=False)
        loss = model.compute_loss(inputs, target, y_pred, training=False)
        kl = model.posterior.kl(model.node_features(inputs))
        params = model.encode(inputs)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    assert keras.backend.standardize_dtype(kl.dtype) == "float32"
    # From the half-precision parameters: KL = 1/2 sum(mu^2 + s^2 - 1 - log s^2).
    mu, s = _np(params["mean"]), _np(params["stddev"])
    expected = 0.5 * np.sum(mu**2 + s**2 - 1 - 2 * np.log(s), axis=-1)
    np.testing.assert_allclose(_np(kl), expected, rtol=2e-2, atol=1e-2)
    logits = _np(y_pred["logits"])[0]
    expected_loss = _reference_loss(target[0], logits) + _np(y_pred["kl"]).mean() / N
    assert _np(loss) == pytest.approx(expected_loss, rel=1e-5)
