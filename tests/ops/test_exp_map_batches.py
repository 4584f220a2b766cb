"""`exp_map` on a batch of rank 2 against the closed form
`cos(|t|) mu + sin(|t|) t / |t|` (numpy, float64), row by row."""

import numpy as np
from backend_utils import float64, to_numpy

from keras_hsvae.ops.sphere import exp_map


def test_rank_2_batch_matches_the_closed_form():
    rng = np.random.default_rng(11)
    m = 4
    mu = np.array([0.0, 0.6, 0.0, 0.8])
    t = rng.normal(size=(3, 5, m))
    t -= (t @ mu)[..., None] * mu  # tangent at mu
    t[0, 0] = 0.0  # the |t| -> 0 branch
    t[1, 1] *= 1e-6
    norm = np.linalg.norm(t, axis=-1, keepdims=True)
    sinc = np.where(norm > 0, np.sin(norm) / np.where(norm > 0, norm, 1.0), 1.0)
    expected = np.cos(norm) * mu + sinc * t
    with float64():
        got = to_numpy(exp_map(t, mu))
    assert got.shape == (3, 5, m)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
