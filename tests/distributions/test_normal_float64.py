"""`Normal` in float64 and with a batch of rank 2 against scipy, at float64
precision (a float32 round trip inside would show as a 1e-7 error)."""

import re

import keras
import numpy as np
import pytest
from backend_utils import float64
from scipy import stats

from keras_hsvae.distributions import Normal


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _case():
    rng = np.random.default_rng(3)
    # Batch (2, 3), m = 4; locations and points far from 0 so that a float32
    # rounding of x, loc or scale shows in the log density.
    loc = 1e3 + rng.normal(size=(2, 3, 4))
    scale = np.exp(rng.normal(size=(2, 3, 4)))
    x = loc + 0.3 * rng.normal(size=(2, 3, 4)) + 1.2345678901e-3
    return loc, scale, x


def test_log_prob_and_prob_float64_match_scipy():
    loc, scale, x = _case()
    expected = stats.norm.logpdf(x, loc, scale).sum(-1)
    with float64():
        q = Normal(keras.ops.convert_to_tensor(loc), keras.ops.convert_to_tensor(scale))
        log_prob = _np(q.log_prob(keras.ops.convert_to_tensor(x)))
        prob = _np(q.prob(keras.ops.convert_to_tensor(x)))
    assert log_prob.dtype == np.float64
    np.testing.assert_allclose(log_prob, expected, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(prob, np.exp(expected), rtol=1e-12)


def test_entropy_sums_the_event_axis_of_a_rank_2_batch():
    loc, scale, _ = _case()
    with float64():
        q = Normal(keras.ops.convert_to_tensor(loc), keras.ops.convert_to_tensor(scale))
        entropy = _np(q.entropy())
    assert entropy.shape == (2, 3)
    np.testing.assert_allclose(
        entropy, stats.norm.entropy(loc, scale).sum(-1), rtol=1e-13
    )


def test_integer_sample_shape():
    q = Normal(np.zeros((2, 3), "float32"), np.ones((2, 3), "float32"))
    assert tuple(q.sample(5, seed=0).shape) == (5, 2, 3)
    assert tuple(q.sample((4, 1), seed=0).shape) == (4, 1, 2, 3)


def test_python_float_scale_takes_the_dtype_of_loc():
    # 0.1 is not a float32 number: a float32 scale shows at 1e-8 relative.
    with float64():
        q = Normal(keras.ops.convert_to_tensor([0.5, -1.5], "float64"), 0.1)
        log_prob = _np(q.log_prob([0.45, -1.3]))
    assert _np(q.scale).dtype == np.float64
    expected = stats.norm.logpdf([0.45, -1.3], [0.5, -1.5], 0.1).sum()
    np.testing.assert_allclose(log_prob, expected, rtol=1e-13)


@pytest.mark.parametrize(
    "loc, scale, message",
    [
        ([0.0, np.nan], [1.0, 1.0], "`loc` must be finite. Received: loc with [nan]"),
        (
            [0.0, 1.0],
            [1.0, np.inf],
            "`scale` must be finite. Received: scale with [inf]",
        ),
    ],
)
def test_non_finite_parameters_are_named(loc, scale, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Normal(np.array(loc, "float32"), np.array(scale, "float32"))
