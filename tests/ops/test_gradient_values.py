"""Every derivative the library attaches by hand (`with_gradient`), by value
(and the Power Spherical KL's and the HSC penalty's, which autodiff forms).

Each analytic derivative is compared, in float64, with central differences of
an independent reference: the mpmath functions of `mp_reference` at 40-60
digits (step `1e-12 * x`: truncation and rounding errors both far below the
tolerance), or the numpy transcription of the HSC penalty in
`hsc_reference`. Kept apart from the value tests so that a flipped sign or a
wrong branch of a derivative fails here by name, whatever the value does.
"""

import mpmath as mp
import numpy as np
import pytest
from backend_utils import float64, value_and_grad
from hsc_reference import _ref_penalty
from mp_reference import (
    iv_ratio,
    log_iv,
    power_spherical_entropy_kl,
    vmf_kl,
    vmf_log_normalizer,
)

from keras_hsvae import ops as hops
from keras_hsvae.ops.beta import symmetric_beta_kl
from keras_hsvae.ops.hsc import hsc_gains

SLOW = pytest.mark.slow
# Both sides of the KL gradient's branch at kappa = 1 and of its value's
# branch at kappa = v + 1 (m = 3: 1.5; m = 10: 5).
KAPPAS = [1e-6, 1e-3, 0.3, 0.999, 1.0, 1.001, 1.5, 2.0, 5.0, 30.0, 1e3, 1e5]


def _central(f, x, digits=60):
    """d f / d x at `x` (a float) by a central difference in mpmath."""
    with mp.workdps(digits):
        x = mp.mpf(x)
        h = x * mp.mpf("1e-12")
        return float((f(x + h) - f(x - h)) / (2 * h))


def _slope(fn, dim):
    """The attached d fn(dim, kappa) / d kappa at every kappa of `KAPPAS`."""
    with float64():
        _, (grad,) = value_and_grad(lambda k: fn(dim, k), np.array(KAPPAS, "float64"))
    return grad


# One compiled graph per (function, dim): the extremes in the fast tier.
@pytest.mark.parametrize(
    "dim", [2, pytest.param(3, marks=SLOW), pytest.param(100, marks=SLOW), 1000]
)
def test_vmf_kl_gradient(dim):
    got = _slope(hops.vmf_kl_to_uniform, dim)
    ref = [_central(lambda k: vmf_kl(dim, k), k) for k in KAPPAS]
    np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-300)
    # The sign that trains the concentration: the KL grows with kappa.
    assert np.all(got > 0)


@pytest.mark.parametrize(
    "dim", [10, pytest.param(2, marks=SLOW), pytest.param(1000, marks=SLOW)]
)
def test_vmf_log_normalizer_and_entropy_gradients(dim):
    got = _slope(hops.vmf_log_normalizer, dim)
    ref = [_central(lambda k: vmf_log_normalizer(dim, k), k) for k in KAPPAS]
    np.testing.assert_allclose(got, ref, rtol=1e-8)
    # entropy = log area - KL: its slope is minus the KL's.
    got = _slope(hops.vmf_entropy, dim)
    ref = [-_central(lambda k: vmf_kl(dim, k), k) for k in KAPPAS]
    np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-300)


@pytest.mark.parametrize(
    "v", [0.5, pytest.param(0.0, marks=SLOW), pytest.param(255.0, marks=SLOW)]
)
def test_log_bessel_ive_gradient(v):
    # The one Bessel function whose x-derivative test_ops_bessel leaves out.
    x = np.array([1e-5, 0.3, 3.0, 40.0, 2e3, 1e6], "float64")
    with float64():
        _, (got,) = value_and_grad(
            lambda t: hops.log_bessel_ive(np.full_like(x, v), t), x
        )
    ref = [_central(lambda t: log_iv(v, t, 60) - t, t) for t in x]
    np.testing.assert_allclose(got, ref, rtol=1e-8)


@pytest.mark.parametrize(
    "dim, r",
    [
        (1000, 0.95),
        pytest.param(3, 0.9, marks=SLOW),
        pytest.param(3, 0.2, marks=SLOW),
        pytest.param(10, 0.5, marks=SLOW),
        pytest.param(100, 0.3, marks=SLOW),
    ],
)
def test_concentration_mle_gradient_is_the_inverse_slope(dim, r):
    # kappa(R) inverts A_m: d kappa / d R = 1 / A_m'(kappa), against central
    # differences of the mpmath A_m (v = m/2 - 1) at the root.
    with float64():
        kappa, (got,) = value_and_grad(
            lambda t: hops.vmf_concentration_mle(t, dim), np.float64(r)
        )
    slope = _central(lambda k: iv_ratio(mp.mpf(dim) / 2 - 1, k), float(kappa), 40)
    np.testing.assert_allclose(got, 1.0 / slope, rtol=1e-6)


@pytest.mark.parametrize("m", [3, pytest.param(100, marks=SLOW)])
def test_power_spherical_kl_gradient(m):
    kappa = np.array([1e-3, 0.5, 3.0, 50.0, 1e3], "float64")
    with float64():
        _, (got,) = value_and_grad(lambda k: symmetric_beta_kl((m - 1) / 2, k), kappa)

    def kl(k):
        return mp.mpf(power_spherical_entropy_kl(m, k)[1])

    # The reference rounds the KL to a float: difference quotients need a
    # step large enough for that rounding (1e-16 relative) to vanish.
    with mp.workdps(50):
        ref = []
        for k in kappa:
            h = mp.mpf(k) * mp.mpf("1e-5")
            ref.append(float((kl(k + h) - kl(k - h)) / (2 * h)))
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    assert np.all(got > 0)


def test_hsc_penalty_gradient_every_entry_of_mu_and_sigma():
    rng = np.random.default_rng(5)
    batch, n = 5, 4
    mu = rng.normal(size=(batch, n))
    sigma = np.abs(rng.normal(size=(batch, n))) + 0.1
    targets = hops.prior_targets("compressed", n)
    gains = hsc_gains("all_ones", n)
    targets = {key: np.asarray(value, "float64") for key, value in targets.items()}
    gains = {key: np.asarray(value, "float64") for key, value in gains.items()}
    with float64():
        _, (g_mu, g_sigma) = value_and_grad(
            lambda a, b: hops.hsc_penalty(a, b, targets, gains), mu, sigma
        )

    def numeric(x, which):
        out = np.empty_like(x)
        h = 1e-6
        for index in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[index] += h
            down[index] -= h
            if which == "mu":
                f_up = _ref_penalty(up, sigma, targets, gains)
                f_down = _ref_penalty(down, sigma, targets, gains)
            else:
                f_up = _ref_penalty(mu, up, targets, gains)
                f_down = _ref_penalty(mu, down, targets, gains)
            out[index] = (f_up - f_down) / (2 * h)
        return out

    np.testing.assert_allclose(g_mu, numeric(mu, "mu"), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(g_sigma, numeric(sigma, "sigma"), rtol=1e-5, atol=1e-8)
