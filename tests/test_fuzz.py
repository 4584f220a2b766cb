"""Fault-and-fuzz suite (issue #10): valid output or one clear error.

Property-based (hypothesis) over public constructors and methods with random
shapes, dtypes, non-finite and out-of-range values. Every input must give
either a valid result (finite where the input is finite; NaN rows, never
valid-looking ones, where it is not) or one `ValueError` / `TypeError` whose
message names the argument. Anything else fails the test: a silent result
(non-finite output from valid-looking input, or a finite one from NaN) or a
crash (another exception, or an error that does not name the argument).

Slow tier (`-m slow`): Keras compiles per new shape. With
`KERAS_HSVAE_RELIABILITY=<file>` the counts are appended to that file as a
table row per (case, backend) (the source of `docs/RELIABILITY.md`).
"""

import collections
import contextlib
import os

import keras
import numpy as np
import pytest
from backend_utils import float64
from conftest import make_tiny_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_hsvae import distributions as hd

pytestmark = pytest.mark.slow

COUNTS = collections.defaultdict(collections.Counter)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SPECIAL = [0.0, -1.0, 1.0, 1e-30, 1e30, 65504.0, 1e7, np.nan, np.inf, -np.inf]
values = st.one_of(st.sampled_from(SPECIAL), st.floats(-10, 10))


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x)).astype("float64")


def _record(case, outcome):
    COUNTS[case][outcome] += 1
    COUNTS[case]["inputs"] += 1


def _clear_error(case, error, names):
    message = str(error)
    assert isinstance(error, (ValueError, TypeError)), (case, repr(error))
    assert len(message.splitlines()) == 1, (case, message)
    assert any(name in message for name in names), (case, message)
    _record(case, "clear error")


@pytest.fixture(scope="module", autouse=True)
def _write_table():
    yield
    path = os.environ.get("KERAS_HSVAE_RELIABILITY")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        for case, c in sorted(COUNTS.items()):
            f.write(
                f"| {case} | {keras.backend.backend()} | {c['inputs']} | "
                f"{c['valid']} | {c['clear error']} | 0 | 0 |\n"
            )


@pytest.mark.parametrize("family", ["VonMisesFisher", "PowerSpherical"])
@SETTINGS
@given(
    m=st.integers(1, 5),
    batch=st.integers(0, 3),
    mu=st.lists(values, min_size=15, max_size=15),
    kappa=values,
    normalize=st.booleans(),
    dtype=st.sampled_from(["float32", "float64", "float16"]),
)
def test_spherical_distributions(family, m, batch, mu, kappa, normalize, dtype):
    case = f"{family}(mu, kappa) + methods"
    mu = np.array(mu[: max(batch, 1) * m]).reshape((max(batch, 1), m))[:batch]
    # JAX computes float64 only with x64 enabled (else it warns and truncates).
    with float64() if dtype == "float64" else contextlib.nullcontext():
        _check_distribution(case, family, mu, kappa, normalize, dtype)


def _check_distribution(case, family, mu, kappa, normalize, dtype):
    try:
        q = getattr(hd, family)(
            mu.astype("float32"), np.float32(kappa), normalize=normalize, dtype=dtype
        )
    except Exception as error:  # noqa: BLE001 (the contract is checked here)
        _clear_error(case, error, ("mean_direction", "concentration", "dim"))
        return
    outputs = [q.entropy(), q.log_prob(q.mode()), q.sample((2,), seed=0)]
    for out in outputs:
        assert np.all(np.isfinite(_np(out))), (case, mu, kappa, dtype)
    _record(case, "valid")


@pytest.fixture(scope="module")
def model():
    model = make_tiny_model("vmf")
    model(np.zeros((1, 4, 4, 1), "float32"))
    return model


@SETTINGS
@given(
    # Half the shapes are batches the encoder takes, (B, 4, 4, 1) with B
    # in 0..4; the rest random (a missing batch axis, wrong sizes).
    shape=st.one_of(
        st.integers(0, 4).map(lambda b: [b, 4, 4, 1]),
        st.lists(st.integers(0, 4), min_size=1, max_size=5),
    ),
    fill=values,
    poison=st.booleans(),
)
def test_model_embed(model, shape, fill, poison):
    case = "SVAE.embed(x)"
    x = np.full(shape, fill, "float32")
    if poison and x.size:
        x.reshape(-1)[0] = np.nan
    try:
        z = _np(model.embed(x))
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`x`",))
        return
    rows = x.reshape(len(x), -1) if x.size else np.zeros((len(x), 0))
    finite = np.all(np.isfinite(rows), axis=-1)
    assert z.shape == (len(x), 3), (case, shape)
    assert np.all(np.isfinite(z[finite])), (case, shape, fill)
    assert np.all(np.isnan(z[~finite])), (case, shape, fill)
    _record(case, "valid")


@SETTINGS
@given(
    n=st.one_of(st.integers(-3, 5), st.floats(-2, 5), st.sampled_from([None, "4"])),
    seed=st.one_of(st.integers(-(2**40), 2**40), st.sampled_from([None, 1.5, "0"])),
)
def test_model_generate(model, n, seed):
    case = "SVAE.generate(n, seed)"
    try:
        images = _np(model.generate(n, seed=seed))
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`n`", "`seed`"))
        return
    assert images.shape == (n, 4, 4, 1) and np.all(np.isfinite(images)), case
    _record(case, "valid")


# -- the rest of the public API (models, layers, ops, Normal, samplers) -------
# Fewer inputs per case (25) than above: there are many more cases.
FEW = settings(SETTINGS, max_examples=25)
MODEL_CLASSES = {
    "beta": "BetaVAE",
    "product": "ProductSVAE",
    "hsc": "HSCVAE",
    "sae": "SAE",
    "vmf": "SVAE",
}
_MODELS = {}
# Anything that is not an array: each must give one error naming the argument.
NOT_ARRAYS = st.sampled_from(["abc", None, {"x": 1}, object()])


def mostly(valid, anything):
    """Valid values about two times in three: with several arguments, a case
    whose every argument may be bad would rarely reach the valid path."""
    return st.integers(0, 2).flatmap(lambda k: anything if k == 2 else valid)


seeds = mostly(
    st.one_of(st.none(), st.integers(0, 2**32 - 1)),
    st.one_of(st.integers(-(2**40), 2**40), st.sampled_from([1.5, "0", True])),
)
counts = mostly(st.integers(1, 4), st.one_of(st.integers(-3, 5), st.floats(-2, 5)))
few_nans = st.sampled_from([False, False, True])


def _tiny(kind):
    """One built tiny model per kind, shared by the cases of this module."""
    if kind not in _MODELS:
        model = make_tiny_model(kind)
        model(np.zeros((1, 4, 4, 1), "float32"))
        _MODELS[kind] = model
    return _MODELS[kind]


def _array(shape, fill, poison, dtype="float32"):
    x = np.full(shape, fill, "float64")
    if poison and x.size:
        x.reshape(-1)[0] = np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        return x.astype(dtype)


def _check_rows(case, out, x, batch_ndim):
    """Each output row: finite if its input row is, else not all finite.

    A row is everything of one index of the first `batch_ndim` axes (the
    input's and every output leaf's). An integer input is always finite.
    """
    batch = tuple(x.shape[:batch_ndim])
    size = int(np.prod(batch))
    rows = np.asarray(x, "float64").reshape(size, -1) if size else np.zeros((0, 1))
    finite = np.all(np.isfinite(rows), axis=-1)
    for leaf in keras.tree.flatten(out):
        a = _np(leaf)
        assert a.shape[:batch_ndim] == batch, (case, a.shape, batch)
        a = a.reshape(size, int(np.prod(a.shape[batch_ndim:])))
        assert np.all(np.isfinite(a[finite])), (case, x.shape)
        if a.shape[1]:
            assert not np.any(np.all(np.isfinite(a[~finite]), axis=-1)), (case, x)


shapes = st.one_of(
    st.integers(0, 4).map(lambda b: [b, 4, 4, 1]),
    st.lists(st.integers(0, 4), min_size=0, max_size=5),
)


@pytest.mark.parametrize("kind", list(MODEL_CLASSES))
@FEW
@given(
    method=st.sampled_from(["embed", "encode", "reconstruct"]),
    shape=shapes,
    fill=values,
    poison=st.booleans(),
    dtype=st.sampled_from(["float32", "int32"]),
    not_array=st.one_of(st.none(), NOT_ARRAYS),
)
def test_model_methods(kind, method, shape, fill, poison, dtype, not_array):
    if kind == "vmf" and method == "embed":
        method = "encode"  # SVAE.embed has its own case above
    methods = "encode, reconstruct" if kind == "vmf" else "embed, encode, reconstruct"
    case = f"{MODEL_CLASSES[kind]}.{{{methods}}}(x)"
    model = _tiny(kind)
    x = _array(shape, fill, poison, dtype) if not_array is None else not_array
    try:
        out = getattr(model, method)(x)
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`x`",))
        return
    assert not_array is None, (case, not_array)
    _check_rows(case, out, x, 1)
    _record(case, "valid")


@pytest.mark.parametrize("kind", list(MODEL_CLASSES))
@FEW
@given(
    # Half the shapes are (B, latent_dim) with B in 0..4; the rest random.
    shape=st.one_of(
        st.integers(0, 4).map(lambda b: [b, None]),
        st.lists(st.integers(0, 6), min_size=0, max_size=3),
    ),
    fill=values,
    poison=st.booleans(),
    dtype=st.sampled_from(["float32", "float64", "int32"]),
    not_array=st.one_of(st.none(), NOT_ARRAYS),
)
def test_model_decode(kind, shape, fill, poison, dtype, not_array):
    case = f"{MODEL_CLASSES[kind]}.decode(z)"
    model = _tiny(kind)
    shape = [model.latent_dim if d is None else d for d in shape]
    z = _array(shape, fill, poison, dtype) if not_array is None else not_array
    try:
        out = model.decode(z)
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`z`",))
        return
    assert not_array is None, (case, not_array)
    assert _np(out).shape == (len(z), 4, 4, 1), case
    _check_rows(case, out, z, 1)
    _record(case, "valid")


@pytest.mark.parametrize("kind", ["beta", "product", "hsc", "sae"])
@FEW
@given(
    n=mostly(counts, st.sampled_from([None, "4"])),
    seed=seeds,
)
def test_other_models_generate(kind, n, seed):
    case = f"{MODEL_CLASSES[kind]}.generate(n, seed)"
    try:
        images = _np(_tiny(kind).generate(n, seed=seed))
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`n`", "`seed`"))
        return
    assert images.shape == (n, 4, 4, 1) and np.all(np.isfinite(images)), case
    _record(case, "valid")


sizes = mostly(
    st.integers(2, 5),
    st.one_of(st.integers(-1, 5), st.sampled_from([2.5, "3", None, True])),
)


@SETTINGS
@given(
    kind=st.sampled_from(list(MODEL_CLASSES)),
    latent_dim=sizes,
    shell_dims=mostly(st.lists(sizes, min_size=1, max_size=3), sizes),
    beta=mostly(st.floats(0, 10), st.one_of(values, st.sampled_from(["1", None]))),
    likelihood=mostly(
        st.sampled_from(["bernoulli", "gaussian", "p_norm"]),
        st.sampled_from(["normal", 3, [1], None]),
    ),
    seed=seeds,
)
def test_model_constructors(kind, latent_dim, shell_dims, beta, likelihood, seed):
    """Constructor arguments; a constructed model must embed a batch."""
    case = "model constructors (BetaVAE, SVAE, ProductSVAE, HSCVAE, SAE)"
    from keras_hsvae import models

    kwargs = {"seed": seed}
    if kind == "sae":  # no KL weight, a p-norm loss: `p` and `radius`
        kwargs.update(p=_sae_p(beta), radius=beta)
    else:
        kwargs.update(beta=beta, likelihood=likelihood)
    if kind == "product":
        size, args = _latent_size(shell_dims), (shell_dims,)
    else:
        size, args = _latent_size(latent_dim), (latent_dim,)
    encoder = models.mlp_encoder((4, 4, 1), hidden=(8,))
    decoder = models.mlp_decoder(size, (4, 4, 1), hidden=(8,))
    try:
        model = getattr(models, MODEL_CLASSES[kind])(encoder, decoder, *args, **kwargs)
    except Exception as error:  # noqa: BLE001
        names = ("latent_dim", "shell_dims", "beta", "likelihood", "seed", "p")
        _clear_error(case, error, tuple(f"`{n}`" for n in names) + ("`radius`",))
        return
    z = _np(model.embed(np.zeros((2, 4, 4, 1), "float32")))
    assert z.shape == (2, size) and np.all(np.isfinite(z)), case
    _record(case, "valid")


def _sae_p(value):
    """The SAE's `p` from a drawn value: 1 + |value| for a number."""
    return value if value is None or isinstance(value, str) else 1.0 + abs(value)


def _latent_size(dims):
    """The decoder's input size for `dims` (3 where `dims` is invalid)."""
    if isinstance(dims, list):
        ok = dims and all(type(d) is int and d >= 2 for d in dims)
        return sum(dims) if ok else 3
    return dims if type(dims) is int and dims >= 1 else 3


def _layer(name, arg):
    from keras_hsvae import layers

    if name == "Spherization":
        return layers.Spherization(radius=arg)
    if name == "Centerization":
        return layers.Centerization()
    if name.startswith("SphericalCoordinates"):
        return layers.SphericalCoordinates(name.split("'")[1])
    if name == "ProductVonMisesFisherPosterior":
        return layers.ProductVonMisesFisherPosterior([arg, 2])
    return getattr(layers, name)(arg)


LAYERS = [
    "Spherization",
    "Centerization",
    "SphericalCoordinates('cosines')",
    "SphericalCoordinates('angles')",
    "VonMisesFisherPosterior",
    "PowerSphericalPosterior",
    "GaussianPosterior",
    "ProductVonMisesFisherPosterior",
]


@pytest.mark.parametrize("name", LAYERS)
@FEW
@given(
    arg=mostly(
        st.integers(2, 4),
        st.one_of(st.integers(-1, 4), st.sampled_from([2.5, None, "3"])),
    ),
    shape=mostly(
        st.lists(st.integers(0, 4), min_size=2, max_size=3),
        st.lists(st.integers(0, 4), max_size=3),
    ),
    fill=values,
    poison=few_nans,
    dtype=st.sampled_from(["float32", "float64", "int32"]),
)
def test_layers(name, arg, shape, fill, poison, dtype):
    """A new layer per input: constructor argument, then `layer(x)`."""
    case = f"{name.split('(')[0]}(...)(x)" if "(" not in name else f"{name}(x)"
    x = _array(shape, fill, poison, dtype)
    with float64() if dtype == "float64" else contextlib.nullcontext():
        try:
            out = _layer(name, arg)(x)
        except Exception as error:  # noqa: BLE001
            # Keras' own InputSpec check (posterior layers: min_ndim=2) names
            # the layer and the rank it expects, in one line.
            names = (
                "`radius`",
                "`dim`",
                "`shell_dims`",
                "input_shape",
                "is incompatible with the layer: expected min_ndim",
            )
            _clear_error(case, error, names)
            return
        _check_rows(case, out, x, max(x.ndim - 1, 0))
    _record(case, "valid")


@FEW
@given(
    shapes=mostly(
        st.tuples(st.integers(1, 4), st.integers(2, 4)).map(lambda s: [list(s)] * 2),
        st.tuples(*[st.lists(st.integers(0, 4), max_size=3)] * 2),
    ),
    fills=st.tuples(values, values),
    poison=few_nans,
    prior=st.sampled_from(["moderate", "compressed", "uncompressed", "wrong"]),
)
def test_hsc_regularizer(shapes, fills, poison, prior):
    """`HypersphericalKLRegularizer()([mu, sigma])`: `z` and its loss."""
    from keras_hsvae.layers import HypersphericalKLRegularizer

    case = "HypersphericalKLRegularizer(prior)([mu, sigma]) + loss"
    mu = _array(shapes[0], fills[0], poison)
    sigma = _array(shapes[1], fills[1], False)
    try:
        layer = HypersphericalKLRegularizer(prior=prior)
        z = layer([mu, sigma])
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`prior`", "input_shape", "`mu`", "`sigma`"))
        return
    _check_rows(case, z, mu, 1)
    loss = _np(layer.losses[0])
    finite = np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))
    # The loss is over the batch: finite for a finite batch, else not finite;
    # squares of radii above ~1e19 overflow float32 (an inf then says so).
    huge = (
        finite and max(np.abs(mu).max(initial=0), np.abs(sigma).max(initial=0)) > 1e19
    )
    if huge:
        assert not np.isfinite(loss), (case, mu, sigma, loss)
    else:
        assert np.isfinite(loss) == (finite and len(mu) > 0), (case, mu, sigma, loss)
    _record(case, "valid")


BESSEL = [
    "log_bessel_iv",
    "log_bessel_ive",
    "bessel_iv_ratio",
    "log_bessel_iv_normalized",
]
# Within the documented domain (orders 0..5000, x 0..1e7) and beyond it below.
orders = st.one_of(
    st.sampled_from([0.0, 0.5, 1e-30, 5000.0, -1.0, -1e-3, np.nan, np.inf]),
    st.floats(-2, 50),
)
arguments = st.one_of(
    st.sampled_from([0.0, 1e-30, 1.0, 65504.0, 1e7, -1.0, np.nan, np.inf, -np.inf]),
    st.floats(-10, 1e4),
)


@FEW
@given(
    fn=st.sampled_from(BESSEL),
    v=st.lists(orders, min_size=0, max_size=3),
    x=arguments,
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_bessel(fn, v, x, dtype):
    """Finite in the domain (the exact -inf of log I_v at x = 0, v > 0 too)
    and NaN outside it: v < 0, NaN or inf, and x < 0 for the logs of I_v."""
    from keras_hsvae import ops as hops

    case = "ops.{log_bessel_iv, log_bessel_ive, bessel_iv_ratio, ...}(v, x)"
    v = np.array(v, dtype)
    with float64() if dtype == "float64" else contextlib.nullcontext():
        out = _np(getattr(hops, fn)(v, np.array(x, dtype)))
    assert out.shape == v.shape, case
    x = np.full_like(v, x)
    real = fn not in ("log_bessel_iv", "log_bessel_ive")  # defined for x < 0
    inside = (v >= 0) & np.isfinite(v) & np.isfinite(x) & ((x >= 0) | real)
    limit = (x == 0) & (v > 0) & (not real)
    assert np.all(np.isfinite(out[inside & ~limit])), (case, fn, v, x, out)
    assert np.all(out[limit] == -np.inf), (case, fn, v, x, out)
    assert np.all(np.isnan(out[~inside])), (case, fn, v, x, out)
    _record(case, "valid")


VMF = ["vmf_log_normalizer", "vmf_entropy", "vmf_kl_to_uniform"]
VMF += ["vmf_mean_resultant_length", "log_sphere_area"]


@FEW
@given(
    fn=st.sampled_from(VMF),
    dim=st.one_of(st.integers(-1, 12), st.sampled_from([2.5, "3", None, True, 1000])),
    kappa=st.lists(arguments, min_size=0, max_size=3),
    dtype=st.sampled_from(["float32", "float64", "int32"]),
)
def test_vmf_ops(fn, dim, kappa, dtype):
    """Finite for finite kappa (negative kappa: the vMF at -mu), else NaN."""
    from keras_hsvae import ops as hops

    case = "ops.{vmf_log_normalizer, vmf_entropy, vmf_kl_to_uniform, ...}(dim, kappa)"
    kappa = np.array(kappa, "float64")
    if dtype == "int32":  # integers: the finite values, within the int range
        kappa = np.where(np.isfinite(kappa), kappa, 0.0).clip(-1e7, 1e7)
    kappa = kappa.astype(dtype)
    with float64() if dtype == "float64" else contextlib.nullcontext():
        try:
            if fn == "log_sphere_area":
                out = _np(hops.log_sphere_area(dim))
                kappa = np.zeros(())
            else:
                out = _np(getattr(hops, fn)(dim, kappa))
        except Exception as error:  # noqa: BLE001
            _clear_error(case, error, ("`dim`",))
            return
    assert out.shape == kappa.shape, case
    finite = np.isfinite(kappa.astype("float64"))
    assert np.all(np.isfinite(out[finite])), (case, fn, dim, kappa, out)
    assert np.all(np.isnan(out[~finite])), (case, fn, dim, kappa, out)
    _record(case, "valid")


SPHERE_OPS = ["cartesian_to_spherical", "spherical_cosines", "centerize", "spherize"]
SPHERE_OPS += ["householder_reflect", "spherical_to_cartesian"]


@FEW
@given(
    fn=st.sampled_from(SPHERE_OPS),
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    other=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    fill=values,
    poison=st.booleans(),
    dtype=st.sampled_from(["float32", "float64", "int32"]),
)
def test_sphere_ops(fn, shape, other, fill, poison, dtype):
    """Row maps of `keras_hsvae.ops`; the two-argument ones get a second
    tensor of the same shape half of the time and of shape `other` else."""
    from keras_hsvae import ops as hops

    case = "ops.{cartesian_to_spherical, spherical_cosines, centerize, ...}(x)"
    x = _array(shape, fill, poison, dtype)
    second = np.ones(shape if poison else other, "float32")
    with float64() if dtype == "float64" else contextlib.nullcontext():
        try:
            if fn == "householder_reflect":
                # `mean_direction`: unit vectors (e_2), as the docstring asks.
                mu = np.zeros_like(second)
                if mu.ndim and mu.shape[-1] > 1:
                    mu[..., 1] = 1.0
                out = hops.householder_reflect(x, mu)
            elif fn == "spherical_to_cartesian":
                radius = second[..., 0] if second.ndim else second
                out = hops.spherical_to_cartesian(radius, x)
            else:
                out = getattr(hops, fn)(x)
        except Exception as error:  # noqa: BLE001
            names = ("`x`", "`z`", "`mean_direction`", "`angles`", "`radius`")
            _clear_error(case, error, names)
            return
        _check_rows(case, out, x, max(x.ndim - 1, 0))
    _record(case, "valid")


@FEW
@given(
    shape=mostly(
        st.lists(st.integers(0, 3), max_size=3),
        st.one_of(st.lists(st.integers(-1, 3), max_size=3), st.sampled_from([2, None])),
    ),
    dim=mostly(
        st.integers(1, 5), st.one_of(st.integers(-1, 5), st.sampled_from([2.5, None]))
    ),
    dtype=st.sampled_from(["float32", "float64", "float16"]),
    seed=seeds,
)
def test_sample_uniform_sphere(shape, dim, dtype, seed):
    from keras_hsvae import ops as hops

    case = "ops.sample_uniform_sphere(shape, dim, dtype, seed)"
    with float64() if dtype == "float64" else contextlib.nullcontext():
        try:
            x = _np(hops.sample_uniform_sphere(shape, dim, dtype, seed=seed))
        except Exception as error:  # noqa: BLE001
            _clear_error(case, error, ("`shape`", "`dim`", "`seed`"))
            return
    assert x.shape == tuple(shape) + (dim,), case
    assert np.allclose(np.linalg.norm(x, axis=-1), 1.0, atol=1e-2), case
    _record(case, "valid")


@FEW
@given(
    shapes=mostly(
        st.lists(st.integers(0, 3), min_size=1, max_size=3).map(lambda s: [s, s[-1:]]),
        st.tuples(*[st.lists(st.integers(0, 3), max_size=3)] * 2),
    ),
    fills=st.tuples(values, mostly(st.floats(1e-3, 10), values)),
    poison=few_nans,
    not_array=mostly(st.none(), NOT_ARRAYS),
    dim=mostly(st.none(), st.one_of(st.integers(-1, 3), st.just(2.5))),
)
def test_normal(shapes, fills, poison, not_array, dim):
    """`Normal(loc, scale)` (or `Normal.standard(dim)`) and its methods."""
    case = "Normal(loc, scale) / Normal.standard(dim) + methods"
    loc = _array(shapes[0], fills[0], poison) if not_array is None else not_array
    scale = _array(shapes[1], fills[1], False)
    try:
        q = hd.Normal(loc, scale) if dim is None else hd.Normal.standard(dim)
        outputs = [q.entropy(), q.log_prob(q.mode()), q.sample((2,), seed=0)]
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`loc`", "`scale`", "`dim`"))
        return
    for out in outputs:
        assert np.all(np.isfinite(_np(out))), (case, loc, scale, dim)
    _record(case, "valid")


@FEW
@given(
    sampler=st.sampled_from(
        [
            "FittedVonMisesFisherSampler",
            "FittedGaussianSampler",
            "FittedTangentNormalSampler",
            "FittedVonMisesFisherMixtureSampler",
            "FittedGaussianMixtureSampler",
        ]
    ),
    shape=mostly(
        st.tuples(st.integers(2, 12), st.integers(2, 4)).map(list),
        st.lists(st.integers(0, 4), max_size=3),
    ),
    scale=mostly(st.just(1.0), st.sampled_from([1e-30, 1e30, 0.0, -1.0, np.nan])),
    poison=few_nans,
    n=mostly(counts, st.sampled_from([None, "2"])),
    seed=seeds,
)
def test_fitted_samplers(sampler, shape, scale, poison, n, seed):
    """`Sampler().fit(embeddings)(n, seed)` on random embeddings."""
    from keras_hsvae import samplers

    case = "Fitted*Sampler().fit(embeddings)(n, seed)"
    rng = np.random.default_rng(len(shape))
    x = (rng.normal(size=shape) * scale).astype("float32")
    if poison and x.size:
        x.reshape(-1)[0] = np.nan
    kwargs = {"num_components": 2} if "Mixture" in sampler else {}
    try:
        draws = _np(getattr(samplers, sampler)(**kwargs).fit(x)(n, seed))
    except Exception as error:  # noqa: BLE001
        _clear_error(case, error, ("`embeddings`", "`n`", "`seed`"))
        return
    assert draws.shape == (n, x.shape[-1]) and np.all(np.isfinite(draws)), case
    _record(case, "valid")


@FEW
@given(
    sampler=st.sampled_from(["PriorSampler", "SphericalPriorSampler"]),
    dim=mostly(
        st.integers(2, 5), st.one_of(st.integers(-1, 5), st.sampled_from([2.5, None]))
    ),
    kind=st.sampled_from(["normal", "sphere", "uniform", "poisson", "chi2", "x"]),
    radius=mostly(st.just(1.0), values),
    n=mostly(counts, st.sampled_from([None, "2"])),
    seed=seeds,
)
def test_prior_samplers(sampler, dim, kind, radius, n, seed):
    from keras_hsvae import samplers

    case = "PriorSampler / SphericalPriorSampler(dim, kind, radius)(n, seed)"
    try:
        draws = _np(getattr(samplers, sampler)(dim, kind, radius)(n, seed))
    except Exception as error:  # noqa: BLE001
        names = ("`dim`", "`prior`", "`distribution`", "`radius`", "`n`", "`seed`")
        _clear_error(case, error, names)
        return
    assert draws.shape == (n, dim) and np.all(np.isfinite(draws)), case
    _record(case, "valid")
