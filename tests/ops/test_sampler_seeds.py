"""The Gamma and Beta samplers are reproducible from an int seed (the seed
reaches every random draw) and draw float64 samples at float64 resolution."""

import numpy as np
import pytest
from backend_utils import float64, to_numpy

from keras_hsvae.ops import beta

SAMPLERS = {
    "gamma": lambda dtype, seed: beta.sample_gamma((400,), 3.0, dtype, seed=seed),
    "log_gamma": lambda dtype, seed: beta.sample_log_gamma(
        (400,), 0.7, dtype, seed=seed
    ),
    "symmetric_beta_half": lambda dtype, seed: beta.sample_symmetric_beta(
        (400,), 0.5, dtype, seed=seed
    ),
    "symmetric_beta": lambda dtype, seed: beta.sample_symmetric_beta(
        (400,), 4.5, dtype, seed=seed
    ),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_same_int_seed_same_draws(name):
    first = to_numpy(SAMPLERS[name]("float32", 7))
    again = to_numpy(SAMPLERS[name]("float32", 7))
    other = to_numpy(SAMPLERS[name]("float32", 8))
    assert np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, again)
    assert np.mean(first == other) < 0.01


@pytest.mark.parametrize("name", SAMPLERS)
def test_float64_draws_have_float64_resolution(name):
    # A float32 draw widened to float64 has at most 24 significant bits; of
    # 400 genuine float64 draws essentially none do.
    with float64():
        x = to_numpy(SAMPLERS[name]("float64", 3))
    assert x.dtype == np.float64
    assert np.all(np.isfinite(x))
    widened = x.astype(np.float32).astype(np.float64)
    assert np.mean(x == widened) < 0.05
