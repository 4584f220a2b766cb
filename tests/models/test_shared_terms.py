"""One training step computes the KL, the posterior parameters and the
Bessel parts once, and the logged terms are the loss's own tensors."""

import keras
import numpy as np
import pytest
from conftest import make_tiny_model, tiny_data
from scipy import special

import keras_hsvae.layers.posteriors.spherical as spherical_module
import keras_hsvae.ops.bessel as bessel_module


def _vmf_kl_scipy(m, kappa):
    """KL(vMF || U(S^{m-1})) = kappa A_m - L_v with scipy's `ive` (v = m/2 - 1)."""
    v = m / 2 - 1
    kappa = np.asarray(kappa, "float64")
    ratio = special.ive(v + 1, kappa) / special.ive(v, kappa)
    log_iv = np.log(special.ive(v, kappa)) + kappa
    log_norm = special.gammaln(v + 1) + v * np.log(2 / kappa) + log_iv
    return kappa * ratio - log_norm


def _counting(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("kind,shells", [("vmf", 1), ("product", 2)])
def test_one_forward_pass_evaluates_each_quantity_once(kind, shells, monkeypatch):
    model = make_tiny_model(kind, beta=0.5)
    x = tiny_data(8)
    # training=False: the same KL and parameters without the rejection loop
    # (compiled per eager call on JAX, seconds each).
    model(x, training=False)  # build outside the count
    bessel = _counting(monkeypatch, bessel_module, "_bessel_parts")
    params = _counting(monkeypatch, spherical_module.SphericalPosterior, "parameters")
    out = model(x, training=False)
    # Before sharing: twice per shell for the product (loss and kl_shell_<i>);
    # since session 9 the product's shells share one Bessel pass.
    assert len(bessel) == 1
    assert len(params) == shells
    kl = keras.ops.convert_to_numpy(out["kl"])
    # The logged kl is the loss's kl term exactly (same tensor, same mean).
    added = keras.ops.convert_to_numpy(model.losses[0])
    assert added == keras.ops.convert_to_numpy(0.5 * keras.ops.mean(out["kl"]))
    if kind == "product":
        per_shell = [keras.ops.convert_to_numpy(out[f"kl_shell_{i}"]) for i in (0, 1)]
        assert np.array_equal(kl, per_shell[0] + per_shell[1])
        params = model.encode(x)
        kappas = [keras.ops.convert_to_numpy(k) for k in params["concentration"]]
        for m, k, value in zip((3, 2), kappas, per_shell):
            np.testing.assert_allclose(value, _vmf_kl_scipy(m, k), rtol=1e-5)
    else:
        kappa = keras.ops.convert_to_numpy(out["concentration"])
        np.testing.assert_allclose(kl, _vmf_kl_scipy(3, kappa), rtol=1e-5)


@pytest.mark.parametrize(
    "kind,step",
    [
        ("vmf", "test"),
        ("power_spherical", "test"),
        ("product", "test"),
        # The training step traces the rejection loops (slow on JAX).
        pytest.param("vmf", "train", marks=pytest.mark.slow),
        pytest.param("product", "train", marks=pytest.mark.slow),
    ],
)
def test_logged_terms_add_up_to_the_loss(kind, step):
    model = make_tiny_model(kind, beta=0.5)
    model.compile(optimizer="adam")
    run = model.train_on_batch if step == "train" else model.test_on_batch
    logs = run(tiny_data(16), return_dict=True)
    # loss = mean(recon) + beta mean(kl), all from the same step's tensors.
    np.testing.assert_allclose(
        logs["loss"], logs["reconstruction"] + 0.5 * logs["kl"], rtol=1e-6
    )
    if kind == "product":
        np.testing.assert_allclose(
            logs["kl"], logs["kl_shell_0"] + logs["kl_shell_1"], rtol=1e-6
        )
