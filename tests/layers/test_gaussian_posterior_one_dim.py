"""GaussianPosterior with a one-dimensional latent, and the names of its heads."""

import numpy as np
from backend_utils import to_numpy

from keras_hsvae import layers as hl


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_one_dimensional_latent():
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    layer = hl.GaussianPosterior(1, beta=0.5, seed=0, score_correction=True)
    z, c = layer(x, training=True)
    assert tuple(z.shape) == (6, 1)
    np.testing.assert_array_equal(to_numpy(c), np.zeros(6))
    # The KL from the heads' weights, in float64 numpy.
    x64 = x.astype(np.float64)
    mean = x64 @ to_numpy(layer.mean_dense.kernel) + to_numpy(layer.mean_dense.bias)
    pre = x64 @ to_numpy(layer.scale_dense.kernel) + to_numpy(layer.scale_dense.bias)
    var = _softplus(pre) ** 2
    kl = 0.5 * (mean**2 + var - 1.0 - np.log(var))[:, 0]
    np.testing.assert_allclose(
        float(to_numpy(layer.losses[0])), 0.5 * kl.mean(), rtol=1e-5
    )
    z_mode, _ = layer(x, training=False)
    np.testing.assert_allclose(to_numpy(z_mode), mean, rtol=1e-5, atol=1e-6)


def test_head_names():
    layer = hl.GaussianPosterior(2, name="q")
    layer.build((3, 4))
    assert (layer.mean_dense.name, layer.scale_dense.name) == ("mean", "scale")
    paths = sorted(w.path for w in layer.trainable_weights)
    assert paths == ["q/mean/bias", "q/mean/kernel", "q/scale/bias", "q/scale/kernel"]
