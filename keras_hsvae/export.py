"""Export a model to a TensorFlow SavedModel that serves its VAE API.

`export_saved_model(model, path)` writes a SavedModel whose serving
signatures are the model's user API:

| signature     | inputs                                  | outputs (names)      |
|---------------|-----------------------------------------|----------------------|
| `encode`      | `x: float32 (None, *input_shape)`       | posterior parameters |
| `embed`       | `x: float32 (None, *input_shape)`       | `output_0`           |
| `decode`      | `z: float32 (None, latent_dim)`         | `output_0`           |
| `reconstruct` | `x: float32 (None, *input_shape)`       | `output_0`           |
| `generate`    | `num: int32 ()`, `seed: int64 ()`       | `output_0`           |

The same functions are attributes of the loaded object and return plain
tensors (`encode`: a dict), e.g. `tf.saved_model.load(path).embed(x)`;
`loaded.generate(num, seed)` takes an int32 or int64 `seed`. The artifact
needs TensorFlow only: no Keras and no `keras_hsvae` at load time.

`encode` returns one output per posterior parameter (`mean`/`stddev`,
`mean_direction`/`concentration`, ...); a parameter that is a list (one tensor
per shell of a `ProductSVAE`) becomes `<name>_0`, `<name>_1`, ...

`generate(num, seed)` decodes `num` latent codes drawn by the `sampler`
argument, else `model.sampler`, else the prior. It is deterministic for a
given seed: the artifact owns a `keras.random.SeedGenerator` whose state is
set to `[seed, 0]` at the start of every call, which is the state an integer
seed starts from, so in a TensorFlow-backend process the result equals
`model.generate(num, seed=seed)`. The draws use TensorFlow's stateless
random ops: a model trained on JAX or PyTorch generates different (equally
distributed) samples from the artifact than in its own backend.

Input checks. Calling a loaded function (`loaded.encode(x)`) with a tensor
of the wrong shape or dtype raises TensorFlow's `TypeError` / `ValueError`,
whose message quotes the expected signature, e.g.
`TensorSpec(shape=(None, 28, 28, 1), dtype=tf.float32, name='x')`. NumPy
arrays and Python numbers are converted to the declared dtype first (so a
float64 array is cast to float32), as for any `tf.function`. The raw serving
signatures (`loaded.signatures["encode"](x=x)`, what TF Serving calls) check
the dtype with TensorFlow's message "expected a float tensor" and leave shape
checks to the server, which validates requests against the signature.

Non-finite inputs. An example whose `x` (or `z`) holds NaN or inf gives NaN
outputs, as the Keras model does: the served graph's fused kernels (oneDNN)
would otherwise turn NaN into 0 inside ReLU and return a valid-looking
embedding. `generate` checks `num`: an integer >= 1 (`generate(2.5, 0)` and
`generate(-1, 0)` raise `InvalidArgumentError` quoting "`num` must be an
integer >= 1").

Graph auto-encoders (`keras_hsvae.models.GraphVAE`: `NVGAE`, `SVGAE`) have
no image API; their SavedModel serves the node embeddings and link scores
of whole graphs instead, on the dense normalized adjacency of `graph_inputs`:

| signature     | inputs                                          | outputs   |
|---------------|-------------------------------------------------|-----------|
| `encode`      | `features: float32 (None, None, F)`,            | parameters|
|               | `adjacency: float32 (None, None, None)`         |           |
| `embed`       | `features`, `adjacency`                         | (B, N, m) |
| `decode`      | `z: float32 (None, None, m)`                    | (B, N, N) |
| `score_edges` | `features`, `adjacency` (one graph: B = 1),     | (E,)      |
|               | `edges: int64 (None, 2)`                        |           |

(one output per posterior parameter for `encode`, `output_0` otherwise).
`embed` is the posterior mode of every node, `decode(z)` the link
probabilities `sigmoid(z_i . z_j)` of every pair and `score_edges` those of
the listed pairs, as `model.embed`, `model.decode` and `model.score_edges`.
A graph with a NaN or inf feature or adjacency entry gets NaN outputs (the
dense propagation mixes every node into every other in Keras too); a
`score_edges` call with more than one graph raises `InvalidArgumentError`
("`score_edges` takes one graph").

An existing SavedModel at `filepath` (or a non-empty folder) is refused
unless `overwrite=True` (which replaces the SavedModel's own files only).

Backends. Writing a SavedModel needs the TensorFlow backend. Under JAX or
PyTorch, `export_saved_model` saves the model to a temporary `.keras` file
and runs the export in a child Python process with
`KERAS_BACKEND=tensorflow` (weights are backend independent). The child
imports `keras_hsvae` only, so every custom object in the model or sampler
must be a `keras_hsvae` class or be registered in a module the child can
import; otherwise do the two steps yourself:

    model.save("model.keras")                      # on the training backend
    # then, in a process started with KERAS_BACKEND=tensorflow:
    import keras, keras_hsvae, my_custom_layers
    from keras_hsvae.export import export_saved_model
    export_saved_model(keras.saving.load_model("model.keras"), "exported")

`model.export(path, format="tf_saved_model")` (Keras' own exporter) also
works under TensorFlow and JAX (not PyTorch: Keras 3.15 fails on its dynamic
batch size), but it serves `model.call` only: a `serve` endpoint returning
the decoder's raw output (logits for a Bernoulli likelihood), the
per-example KL (and `kl_shell_<i>` for `ProductSVAE`) and the mean
concentration. Use `export_saved_model` for the encode / embed / decode /
reconstruct / generate API.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import keras
from keras import ops

from keras_hsvae._optional import import_optional, require

SIGNATURE_NAMES = ("encode", "embed", "decode", "reconstruct", "generate")
GRAPH_SIGNATURE_NAMES = ("encode", "embed", "decode", "score_edges")
_REQUIRED_METHODS = ("encode", "embed", "decode", "reconstruct", "sample_latent")

# Run in a child process under KERAS_BACKEND=tensorflow (non-TF backends).
_CHILD_SCRIPT = """
import json, sys
import keras
import keras_hsvae  # registers the library's serializable classes
from keras_hsvae.export import export_saved_model

model_path, filepath, sampler_config = sys.argv[1:4]
model = keras.saving.load_model(model_path, compile=False)
sampler_config = json.loads(sampler_config)
sampler = None
if sampler_config is not None:
    sampler = keras.saving.deserialize_keras_object(sampler_config)
# The parent process checked `filepath` (and `overwrite`) already.
export_saved_model(model, filepath, sampler=sampler, overwrite=True)
"""

# The entries `tf.saved_model.save` writes (what `overwrite=True` replaces).
_SAVED_MODEL_ENTRIES = ("saved_model.pb", "fingerprint.pb", "variables", "assets")

_RECIPE = (
    "Writing a SavedModel needs the TensorFlow backend. Save the model on its "
    "training backend with `model.save('model.keras')`, then in a process "
    "started with KERAS_BACKEND=tensorflow run `export_saved_model("
    "keras.saving.load_model('model.keras'), path)` after importing the modules "
    "that register your custom objects."
)


def export_saved_model(model, filepath, sampler=None, overwrite=False):
    """Write `model` as a TensorFlow SavedModel serving its VAE API.

    The signatures `encode`, `embed`, `decode`, `reconstruct` and
    `generate(num, seed)` (graph auto-encoders: `encode`, `embed`,
    `decode`, `score_edges`) are described in the module docstring. The
    artifact loads with `tf.saved_model.load` in a process that imports
    TensorFlow only. On the JAX and PyTorch backends the export runs in a
    TensorFlow-backend child process (see the module docstring).

    Args:
        model: a `keras_hsvae.models` model (`BetaVAE`, `SVAE`,
            `ProductSVAE`, ...) whose encoder has a known input shape, or
            a graph auto-encoder (`NVGAE`, `SVGAE`: the graph signatures).
        filepath: str or path-like, the SavedModel directory to write.
        sampler: optional callable `sampler(n, seed) -> (n, latent_dim)`
            used by `generate`; it must accept a tensor `n` and a
            `keras.random.SeedGenerator` seed. Defaults to `model.sampler`,
            then to the prior. Under JAX or PyTorch it must be
            serializable (`get_config` and a registered class).
        overwrite: whether to replace a SavedModel already at `filepath`
            (or write into a non-empty folder). Default `False`: refuse
            with a `ValueError`, as `keras.Model.save` does.

    Returns:
        `None`.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> import tensorflow as tf
    >>> from keras_hsvae.export import export_saved_model
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> model = BetaVAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3)
    >>> path = os.path.join(tempfile.mkdtemp(), "vae")
    >>> export_saved_model(model, path)
    >>> loaded = tf.saved_model.load(path)
    >>> sorted(loaded.signatures)
    ['decode', 'embed', 'encode', 'generate', 'reconstruct']
    >>> x = np.zeros((2, 6), "float32")
    >>> np.allclose(loaded.embed(x), keras.ops.convert_to_numpy(model.embed(x)))
    True
    >>> tuple(loaded.generate(4, 0).shape)
    (4, 6)
    """
    from keras_hsvae.models.graph_vae import GraphVAE

    graph = isinstance(model, GraphVAE)
    missing = [name for name in _REQUIRED_METHODS if not hasattr(model, name)]
    if graph and sampler is not None:
        raise ValueError(
            "Graph auto-encoders export no `generate` signature: `sampler` "
            f"must be None. Received: sampler={sampler!r}"
        )
    if not isinstance(model, keras.Model) or (missing and not graph):
        raise ValueError(
            "`model` must be a keras_hsvae model (a keras.Model with "
            f"{', '.join(_REQUIRED_METHODS)}). Received: model={model!r}"
        )
    if sampler is not None and not callable(sampler):
        raise ValueError(
            "`sampler` must be None or a callable `sampler(n, seed)`. "
            f"Received: sampler={sampler!r}"
        )
    # Without TensorFlow nothing can be written: say so before the target
    # folder is created (and here, not in a child process).
    in_tensorflow = keras.backend.backend() == "tensorflow"
    if in_tensorflow:
        tf = import_optional("tensorflow", "keras_hsvae.export")
    else:
        require("tensorflow", "keras_hsvae.export")
    filepath = _check_target(filepath, overwrite)
    # Build every layer now, on the model's own backend: variables cannot be
    # created while tracing, and an unbuilt model would be saved without its
    # posterior weights on the way to a TensorFlow process.
    if graph:
        model.build()
    elif not model.built:
        input_shape = _input_shape(model)
        model(ops.zeros((1,) + input_shape, "float32"), training=False)
    if not in_tensorflow:
        _export_in_tensorflow_process(model, filepath, sampler)
        return

    if graph:
        module, signatures = _build_graph_module(model)
    else:
        module, signatures = _build_module(model, sampler)
    tf.saved_model.save(module, filepath, signatures=signatures)


def _check_target(filepath, overwrite):
    """`filepath` as a str, checked writable; an old SavedModel removed if asked."""
    filepath = os.fspath(filepath)
    if os.path.isfile(filepath):
        raise ValueError(
            "`filepath` must be a folder for the SavedModel, not an existing "
            f"file. Received: filepath={filepath!r}"
        )
    entries = os.listdir(filepath) if os.path.isdir(filepath) else []
    if entries and not overwrite:
        what = "a SavedModel" if "saved_model.pb" in entries else "a non-empty folder"
        raise ValueError(
            f"`filepath` is {what}; pass overwrite=True (hsvae export "
            f"--overwrite) to replace it, or choose another folder. Received: "
            f"filepath={filepath!r}"
        )
    try:
        os.makedirs(filepath, exist_ok=True)
        for name in entries if overwrite else ():
            path = os.path.join(filepath, name)
            if name in _SAVED_MODEL_ENTRIES and os.path.isdir(path):
                shutil.rmtree(path)
            elif name in _SAVED_MODEL_ENTRIES:
                os.remove(path)
        with tempfile.TemporaryFile(dir=filepath):
            pass
    except OSError as error:
        raise ValueError(
            f"`filepath` cannot be written: {error.strerror or error}. "
            f"Received: filepath={filepath!r}"
        ) from None
    return filepath


def _input_shape(model):
    try:
        shape = tuple(model.encoder.input_shape)
    except (AttributeError, ValueError):
        shape = None
    if not shape or any(d is None for d in shape[1:]):
        raise ValueError(
            "`export_saved_model` needs an encoder with a fully known input "
            "shape (a functional model such as `mlp_encoder(input_shape)`). "
            f"Received: encoder input shape {shape!r}"
        )
    return tuple(int(d) for d in shape[1:])


def _flatten_outputs(params):
    """`{"a": t, "b": [t0, t1]}` -> `{"a": t, "b_0": t0, "b_1": t1}`."""
    flat = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            flat.update(
                _flatten_outputs({f"{key}_{i}": v for i, v in enumerate(value)})
            )
        else:
            flat[key] = value
    return flat


def _finite_rows(*tensors):
    """True for the examples (first axis) whose every input value is finite."""
    tf = import_optional("tensorflow", "keras_hsvae.export")
    return tf.reduce_all(
        tf.stack(
            [
                tf.reduce_all(
                    tf.reshape(tf.math.is_finite(t), (tf.shape(t)[0], -1)), axis=-1
                )
                for t in tensors
            ]
        ),
        axis=0,
    )


def _nan_where_not(finite, out):
    """NaN for the examples with a NaN or inf input, as in Keras.

    Fused graph kernels (oneDNN) turn NaN into 0 in ReLU and would serve a
    valid-looking output (issue #10).
    """
    tf = import_optional("tensorflow", "keras_hsvae.export")
    if isinstance(out, dict):
        return {k: _nan_where_not(finite, v) for k, v in out.items()}
    mask = tf.reshape(finite, (-1,) + (1,) * (len(out.shape) - 1))
    return tf.where(mask, out, tf.constant(float("nan"), out.dtype))


def _guarded(fn):
    """`fn` with NaN outputs for the examples of a non-finite input."""

    def call(*inputs):
        return _nan_where_not(_finite_rows(*inputs), fn(*inputs))

    return call


def _function(fn, *specs):
    """A `tf.function` of `fn` with the input signature `specs`."""
    tf = import_optional("tensorflow", "keras_hsvae.export")
    return tf.function(fn, input_signature=list(specs), autograph=False)


def _module(model, extra_variables=()):
    """The exported `tf.Module`, tracking every variable the functions use."""
    tf = import_optional("tensorflow", "keras_hsvae.export")
    module = tf.Module(name="keras_hsvae_export")
    # Every captured variable, tracked explicitly (the Keras object tree
    # itself is not saved: serving needs the variables and functions only).
    module.tracked_variables = [v.value for v in model.variables] + list(
        extra_variables
    )
    return module


def _build_graph_module(model):
    """The `tf.Module` and signatures of a graph auto-encoder (TensorFlow only)."""
    tf = import_optional("tensorflow", "keras_hsvae.export")

    def graph(features, adjacency):
        return {"features": features, "adjacency": adjacency}

    def encode(features, adjacency):
        return _flatten_outputs(model.encode(graph(features, adjacency)))

    def embed(features, adjacency):
        return model.embed(graph(features, adjacency))

    def score_edges(features, adjacency, edges):
        one = tf.debugging.assert_equal(
            tf.shape(features)[0],
            1,
            message="`score_edges` takes one graph (batch size 1)",
        )
        with tf.control_dependencies([one]):
            scores = model.score_edges(graph(features, adjacency), edges)
        # Every score NaN when the graph holds a non-finite input.
        return _nan_where_not(_finite_rows(features, adjacency), scores[None])[0]

    features = tf.TensorSpec((None, None, model.input_dim), tf.float32, "features")
    adjacency = tf.TensorSpec((None, None, None), tf.float32, "adjacency")
    z = tf.TensorSpec((None, None, model.latent_dim), tf.float32, "z")
    edges = tf.TensorSpec((None, 2), tf.int64, "edges")

    module = _module(model)
    module.encode = _function(_guarded(encode), features, adjacency)
    module.embed = _function(_guarded(embed), features, adjacency)
    # No guard: a NaN code gives NaN in its own row and column only, as in
    # Keras (no ReLU to fuse).
    module.decode = _function(model.decode, z)
    module.score_edges = _function(score_edges, features, adjacency, edges)
    signatures = {name: getattr(module, name) for name in GRAPH_SIGNATURE_NAMES}
    return module, signatures


def _build_module(model, sampler):
    """The exported `tf.Module` and its serving signatures (TensorFlow only)."""
    tf = import_optional("tensorflow", "keras_hsvae.export")

    input_shape = _input_shape(model)
    seed_generator = keras.random.SeedGenerator(0)

    def encode(x):
        return _flatten_outputs(model.encode(x))

    def generate(num, seed):
        # `num` arrives as an integer or a float tensor: one message for both.
        ok = num >= 1
        if num.dtype.is_floating:
            ok = tf.logical_and(ok, tf.equal(num, tf.round(num)))
        check = tf.debugging.Assert(
            ok, ["`num` must be an integer >= 1. Received: num =", num]
        )
        with tf.control_dependencies([check]):
            num = tf.identity(tf.cast(num, tf.int32))
        state = seed_generator.state
        # The state an integer seed starts from: `[seed, 0]`.
        state.assign(
            ops.stack([ops.cast(seed, state.dtype), ops.zeros((), state.dtype)])
        )
        z = model.sample_latent(num, seed=seed_generator, sampler=sampler)
        return model.decode(z)

    x = tf.TensorSpec((None,) + input_shape, tf.float32, name="x")
    z = tf.TensorSpec((None, model.latent_dim), tf.float32, name="z")
    num = tf.TensorSpec((), tf.int32, name="num")
    # A float `num` (generate(2.5, 0)) reaches the check above instead of
    # TensorFlow's "Could not find matching concrete function".
    float_num = tf.TensorSpec((), tf.float32, name="num")
    seeds = [tf.TensorSpec((), dtype, name="seed") for dtype in (tf.int32, tf.int64)]

    module = _module(model, [seed_generator.state.value])
    module.encode = _function(_guarded(encode), x)
    module.embed = _function(_guarded(model.embed), x)
    module.decode = _function(_guarded(model.decode), z)
    module.reconstruct = _function(_guarded(model.reconstruct), x)
    # No input_signature: one trace per seed dtype, int32 and int64, and
    # per num dtype, int32 and float32.
    module.generate = tf.function(generate, autograph=False)
    for seed in seeds:
        module.generate.get_concrete_function(num, seed)
    for seed in seeds:
        module.generate.get_concrete_function(float_num, seed)

    # The serving signatures are the functions above (their single-tensor
    # outputs are named "output_0" by TensorFlow). Functions with an
    # input_signature are left untraced here: `tf.saved_model.save` traces
    # them in its own context and would not reuse an earlier trace.
    signatures = {
        "encode": module.encode,
        "embed": module.embed,
        "decode": module.decode,
        "reconstruct": module.reconstruct,
        "generate": module.generate.get_concrete_function(num, seeds[1]),
    }
    return module, signatures


def _export_in_tensorflow_process(model, filepath, sampler):
    """Save `model` to a `.keras` file and export it under TensorFlow."""
    sampler_config = None
    if sampler is not None:
        if not hasattr(sampler, "get_config"):
            raise ValueError(
                "On the JAX and PyTorch backends `sampler` must be serializable "
                "(a class with `get_config`, registered with "
                "`keras.saving.register_keras_serializable`) to reach the "
                f"TensorFlow export process. {_RECIPE} Received: sampler={sampler!r}"
            )
        sampler_config = keras.saving.serialize_keras_object(sampler)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_root, env.get("PYTHONPATH")) if p
    )
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "model.keras")
        model.save(model_path)
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                _CHILD_SCRIPT,
                model_path,
                os.path.abspath(filepath),
                json.dumps(sampler_config),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        # Its last line is the error itself; the recipe follows it, since
        # most failures (a disk error, say) have nothing to do with backends.
        last = lines[-1] if lines else f"exit status {result.returncode}"
        tail = "\n".join(lines[-15:])
        raise RuntimeError(
            f"The TensorFlow export process failed: {last}\n(backend "
            f"{keras.backend.backend()!r}; if the error is about custom objects: "
            f"{_RECIPE})\nIts error output:\n{tail}"
        )
