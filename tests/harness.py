"""The shared layer harness: every layer of `keras_hsvae.layers` runs it.

`check_layer(make, input_shapes, ...)` checks, for a layer factory
`make(**kwargs)`:

- config: `from_config(get_config())` rebuilds the same config;
- symbolic shapes: a call on `keras.Input`s gives `compute_output_shape`;
- `.keras` round trip inside a functional model (same predictions);
- seeds: two layers with one seed draw the same training output, another
  seed draws a different one (stochastic layers only);
- dtype policies: float32, float64, mixed_float16 and mixed_bfloat16 give
  outputs of the compute dtype, finite values, and losses of float32 or
  better;
- a training step with `fit` (finite loss, the layer's weights move).
"""

import contextlib

import keras
import numpy as np
from backend_utils import float64, to_numpy

POLICIES = ("float32", "float64", "mixed_float16", "mixed_bfloat16")


def _inputs(input_shapes, seed=0, batch=8):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(batch,) + tuple(s)).astype("float32") for s in input_shapes
    ]


def _single(values):
    return values[0] if len(values) == 1 else values


def _first(output):
    """The latent of a layer's output: the first output with a feature axis."""
    if not isinstance(output, (tuple, list)):
        return output
    return next(t for t in output if len(t.shape) >= 2)


@contextlib.contextmanager
def dtype_policy(name):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        with float64() if name == "float64" else contextlib.nullcontext():
            yield
    finally:
        keras.config.set_dtype_policy(previous)


def check_config(make):
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def check_symbolic_shapes(make, input_shapes):
    layer = make()
    symbolic = [keras.Input(s) for s in input_shapes]
    out = layer(_single(symbolic))
    expected = layer.compute_output_shape(
        _single([(None,) + tuple(s) for s in input_shapes])
    )
    outs = out if isinstance(out, (tuple, list)) else [out]
    shapes = expected if isinstance(out, (tuple, list)) else [expected]
    for tensor, shape in zip(outs, shapes):
        assert tuple(tensor.shape) == tuple(shape)


def _functional(layer, input_shapes):
    symbolic = _single([keras.Input(s) for s in input_shapes])
    z = _first(layer(symbolic))
    return keras.Model(symbolic, keras.layers.Dense(3, name="head")(z))


def check_keras_round_trip(make, input_shapes, tmp_path):
    model = _functional(make(), input_shapes)
    x = _inputs(input_shapes)
    before = to_numpy(model(_single(x), training=False))
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    after = to_numpy(restored(_single(x), training=False))
    np.testing.assert_allclose(after, before, rtol=1e-6, atol=1e-6)


def check_seeds(make, input_shapes):
    x = _single(_inputs(input_shapes))
    keras.utils.set_random_seed(0)  # the same initial weights for a and b
    a = to_numpy(_first(make(seed=3)(x, training=True)))
    keras.utils.set_random_seed(0)
    b_layer = make(seed=3)
    b = to_numpy(_first(b_layer(x, training=True)))
    keras.utils.set_random_seed(0)
    c = to_numpy(_first(make(seed=4)(x, training=True)))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c), "another seed gave the same draw"
    again = to_numpy(_first(b_layer(x, training=True)))
    assert not np.allclose(a, again), "the seed generator did not advance"


def check_policies(make, input_shapes, expects_loss):
    for policy in POLICIES:
        with dtype_policy(policy):
            layer = make()
            compute = keras.config.dtype_policy().compute_dtype
            x = _single(_inputs(input_shapes))
            for training in (True, False):
                out = layer(x, training=training)
                for tensor in out if isinstance(out, (tuple, list)) else [out]:
                    dtype = keras.backend.standardize_dtype(tensor.dtype)
                    assert dtype == compute, (policy, dtype)
                    assert np.all(np.isfinite(to_numpy(tensor).astype("float64")))
                if expects_loss:
                    assert len(layer.losses) == 1
                    loss = layer.losses[0]
                    dtype = keras.backend.standardize_dtype(loss.dtype)
                    assert dtype in ("float32", "float64"), (policy, dtype)
                    assert np.isfinite(float(to_numpy(loss)))


def check_training_step(make, input_shapes):
    layer = make()
    model = _functional(layer, input_shapes)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = _inputs(input_shapes, batch=16)
    y = np.zeros((16, 3), "float32")
    before = [to_numpy(w).copy() for w in layer.trainable_weights]
    history = model.fit(_single(x), y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = [to_numpy(w) for w in layer.trainable_weights]
    if before:
        assert any(not np.allclose(a, b) for a, b in zip(after, before))


def check_layer(make, input_shapes, tmp_path, stochastic=True, expects_loss=True):
    """Run every check of this harness on the layer factory `make`."""
    check_config(make)
    check_symbolic_shapes(make, input_shapes)
    check_keras_round_trip(make, input_shapes, tmp_path)
    if stochastic:
        check_seeds(make, input_shapes)
    check_policies(make, input_shapes, expects_loss)
    check_training_step(make, input_shapes)
