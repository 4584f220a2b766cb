"""Tests for `keras_hsvae.export`: SavedModels served by TensorFlow alone.

Each model is trained one step on the current backend, exported (in-process
under TensorFlow, through a TensorFlow child process under JAX and PyTorch)
and served by a fresh Python process that imports TensorFlow only. Its
outputs are compared with the Keras model in this process within 1e-5.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import make_tiny_model

from keras_hsvae.distributions import VonMisesFisher
from keras_hsvae.export import export_saved_model
from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder

SHAPE = (4, 4, 1)
BATCH_SIZES = (1, 7, 1024)
ATOL = 1e-5
IS_TF = keras.backend.backend() == "tensorflow"


# One line per model: the suite's tiny models, with 8 hidden units.
FACTORIES = {
    name: (lambda kind=kind: make_tiny_model(kind, hidden=(8,)))
    for name, kind in (
        ("beta", "beta"),
        ("vmf", "vmf"),
        ("power_spherical", "power_spherical"),
        ("product", "product"),
        ("hscvae", "hsc"),
        ("sae", "sae"),
    )
}
# On TensorFlow every model is exported and served in the fast tier (one
# TensorFlow start-up for all). Off TensorFlow the export route is the same
# for every model (a `.keras` file exported by a TensorFlow child process),
# so one fast model covers it and the others run in the slow tier.
SLOW = set() if IS_TF else set(FACTORIES) - {"beta"}
MODEL_PARAMS = [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
    for name in FACTORIES
]

# Served in a fresh interpreter that imports TensorFlow only.
SERVE_SCRIPT = r"""
import json, sys
# Keras and keras_hsvae are installed here: make every import of them fail,
# so that the artifact provably needs TensorFlow only.
for name in ("keras", "keras_hsvae", "tf_keras"):
    sys.modules[name] = None
import numpy as np
import tensorflow as tf

def serve(export_dir, inputs_path, out_path, latent_dim):
    inputs = dict(np.load(inputs_path))
    loaded = tf.saved_model.load(export_dir)
    out, messages = {}, {}
    for b in (1, 7, 1024):
        x, z = inputs[f"x{b}"], inputs[f"z{b}"]
        for key, value in loaded.encode(x).items():
            out[f"encode/{key}/{b}"] = value.numpy()
        out[f"embed/{b}"] = loaded.embed(x).numpy()
        out[f"reconstruct/{b}"] = loaded.reconstruct(x).numpy()
        out[f"decode/{b}"] = loaded.decode(z).numpy()
    sig = loaded.signatures
    x7 = tf.constant(inputs["x7"])
    out["sig/embed"] = sig["embed"](x=x7)["output_0"].numpy()
    out["sig/reconstruct"] = sig["reconstruct"](x=x7)["output_0"].numpy()
    out["sig/decode"] = sig["decode"](z=tf.constant(inputs["z7"]))["output_0"].numpy()
    for key, value in sig["encode"](x=x7).items():
        out[f"sig/encode/{key}"] = value.numpy()
    out["sig/generate"] = sig["generate"](
        num=tf.constant(5), seed=tf.constant(3, tf.int64))["output_0"].numpy()
    out["generate/3"] = loaded.generate(5, 3).numpy()
    out["generate/3/again"] = loaded.generate(5, 3).numpy()
    out["generate/3/int32"] = loaded.generate(tf.constant(5), tf.constant(3)).numpy()
    out["generate/4"] = loaded.generate(5, 4).numpy()
    # What Keras' TF backend draws for an integer seed s: state [s, 0].
    out["normal/3"] = tf.random.stateless_normal((5, latent_dim), seed=[3, 0]).numpy()
    bad = {
        "shape": tf.zeros((2, 5)),
        "dtype": tf.constant(inputs["x7"], tf.float64),
    }
    for name, value in bad.items():
        try:
            loaded.embed(value)
            messages[name] = None
        except (TypeError, ValueError) as e:
            messages[name] = str(e)
    try:
        loaded.generate(tf.constant(5, tf.int64), 3)
        messages["num"] = None
    except (TypeError, ValueError) as e:
        messages["num"] = str(e)
    # Non-finite inputs: a NaN and an inf example among finite ones.
    x7 = inputs["x7"].copy()
    x7[0, 1, 1, 0] = np.nan
    x7[3, 0, 2, 0] = np.inf
    out["nan/embed"] = loaded.embed(x7).numpy()
    out["nan/reconstruct"] = loaded.reconstruct(x7).numpy()
    for key, value in loaded.encode(x7).items():
        out[f"nan/encode/{key}"] = value.numpy()
    z7 = inputs["z7"].copy()
    z7[2, 0] = np.nan
    out["nan/decode"] = loaded.decode(z7).numpy()
    for num in (-1, 0, 2.5):
        try:
            loaded.generate(num, 0)
            messages[f"generate/{num}"] = None
        except tf.errors.InvalidArgumentError as e:
            messages[f"generate/{num}"] = e.message
    np.savez(out_path, **out)
    with open(out_path + ".json", "w") as f:
        json.dump(messages, f)

for job in json.loads(sys.argv[1]):
    serve(*job)
loaded_modules = sorted(
    m for m, module in sys.modules.items()
    if module is not None and m.split(".")[0] in ("keras", "keras_hsvae", "tf_keras")
)
with open(sys.argv[2], "w") as f:
    json.dump(loaded_modules, f)
"""


def _serve_all(jobs, tmp_path):
    """Serve `[(export_dir, inputs, latent_dim), ...]` in one fresh process."""
    args = []
    for i, (export_dir, inputs, latent_dim) in enumerate(jobs):
        inputs_path = os.path.join(tmp_path, f"inputs{i}.npz")
        np.savez(inputs_path, **inputs)
        args.append([export_dir, inputs_path, f"{export_dir}.npz", latent_dim])
    modules_path = os.path.join(tmp_path, "modules.json")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    result = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT, json.dumps(args), modules_path],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(modules_path) as f:
        modules = json.load(f)
    served = []
    for _, _, out_path, _ in args:
        with open(out_path + ".json") as f:
            served.append((dict(np.load(out_path)), json.load(f), modules))
    return served


def _inputs(latent_dim):
    rng = np.random.default_rng(0)
    inputs = {}
    for b in BATCH_SIZES:
        inputs[f"x{b}"] = (rng.random((b,) + SHAPE) > 0.5).astype("float32")
        inputs[f"z{b}"] = rng.normal(size=(b, latent_dim)).astype("float32")
    return inputs


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _flat(params):
    flat = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            flat.update({f"{key}_{i}": _np(v) for i, v in enumerate(value)})
        else:
            flat[key] = _np(value)
    return flat


def _build(name):
    """A model whose weights were set on the current backend.

    Random weights (seeded numpy draws, larger than the initializers') stand
    in for training, which would compile a train step per model; one model
    is also fitted for a step, so optimizer state is part of what is saved.
    """
    model = FACTORIES[name]()
    rng = np.random.default_rng(2)
    x = (rng.random((16,) + SHAPE) > 0.5).astype("float32")
    if name == "beta":
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        model.fit(x, epochs=1, batch_size=16, verbose=0)
    else:
        model(x)
    for variable in model.trainable_variables:
        noise = rng.normal(scale=0.3, size=variable.shape).astype("float32")
        variable.assign(_np(variable) + noise)
    return model


_SERVED = {}


def _served_group(names, tmp_path):
    """Export every model in `names`, then serve them all in one process."""
    if names not in _SERVED:
        jobs, built = [], []
        for name in names:
            model = _build(name)
            export_dir = os.path.join(tmp_path, name)
            export_saved_model(model, export_dir)
            inputs = _inputs(model.latent_dim)
            jobs.append((export_dir, inputs, model.latent_dim))
            built.append((name, model, _expected(model, inputs)))
        results = _serve_all(jobs, tmp_path)
        _SERVED[names] = {
            name: (name, model, expected, out, messages)
            for (name, model, expected), (out, messages, _) in zip(built, results)
        }
        _SERVED[names]["modules"] = results[0][2]
    return _SERVED[names]


def _expected(model, inputs):
    """The Keras model's outputs for `inputs` (computed once per model)."""
    expected = {}
    for b in BATCH_SIZES:
        x, z = inputs[f"x{b}"], inputs[f"z{b}"]
        expected[f"encode/{b}"] = _flat(model.encode(x))
        expected[f"embed/{b}"] = _np(model.embed(x))
        expected[f"reconstruct/{b}"] = _np(model.reconstruct(x))
        expected[f"decode/{b}"] = _np(model.decode(z))
    return expected


@pytest.fixture(scope="module", params=MODEL_PARAMS)
def served(request, tmp_path_factory):
    """(name, model, expected outputs, served outputs, error messages).

    The fast models are exported and served together, as are the slow ones:
    one TensorFlow start-up per group.
    """
    name = request.param
    group = tuple(n for n in FACTORIES if (n in SLOW) == (name in SLOW))
    key = "slow" if name in SLOW else "fast"
    if group not in _SERVED:
        _served_group(group, str(tmp_path_factory.mktemp(key)))
    return _SERVED[group][name]


def test_served_in_tensorflow_only_process(served):
    # The serving process blocks `import keras` / `import keras_hsvae` and
    # reports which of their modules were loaded: none.
    name = served[0]
    group = next(g for g in _SERVED if name in g)
    assert _SERVED[group]["modules"] == []


@pytest.mark.parametrize("batch", BATCH_SIZES)
def test_outputs_match_keras_model(served, batch):
    _, _, expected, out, _ = served
    params = expected[f"encode/{batch}"]
    served_keys = {k.split("/")[1] for k in out if k.startswith("encode/")}
    assert served_keys == set(params)
    for key, value in params.items():
        np.testing.assert_allclose(out[f"encode/{key}/{batch}"], value, atol=ATOL)
    for fn in ("embed", "reconstruct", "decode"):
        result = out[f"{fn}/{batch}"]
        assert result.shape[0] == batch
        np.testing.assert_allclose(result, expected[f"{fn}/{batch}"], atol=ATOL)


def test_serving_signatures_match_keras_model(served):
    _, _, expected, out, _ = served
    for fn in ("embed", "reconstruct", "decode"):
        np.testing.assert_allclose(out[f"sig/{fn}"], expected[f"{fn}/7"], atol=ATOL)
    for key, value in expected["encode/7"].items():
        np.testing.assert_allclose(out[f"sig/encode/{key}"], value, atol=ATOL)


def test_generate_is_deterministic_per_seed(served):
    name, model, _, out, _ = served
    np.testing.assert_array_equal(out["generate/3"], out["generate/3/again"])
    np.testing.assert_array_equal(out["generate/3"], out["generate/3/int32"])
    np.testing.assert_array_equal(out["generate/3"], out["sig/generate"])
    assert out["generate/3"].shape == (5,) + SHAPE
    assert not np.allclose(out["generate/3"], out["generate/4"])
    if IS_TF:
        # Same draws as the Keras model for the same integer seed.
        expected = _np(model.generate(5, seed=3))
        np.testing.assert_allclose(out["generate/3"], expected, atol=ATOL)
    # Independent of Keras' random code: the prior draw is TF's stateless
    # normal at seed [3, 0] (BetaVAE), normalized onto the sphere (SVAE).
    normal = out["normal/3"]
    if name == "beta":
        np.testing.assert_allclose(
            out["generate/3"], _np(model.decode(normal)), atol=ATOL
        )
    if name == "vmf":
        z = normal / np.linalg.norm(normal, axis=-1, keepdims=True)
        np.testing.assert_allclose(out["generate/3"], _np(model.decode(z)), atol=ATOL)


def test_wrong_shape_or_dtype_names_the_signature(served):
    _, _, _, _, messages = served
    expected = "TensorSpec(shape=(None, 4, 4, 1), dtype=tf.float32, name='x')"
    for case in ("shape", "dtype"):
        assert messages[case] is not None, case
        assert expected in messages[case], messages[case]
    assert "TensorSpec(shape=(), dtype=tf.int32, name='num')" in messages["num"]


def test_non_finite_inputs_give_nan_as_in_keras(served):
    # Issue #10: the served graph turned a NaN pixel into a finite embedding
    # (oneDNN's fused ReLU maps NaN to 0); Keras returns NaN.
    _, _, expected, out, _ = served
    for fn in ("embed", "reconstruct"):
        result = out[f"nan/{fn}"]
        assert np.all(np.isnan(result[[0, 3]])), fn
        np.testing.assert_allclose(
            result[[1, 2, 4, 5, 6]], expected[f"{fn}/7"][[1, 2, 4, 5, 6]], atol=ATOL
        )
    for key in expected["encode/7"]:
        assert np.all(np.isnan(out[f"nan/encode/{key}"][[0, 3]])), key
    assert np.all(np.isnan(out["nan/decode"][2]))
    assert np.all(np.isfinite(out["nan/decode"][[0, 1, 3]]))


def test_generate_refuses_num_below_one_or_fractional(served):
    # Issue #10: generate(-1, 0) and generate(2.5, 0) raised TF-internal errors.
    _, _, _, _, messages = served
    for num in ("-1", "0", "2.5"):
        message = messages[f"generate/{num}"]
        assert message is not None, num
        assert "`num` must be an integer >= 1. Received: num =" in message, message
        assert f"[{num}]" in message, message


def test_existing_or_unwritable_target_is_refused(tmp_path):
    # Issue #10: an existing SavedModel was overwritten silently.
    model = FACTORIES["beta"]()
    old = tmp_path / "old"
    old.mkdir()
    (old / "saved_model.pb").write_bytes(b"old")
    with pytest.raises(ValueError, match="is a SavedModel; pass overwrite=True"):
        export_saved_model(model, old)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    with pytest.raises(ValueError, match="non-empty folder; pass overwrite=True"):
        export_saved_model(model, tmp_path / "notes")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="cannot be written.*filepath="):
        export_saved_model(model, tmp_path / "file" / "m")
    with pytest.raises(ValueError, match="not an existing file"):
        export_saved_model(model, tmp_path / "file")
    assert (old / "saved_model.pb").read_bytes() == b"old"


@pytest.mark.skipif(not IS_TF, reason="exports in-process: TensorFlow backend")
def test_overwrite_replaces_the_saved_model_only(tmp_path):
    import tensorflow as tf

    model = FACTORIES["beta"]()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "saved_model.pb").write_bytes(b"stale")
    (tmp_path / "m" / "README").write_text("mine")
    export_saved_model(model, tmp_path / "m", overwrite=True)
    assert (tmp_path / "m" / "README").read_text() == "mine"
    x = np.zeros((2,) + SHAPE, "float32")
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.embed(x), _np(model.embed(x)), atol=ATOL)


@pytest.mark.skipif(not IS_TF, reason="exports in-process: TensorFlow backend")
def test_generate_with_vmf_sampler(tmp_path):
    """A sampler running Wood's rejection loop traces into `generate`."""
    import tensorflow as tf

    # Gaussian likelihood and an identity decoder: `generate` returns z.
    decoder = mlp_decoder(3, (3,), hidden=())
    decoder.layers[1].set_weights([np.eye(3, dtype="float32"), np.zeros(3, "f4")])
    model = BetaVAE(mlp_encoder((3,), (8,)), decoder, 3, likelihood="gaussian")
    kappa, mean_direction = 50.0, np.array([0.0, 0.0, 1.0], "float32")

    def sampler(n, seed=None):
        return VonMisesFisher(mean_direction, kappa).sample((n,), seed=seed)

    export_saved_model(model, tmp_path / "m", sampler=sampler)
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    z = loaded.generate(512, 11).numpy()
    np.testing.assert_array_equal(z, loaded.generate(512, 11).numpy())
    expected = sampler(512, seed=keras.random.SeedGenerator(11))
    np.testing.assert_allclose(z, _np(expected), atol=ATOL)
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, atol=1e-5)
    # E[mu . z] = A_3(kappa) = coth(kappa) - 1/kappa; sd of the mean of 512
    # draws is about 1/(kappa sqrt(512)) < 1e-3.
    mean_cosine = z[:, 2].mean()
    assert abs(mean_cosine - (1 / np.tanh(kappa) - 1 / kappa)) < 5e-3


@pytest.mark.skipif(IS_TF, reason="the non-TensorFlow route")
def test_unserializable_sampler_on_other_backends(tmp_path):
    model = FACTORIES["beta"]()
    with pytest.raises(ValueError, match="KERAS_BACKEND=tensorflow"):
        export_saved_model(
            model, tmp_path / "m", sampler=lambda n, seed: keras.ops.ones((n, 3))
        )


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match="Received: model="):
        export_saved_model(mlp_encoder(SHAPE, (8,)), tmp_path / "m")
    with pytest.raises(ValueError, match="Received: sampler=3"):
        export_saved_model(FACTORIES["beta"](), tmp_path / "m", sampler=3)


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras' SavedModel export of dynamic batch sizes fails on PyTorch",
)
@pytest.mark.parametrize("kind", ["beta", "product"])
def test_keras_model_export_serves_call(kind, tmp_path):
    """Keras' own `model.export` serves `call` (decoder logits, KL)."""
    import tensorflow as tf

    model = FACTORIES[kind]()
    x = _inputs(3)["x7"]
    expected = model(x)
    model.export(str(tmp_path / "k"), format="tf_saved_model", verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "k"))
    served = loaded.serve(x)
    assert set(served) == set(expected)
    assert {"reconstruction", "kl"} <= set(served)
    # No training-only key leaks into serving (the score correction is an
    # option of the posterior, off by default).
    assert "correction" not in served and "score_correction" not in served
    for key in served:
        np.testing.assert_allclose(served[key].numpy(), _np(expected[key]), atol=ATOL)
    # `reconstruction` holds logits: the VAE API's `reconstruct` is sigmoid(.).
    np.testing.assert_allclose(
        1 / (1 + np.exp(-served["reconstruction"].numpy())),
        _np(model.reconstruct(x)),
        atol=ATOL,
    )
