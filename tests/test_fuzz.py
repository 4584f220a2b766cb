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
