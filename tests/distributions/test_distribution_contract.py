"""Every distribution honours the `Distribution` contract of `base.py`.

For each distribution and each float dtype: the methods it declares in
`supported_methods` return tensors of the documented shapes, of its dtype,
with finite values; the others raise `NotImplementedError` naming the class;
`kl_divergence(other)` goes through the KL registry.
"""

import contextlib

import keras
import numpy as np
import pytest
from backend_utils import float64
from keras import ops

from keras_hsvae import distributions as hd
from keras_hsvae.distributions.base import CONTRACT, Distribution

DTYPES = ["float32", "float64", "float16", "bfloat16"]
BATCH = (2,)


def _tensor(x, dtype):
    # Through float32: torch has no numpy bfloat16.
    return ops.cast(ops.convert_to_tensor(np.asarray(x, "float32")), dtype)


def _mu(m, dtype):
    mu = np.zeros(BATCH + (m,))
    mu[0, 0] = 1.0
    mu[1, m - 1] = -1.0
    return _tensor(mu, dtype)


def _kappa(dtype):
    return _tensor([0.5, 30.0], dtype)


# name -> (distribution factory, registered KL partner factory or None).
CASES = {
    "VonMisesFisher": (
        lambda dt: hd.VonMisesFisher(_mu(4, dt), _kappa(dt)),
        lambda dt: hd.HypersphericalUniform(4, dt),
    ),
    "PowerSpherical": (
        lambda dt: hd.PowerSpherical(_mu(3, dt), _kappa(dt)),
        lambda dt: hd.HypersphericalUniform(3, dt),
    ),
    "HypersphericalUniform": (lambda dt: hd.HypersphericalUniform(5, dt), None),
    "Normal": (
        lambda dt: hd.Normal(_tensor([[0.0, 1.0, -2.0]] * 2, dt), _tensor([0.5], dt)),
        lambda dt: hd.Normal.standard(3, dt),
    ),
    "ProductVonMisesFisher": (
        lambda dt: hd.ProductVonMisesFisher(
            [
                hd.VonMisesFisher(_mu(2, dt), _kappa(dt)),
                hd.VonMisesFisher(_mu(3, dt), _kappa(dt)),
            ]
        ),
        lambda dt: hd.ProductHypersphericalUniform([2, 3], dt),
    ),
    "ProductSpherical": (
        lambda dt: hd.ProductSpherical(
            [
                hd.VonMisesFisher(_mu(3, dt), _kappa(dt)),
                hd.PowerSpherical(_mu(4, dt), _kappa(dt)),
            ]
        ),
        lambda dt: hd.ProductHypersphericalUniform([3, 4], dt),
    ),
    "ProductHypersphericalUniform": (
        lambda dt: hd.ProductHypersphericalUniform([2, 3], dt),
        None,
    ),
}


def _context(dtype):
    return float64() if dtype == "float64" else contextlib.nullcontext()


def _check(value, shape, dtype, what):
    assert tuple(value.shape) == shape, (what, tuple(value.shape), shape)
    assert keras.backend.standardize_dtype(value.dtype) == dtype, what
    finite = np.isfinite(np.asarray(ops.convert_to_numpy(ops.cast(value, "float32"))))
    assert np.all(finite), what


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_distribution_honours_the_contract(name, dtype):
    make, make_partner = CASES[name]
    with _context(dtype):
        q = make(dtype)
        assert type(q).__name__ == name
        assert q.dtype == dtype
        assert set(q.supported_methods) <= set(CONTRACT)
        batch, event = q.batch_shape, q.event_shape
        expected_shapes = {
            "sample": (3,) + batch + event,
            "log_prob": (3,) + batch,
            "mode": batch + event,
            "mean": batch + event,
            "entropy": batch,
        }
        # Points to evaluate: drawn by the distribution if it can, else uniform.
        if "sample" not in q.supported_methods:
            points = hd.HypersphericalUniform(q.dim, dtype).sample((3,) + batch, 1)
        else:
            points = q.sample((3,), seed=1)
        for method in CONTRACT:
            call = {
                "sample": lambda: q.sample((3,), seed=1),
                "log_prob": lambda: q.log_prob(points),
                "mode": q.mode,
                "mean": q.mean,
                "entropy": q.entropy,
            }[method]
            if method in q.supported_methods:
                _check(call(), expected_shapes[method], dtype, method)
            else:
                with pytest.raises(NotImplementedError, match=name):
                    call()
        if make_partner is None:
            with pytest.raises(NotImplementedError, match=name):
                q.kl_divergence(q)
        else:
            p = make_partner(dtype)
            kl = q.kl_divergence(p)
            _check(kl, batch, dtype, "kl_divergence")
            same = hd.kl_divergence(q, p)
            np.testing.assert_array_equal(
                ops.convert_to_numpy(ops.cast(kl, "float32")),
                ops.convert_to_numpy(ops.cast(same, "float32")),
            )


def test_every_public_distribution_is_covered():
    public = {
        name
        for name in hd.__all__
        if isinstance(getattr(hd, name), type)
        and issubclass(getattr(hd, name), Distribution)
    }
    assert public == set(CASES)


def test_base_class_methods_raise_naming_the_class():
    class Bare(Distribution):
        pass

    q = Bare(3, "float32", (), "Bare")
    for method in ("mode", "mean", "entropy"):
        with pytest.raises(NotImplementedError, match=r"Bare does not provide"):
            getattr(q, method)()
    with pytest.raises(NotImplementedError, match="Bare"):
        q.sample()
    with pytest.raises(NotImplementedError, match="Bare"):
        q.log_prob(np.zeros(3, "float32"))
    with pytest.raises(NotImplementedError, match="No KL divergence registered"):
        q.kl_divergence(hd.HypersphericalUniform(3))
