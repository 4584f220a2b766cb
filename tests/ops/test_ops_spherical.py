"""Hyperspherical coordinates: `keras_hsvae.ops.spherical`.

Reference values come from an independent source: a float64 numpy copy of the
papers' O(n^2) masked formula (arccos form, without their +0.001), mpmath at
50 digits, closed forms, and central finite differences in float64.
"""

import math

import keras
import mpmath as mp
import numpy as np
import pytest
from backend_utils import backend, float64, to_numpy, value_and_grad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import ops

from keras_hsvae.ops import spherical


def _compiled(fn):
    """`fn` jitted on JAX, whose eager mode compiles every op for every shape."""
    if backend() == "jax":
        import jax

        return jax.jit(fn)
    return fn


spherical_cosines = _compiled(spherical.spherical_cosines)
cartesian_to_spherical = _compiled(spherical.cartesian_to_spherical)
spherical_to_cartesian = _compiled(spherical.spherical_to_cartesian)


# Tolerance of float64 results that go through sin / cos / arctan2 (float64
# on every backend through `ops/_backend_trig.py`).
ANGLE_TOL64 = 1e-13
GRAD_TOL64 = 1e-6

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# ---------------------------------------------------------------- references


def masked_reference(x):
    """The papers' O(B n^2) form in float64 numpy (001, A.2), no +0.001."""
    x = np.asarray(x, np.float64)
    n = x.shape[-1]
    mask = np.triu(np.ones((n, n)))
    tails = np.sum(np.square(x[:, None, :]) * mask[None], axis=2)
    return np.sqrt(np.sum(x * x, axis=-1)), x[:, : n - 1] / np.sqrt(tails[:, : n - 1])


def mp_angles(row):
    """Radius and angles of one vector by the SPEC's arccos form, in mpmath.

    The precision covers the dynamic range of the entries: arccos(1 - d)
    needs d resolved, and d can be as small as (min |x_j| / max |x_j|)^2.
    """
    row = np.asarray(row, np.float64)
    nonzero = np.abs(row[row != 0])
    spread = np.log10(nonzero.max() / nonzero.min()) if nonzero.size else 0.0
    with mp.workdps(40 + int(2 * spread)):
        x = [mp.mpf(float(v)) for v in row]
        n = len(x)
        tails = [mp.mpf(0)] * (n + 1)
        for k in range(n - 1, -1, -1):
            tails[k] = tails[k + 1] + x[k] ** 2
        angles = []
        for k in range(n - 1):
            if tails[k] == 0:
                angles.append(0.0)  # the module's zero-tail convention
                continue
            phi = mp.acos(x[k] / mp.sqrt(tails[k]))
            if k == n - 2 and x[n - 1] < 0:
                phi = 2 * mp.pi - phi
            angles.append(float(phi))
        return float(mp.sqrt(tails[0])), np.array(angles)


def cartesian_reference(radius, angles):
    """SPEC section 1 written as an explicit loop (float64)."""
    radius, angles = np.asarray(radius, np.float64), np.asarray(angles, np.float64)
    n = angles.shape[-1] + 1
    x = np.empty(angles.shape[:-1] + (n,))
    prefix = radius.copy()
    for k in range(n - 1):
        x[..., k] = prefix * np.cos(angles[..., k])
        prefix = prefix * np.sin(angles[..., k])
    x[..., n - 1] = prefix
    return x


def finite_difference(f, x, h=1e-6):
    """Gradient of `sum(f(x))` by central differences.

    `f` maps `(B, n)` to per-row values `(B,)`; the rows are independent, so
    one step per column serves the whole batch.
    """
    x = np.asarray(x, np.float64)
    grad = np.empty_like(x)
    for j in range(x.shape[-1]):
        step = np.zeros_like(x)
        step[..., j] = h
        grad[..., j] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def _normal(shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# ------------------------------------------------------------------- values


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [2, 3, 7, 200])
def test_cosines_match_masked_reference(n, dtype):
    x = _normal((5, n), seed=n, dtype=dtype)
    with float64():
        radius, cosines = spherical_cosines(x)
        radius, cosines = to_numpy(radius), to_numpy(cosines)
    ref_radius, ref_cosines = masked_reference(x)
    assert radius.dtype == dtype and cosines.dtype == dtype
    assert radius.shape == (5,) and cosines.shape == (5, n - 1)
    tol = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(radius, ref_radius, rtol=tol)
    np.testing.assert_allclose(cosines, ref_cosines, rtol=tol, atol=tol)


@pytest.mark.parametrize("n", [2, 5, 1000])
def test_all_ones_closed_form(n):
    # cos(phi_k) = 1 / sqrt(n - k + 1), k = 1..n-1; radius sqrt(n).
    radius, cosines = spherical_cosines(np.ones((1, n), "float32"))
    k = np.arange(1, n)
    np.testing.assert_allclose(to_numpy(cosines)[0], 1 / np.sqrt(n - k + 1), rtol=2e-6)
    np.testing.assert_allclose(to_numpy(radius), [math.sqrt(n)], rtol=1e-6)


def test_leading_axes_and_single_vector():
    x = _normal((2, 3, 4), dtype="float32")
    radius, cosines = spherical_cosines(x)
    assert tuple(radius.shape) == (2, 3) and tuple(cosines.shape) == (2, 3, 3)
    ref_radius, ref_cosines = masked_reference(x.reshape(6, 4))
    np.testing.assert_allclose(to_numpy(cosines).reshape(6, 3), ref_cosines, rtol=1e-5)
    radius, angles = cartesian_to_spherical(x[0, 0])
    assert tuple(radius.shape) == () and tuple(angles.shape) == (3,)
    back = spherical_to_cartesian(radius, angles)
    np.testing.assert_allclose(to_numpy(back), x[0, 0], rtol=1e-5, atol=1e-6)


ZERO_TAILS = np.array(
    [
        [3.0, 0.0, 0.0],  # e_1 direction
        [0.0, 0.0, 0.0],  # x = 0
        [-2.0, 0.0, 0.0],  # -e_1
        [0.0, 0.0, -1.0],  # x_1 = x_2 = 0, nonzero tail
        [1.0, 2.0, 0.0],  # last entry zero
    ]
)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_tail_conventions(dtype):
    with float64():
        radius, cosines = spherical_cosines(ZERO_TAILS.astype(dtype))
        _, angles = cartesian_to_spherical(ZERO_TAILS.astype(dtype))
        radius, cosines, angles = map(to_numpy, (radius, cosines, angles))
    np.testing.assert_allclose(radius, [3, 0, 2, 1, math.sqrt(5)], rtol=1e-6)
    expected_cosines = [[1, 1], [1, 1], [-1, 1], [0, 0], [1 / math.sqrt(5), 1]]
    np.testing.assert_allclose(cosines, expected_cosines, rtol=1e-6, atol=1e-7)
    expected_angles = [
        [0, 0],
        [0, 0],
        [math.pi, 0],
        [math.pi / 2, 1.5 * math.pi],
        [math.atan2(2, 1), 0],
    ]
    np.testing.assert_allclose(angles, expected_angles, rtol=1e-6, atol=1e-7)
    for row, phi in zip(ZERO_TAILS, angles):
        np.testing.assert_allclose(phi, mp_angles(row)[1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "dtype, scale", [("float32", 1e30), ("float32", 1e-30), ("float64", 1e300)]
)
def test_no_overflow_or_underflow_of_squares(dtype, scale):
    x = _normal((4, 6), seed=3)
    with float64():
        radius, cosines = spherical_cosines((x * scale).astype(dtype))
        _, angles = cartesian_to_spherical((x * scale).astype(dtype))
        radius, cosines, angles = map(to_numpy, (radius, cosines, angles))
    ref_radius, ref_cosines = masked_reference(x)
    tol = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(radius / scale, ref_radius, rtol=tol)
    np.testing.assert_allclose(cosines, ref_cosines, rtol=tol, atol=tol)
    ref_angles = np.stack([mp_angles(row)[1] for row in x])
    tol = 1e-5 if dtype == "float32" else ANGLE_TOL64
    np.testing.assert_allclose(angles, ref_angles, rtol=tol, atol=tol)


def test_large_n_small_tail_is_not_a_difference_of_totals():
    # n = 4096 in float32 with a tail of 1e-3 entries behind 4086 ones: the
    # tail sums (~1e-5) are far below float32 resolution of the total (~4e3),
    # so `total - cumsum` would return noise or zero there.
    n = 4096
    x = np.ones((1, n), "float32")
    x[0, -10:] = 1e-3 * np.arange(1, 11)
    radius, cosines = spherical_cosines(x)
    _, ref = masked_reference(x)
    np.testing.assert_allclose(to_numpy(cosines), ref, rtol=1e-5)
    _, angles = cartesian_to_spherical(x)
    ref_angles = mp_angles(x[0])[1]
    np.testing.assert_allclose(to_numpy(angles)[0, -9:], ref_angles[-9:], rtol=1e-5)


@pytest.mark.parametrize("delta", [1e-3, 1e-9, 1e-150])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_angles_keep_full_accuracy_near_the_poles(delta, sign):
    # phi_1 ~ sqrt(2) delta (or pi minus it): arccos of the rounded cosine
    # would return exactly 0 (or pi) for delta < 1e-8 in float64.
    x = np.array([[sign, delta, -delta]])
    with float64():
        _, angles = cartesian_to_spherical(x)
        angles = to_numpy(angles)[0]
    ref = mp_angles(x[0])[1]
    np.testing.assert_allclose(angles, ref, rtol=1e-14)


def test_spherical_to_cartesian_matches_loop_reference():
    rng = np.random.default_rng(5)
    for n in (2, 3, 4, 9, 1000):  # odd and even lengths of the sine scan
        angles = rng.uniform(0, np.pi, size=(3, n - 1))
        radius = rng.uniform(0.5, 2.0, size=(3,))
        with float64():
            x = to_numpy(spherical_to_cartesian(radius, angles))
        ref = cartesian_reference(radius, angles)
        np.testing.assert_allclose(x, ref, rtol=0, atol=10 * ANGLE_TOL64)
        np.testing.assert_allclose(
            np.linalg.norm(x, axis=-1), radius, rtol=10 * ANGLE_TOL64
        )


def test_validation_quotes_the_shape():
    with pytest.raises(ValueError, match=r"Received: x.shape=\(2, 1\)"):
        spherical.spherical_cosines(np.ones((2, 1), "float32"))
    with pytest.raises(ValueError, match=r"Received: x.shape=\(\)"):
        spherical.cartesian_to_spherical(np.float32(1.0))
    with pytest.raises(ValueError, match=r"Received: angles.shape=\(2, 0\)"):
        spherical.spherical_to_cartesian(
            np.ones(2, "float32"), np.ones((2, 0), "float32")
        )


def test_dtypes():
    def dtype(t):
        return keras.backend.standardize_dtype(t.dtype)

    radius, cosines = spherical_cosines(np.ones((2, 3), "float16"))
    assert dtype(radius) == dtype(cosines) == "float16"
    np.testing.assert_allclose(to_numpy(cosines)[0], [3**-0.5, 2**-0.5], rtol=1e-3)
    _, cosines = spherical_cosines(np.ones((2, 3), "int32"))
    assert dtype(cosines) == keras.backend.floatx()
    x = spherical_to_cartesian(np.ones(2, "float16"), np.zeros((2, 3), "float16"))
    assert dtype(x) == "float16"


def test_compiled_with_unknown_batch():
    # The sine scan reshapes; it must work with a dynamic leading axis.
    x = _normal((5, 7), dtype="float32")

    def round_trip(v):
        radius, angles = spherical.cartesian_to_spherical(v)
        return spherical.spherical_to_cartesian(radius, angles)

    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec((None, 7), tf.float32)
        fn = tf.function(round_trip, input_signature=[spec], jit_compile=False)
        out = fn(x)
    elif name == "jax":
        import jax

        out = jax.jit(round_trip)(x)
    else:
        out = round_trip(x)
    np.testing.assert_allclose(to_numpy(out), x, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- gradients


def _weights(shape, seed):
    return _normal(shape, seed=seed)


def _t(w, like):
    """`w` as a tensor of the dtype of `like` (torch will not mix in numpy)."""
    return ops.convert_to_tensor(w, like.dtype)


@pytest.mark.parametrize("n", [2, 3, 6])
def test_cosine_gradients_match_finite_differences(n):
    x = _normal((4, n), seed=10 + n)
    w_r, w_c = _weights((4,), 1), _weights((4, n - 1), 2)

    def f(v):
        radius, cosines = spherical_cosines(v)
        return ops.sum(radius * _t(w_r, v)) + ops.sum(cosines * _t(w_c, v))

    def f_ref(v):
        radius, cosines = masked_reference(v)
        return radius * w_r + np.sum(cosines * w_c, axis=-1)

    with float64():
        _, (grad,) = value_and_grad(f, x)
    np.testing.assert_allclose(grad, finite_difference(f_ref, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n", [2, 3, 6])
def test_angle_gradients_match_finite_differences(n):
    x = _normal((4, n), seed=20 + n)
    w_r, w_a = _weights((4,), 3), _weights((4, n - 1), 4)

    def f(v):
        radius, angles = cartesian_to_spherical(v)
        return ops.sum(radius * _t(w_r, v)) + ops.sum(angles * _t(w_a, v))

    def f_ref(v):
        rows = [mp_angles(row) for row in v]
        radius = np.array([r for r, _ in rows])
        angles = np.stack([a for _, a in rows])
        return radius * w_r + np.sum(angles * w_a, axis=-1)

    with float64():
        _, (grad,) = value_and_grad(f, x)
    ref = finite_difference(f_ref, x)
    np.testing.assert_allclose(grad, ref, rtol=GRAD_TOL64, atol=GRAD_TOL64 / 100)


def test_gradient_with_a_partly_zero_tail_is_exact():
    # At (1, 2, 0) both cosines are smooth: the zero-tail guard must not leak.
    x = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 0.0]])
    w = _weights((2, 2), 5)

    def f(v):
        return ops.sum(spherical_cosines(v)[1] * _t(w, v))

    with float64():
        _, (grad,) = value_and_grad(f, x)
    ref = finite_difference(lambda v: np.sum(masked_reference(v)[1] * w, -1), x)
    np.testing.assert_allclose(grad, ref, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("which", ["cosines", "angles"])
def test_gradients_are_finite_at_zero_tails(which, dtype):
    fn = {
        "cosines": spherical.spherical_cosines,
        "angles": spherical.cartesian_to_spherical,
    }[which]

    def f(v):
        radius, rest = fn(v)
        return ops.sum(radius) + ops.sum(rest)

    with float64():
        _, (grad,) = value_and_grad(f, ZERO_TAILS.astype(dtype))
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad[1], 0.0)  # x = 0: everything undefined


def test_spherical_to_cartesian_gradients_at_the_poles():
    # Angles 0 and pi make a sine 0: the map is smooth there (a cumprod whose
    # gradient divides by the input would fail; TensorFlow's returns 0).
    angles = np.array([[0.0, 0.7, 1.1], [np.pi, 0.0, 2.0], [0.3, 0.0, 0.0]])
    radius = np.array([1.5, 0.8, 2.0])
    w = _weights((3, 4), 6)

    def f(r, a):
        return ops.sum(spherical_to_cartesian(r, a) * _t(w, a))

    with float64():
        _, (grad_r, grad_a) = value_and_grad(f, radius, angles)
    ref_a = finite_difference(
        lambda a: np.sum(cartesian_reference(radius, a) * w, axis=-1), angles
    )
    ref_r = np.sum(cartesian_reference(np.ones(3), angles) * w, axis=-1)
    np.testing.assert_allclose(grad_a, ref_a, rtol=GRAD_TOL64, atol=GRAD_TOL64 / 100)
    np.testing.assert_allclose(grad_r, ref_r, rtol=GRAD_TOL64)


# --------------------------------------------------------------- properties


@st.composite
def structured_vectors(draw):
    """Vectors with zero tails, near-pole heads and extreme scales."""
    n = draw(st.sampled_from([2, 3, 4, 17, 1000]))
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).normal(size=(3, n))
    zero_tail = draw(st.integers(0, n))
    if zero_tail:
        x[:, n - zero_tail :] = 0.0
    pole = draw(st.sampled_from([1.0, 1e-4, 1e-9]))  # x close to +-e_1
    x[:, 1:] *= pole
    scale = draw(st.sampled_from([1.0, 1e-12, 1e12]))
    return x * scale


@PROPERTY
@given(x=structured_vectors())
def test_round_trip_cartesian_spherical_cartesian(x):
    with float64():
        radius, angles = cartesian_to_spherical(x)
        back = to_numpy(spherical_to_cartesian(radius, angles))
        radius, angles = to_numpy(radius), to_numpy(angles)
        _, cosines = map(to_numpy, spherical_cosines(x))
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    np.testing.assert_allclose(back, x, rtol=0, atol=ANGLE_TOL64 * np.max(norm))
    np.testing.assert_allclose(radius, norm[:, 0], rtol=1e-13)
    assert np.all((angles[:, :-1] >= 0) & (angles[:, :-1] <= np.pi))
    assert np.all((angles[:, -1] >= 0) & (angles[:, -1] < 2 * np.pi))
    assert np.all(np.abs(cosines) <= 1)
    np.testing.assert_allclose(np.cos(angles), cosines, rtol=0, atol=ANGLE_TOL64)
    # The first angle against mpmath (full relative accuracy near the poles).
    ref = np.array([mp_angles(row)[1][0] for row in x])
    np.testing.assert_allclose(angles[:, 0], ref, rtol=1e-12, atol=1e-300)


@PROPERTY
@given(
    n=st.sampled_from([2, 3, 5, 64]),
    seed=st.integers(0, 2**32 - 1),
    margin=st.sampled_from([1e-1, 1e-4, 1e-7]),
)
def test_round_trip_spherical_cartesian_spherical(n, seed, margin):
    rng = np.random.default_rng(seed)
    polar = rng.uniform(margin, np.pi - margin, size=(3, n - 2))
    last = rng.uniform(margin, 2 * np.pi - margin, size=(3, 1))
    angles = np.concatenate([polar, last], axis=-1)
    radius = rng.uniform(0.1, 10.0, size=(3,))
    with float64():
        x = spherical_to_cartesian(radius, angles)
        radius_back, angles_back = map(to_numpy, cartesian_to_spherical(x))
    np.testing.assert_allclose(radius_back, radius, rtol=ANGLE_TOL64)
    # d(phi_k) ~ eps / (product of the preceding sines) >= eps / margin^(k-1).
    np.testing.assert_allclose(angles_back, angles, rtol=0, atol=ANGLE_TOL64 / margin)


@PROPERTY
@given(x=structured_vectors())
def test_float32_round_trip(x):
    x = x.astype("float32")
    radius, angles = cartesian_to_spherical(x)
    back = to_numpy(spherical_to_cartesian(radius, angles))
    norm = np.linalg.norm(x.astype(np.float64), axis=-1, keepdims=True)
    np.testing.assert_allclose(back, x, rtol=0, atol=2e-6 * np.max(norm))
