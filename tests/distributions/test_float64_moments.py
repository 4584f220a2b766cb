"""Closed-form quantities of float64 distributions keep float64 digits, and
sampling methods take an integer `sample_shape`; plus the KL registry
dispatching to a pair registered at run time."""

import keras
import numpy as np
import pytest
from backend_utils import float64

from keras_hsvae import distributions as hd
from keras_hsvae.distributions import kl as kl_module

# Not representable in float32: a float32 step inside shows as ~1e-8 error.
KAPPA = [1.0 / 3.0, 12.345678901234567]


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize("m", [3, 6])
def test_power_spherical_mean_resultant_length_float64(m):
    # E[mu^T z] = kappa / (kappa + m - 1) (De Cao & Aziz 2020, section 3).
    with float64():
        mu = keras.ops.convert_to_tensor(np.eye(m)[:2], "float64")
        kappa = keras.ops.convert_to_tensor(KAPPA, "float64")
        got = _np(hd.PowerSpherical(mu, kappa).mean_resultant_length())
    assert got.dtype == np.float64
    kappa = np.array(KAPPA)
    np.testing.assert_allclose(got, kappa / (kappa + m - 1), rtol=1e-15)


def test_vmf_score_correction_takes_an_integer_sample_shape():
    q = hd.VonMisesFisher(np.eye(4)[:2].astype("float32"), np.array([2.0, 50.0]))
    z, c = q.sample_with_score_correction(5, seed=1)
    assert tuple(z.shape) == (5, 2, 4)
    assert tuple(c.shape) == (5, 2)
    np.testing.assert_allclose(np.linalg.norm(_np(z), axis=-1), 1.0, rtol=1e-5)


class _Q(hd.Normal):
    pass


class _P(hd.Normal):
    pass


def test_register_kl_at_run_time_dispatches_to_the_function():
    def kl_q_p(q, p):
        return ("kl_q_p", q, p)

    try:
        returned = kl_module.register_kl(_Q, _P)(kl_q_p)
        q, p = _Q.standard(2), _P.standard(2)
        assert returned is kl_q_p
        assert hd.kl_divergence(q, p) == ("kl_q_p", q, p)
    finally:
        kl_module._REGISTRY.pop((_Q, _P), None)
