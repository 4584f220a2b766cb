"""`Normal` (diagonal Gaussian) against scipy and a Monte-Carlo KL."""

import keras
import numpy as np
import pytest
from scipy import stats

from keras_hsvae.distributions import Normal, kl_divergence


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def test_log_prob_entropy_and_kl_match_scipy():
    rng = np.random.default_rng(0)
    loc = rng.normal(size=(3, 4)).astype("float32")
    scale = np.exp(rng.normal(size=(3, 4))).astype("float32")
    q = Normal(loc, scale)
    x = rng.normal(size=(5, 3, 4)).astype("float32")
    np.testing.assert_allclose(
        _np(q.log_prob(x)), stats.norm.logpdf(x, loc, scale).sum(-1), rtol=1e-5
    )
    np.testing.assert_allclose(
        _np(q.entropy()), stats.norm.entropy(loc, scale).sum(-1), rtol=1e-5
    )
    p = Normal.standard(4)
    # KL by numerical integration of each 1-D factor (scipy quad).
    from scipy import integrate

    def kl_1d(m, s):
        def f(t):
            return stats.norm.pdf(t, m, s) * (
                stats.norm.logpdf(t, m, s) - stats.norm.logpdf(t)
            )

        return integrate.quad(f, m - 30 * s, m + 30 * s)[0]

    expected = np.array(
        [sum(kl_1d(m, s) for m, s in zip(lr, sr)) for lr, sr in zip(loc, scale)]
    )
    np.testing.assert_allclose(_np(kl_divergence(q, p)), expected, rtol=1e-4)


def test_sample_moments():
    q = Normal([1.0, -2.0], [0.5, 3.0])
    z = _np(q.sample((20000,), seed=3))
    assert z.shape == (20000, 2)
    # Standard errors: 0.5 / sqrt(n) = 0.0035, 3 / sqrt(n) = 0.021.
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.08)
    np.testing.assert_allclose(z.std(0), [0.5, 3.0], rtol=0.03)
    np.testing.assert_array_equal(
        _np(q.sample((3,), seed=5)), _np(q.sample((3,), seed=5))
    )


def test_bad_input():
    with pytest.raises(ValueError, match="loc"):
        Normal([np.nan, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="last dimension 2"):
        Normal([0.0, 0.0], [1.0, 1.0]).log_prob(np.zeros((3,), "float32"))
