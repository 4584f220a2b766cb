"""The training-time latent terms: the score correction's zero value and
the posterior draws of `latent(..., training=True)`, against closed forms."""

import keras
import numpy as np
import pytest
import scipy.special as sp
from conftest import make_tiny_model, tiny_data


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def _bce(x, logits):
    """Bernoulli negative log-likelihood summed over pixels (numpy)."""
    x = x.reshape(len(x), -1)
    logits = logits.reshape(len(logits), -1)
    return np.sum(np.logaddexp(0.0, logits) - x * logits, axis=-1)


@pytest.mark.parametrize("score_correction", [False, True])
def test_loss_value_is_the_negative_elbo(score_correction):
    # The correction adds s - stop_gradient(s): zero in value.
    model = make_tiny_model("vmf", beta=0.5, score_correction=score_correction)
    x = tiny_data(8)
    y_pred = model(x, training=True)
    assert ("score_correction" in y_pred) == score_correction
    loss = model.compute_loss(x=x, y_pred=y_pred, training=True)
    recon = _bce(x, _np(y_pred["reconstruction"]))
    expected = recon.mean() + 0.5 * _np(y_pred["kl"]).mean()
    assert float(_np(loss)) == pytest.approx(expected, rel=1e-5)


def test_product_latent_draws_have_the_vmf_mean_cosine():
    # E[mu . z] = A_m(kappa) for a vMF on S^(m-1): I_{m/2}(k) / I_{m/2-1}(k).
    model = make_tiny_model("product")
    x = tiny_data(1)
    features = keras.ops.repeat(model.encoder(x), 4000, axis=0)
    z = _np(model.latent(features, training=True)["z"])
    params = model.encode(x)
    for shell, (lo, hi) in enumerate([(0, 3), (3, 5)]):
        m = hi - lo
        mu = _np(params["mean_direction"][shell])[0]
        kappa = float(_np(params["concentration"][shell]).reshape(-1)[0])
        cosine = z[:, lo:hi] @ mu
        mean_length = sp.ive(m / 2, kappa) / sp.ive(m / 2 - 1, kappa)
        # Draws, not the mode (cosine 1), within 5 standard errors.
        assert cosine.std() > 0.05
        assert cosine.mean() == pytest.approx(mean_length, abs=5 * cosine.std() / 63)


def test_hsc_vae_defaults_weight_the_regularizer_by_one():
    model = make_tiny_model("hsc")
    x = tiny_data(8, binary=False)
    y_pred = model(x, training=True)
    loss = model.compute_loss(x=x, y_pred=y_pred, training=True)
    sse = np.sum((x - _np(y_pred["reconstruction"])).reshape(8, -1) ** 2, axis=-1)
    # beta = 1 by default: the loss is SSE + L_ang + L_rad, batch means.
    expected = sse.mean() + _np(y_pred["regularizer"]).mean()
    assert float(_np(loss)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("prior", ["moderate", "uncompressed"])
def test_hsc_vae_passes_its_prior_to_the_regularizer(prior):
    model = make_tiny_model("hsc", prior=prior)
    assert model.regularizer.prior == prior
    assert model.get_config()["prior"] == prior
