"""The backend adapter's Wood proposals: Beta(c, c) against scipy, and the
vMF models compile with XLA on TensorFlow (no Gamma kernel needed)."""

import keras
import numpy as np
import pytest
from scipy import stats

from keras_hsvae.models import SVAE, ProductSVAE, mlp_decoder, mlp_encoder
from keras_hsvae.ops._backend_random import base_seed, beta_and_uniform


@pytest.mark.parametrize("c", [0.5, 1.5, 4.5, 255.5])
def test_beta_proposals_match_scipy(c):
    seed = base_seed(keras.random.SeedGenerator(11))
    draws = [
        beta_and_uniform((3000,), c, seed, counter, "float32") for counter in (0, 1)
    ]
    eps = [keras.ops.convert_to_numpy(e) for e, _ in draws]
    u = [keras.ops.convert_to_numpy(v) for _, v in draws]
    for e, v in zip(eps, u):
        assert np.all((e >= 0) & (e <= 1)) and np.all((v >= 0) & (v < 1))
        # Kolmogorov-Smirnov against scipy's Beta(c, c) and Uniform(0, 1).
        assert stats.kstest(e, stats.beta(c, c).cdf).pvalue > 1e-3
        assert stats.kstest(v, "uniform").pvalue > 1e-3
    # Rounds are independent draws, not the same numbers again.
    assert not np.array_equal(eps[0], eps[1])
    assert abs(stats.pearsonr(eps[0], eps[1])[0]) < 0.1


def _model(kind):
    # m = 4 and 5: Wood's rejection loop (m = 3 is an exact inversion).
    if kind == "vmf":
        return SVAE(mlp_encoder((6,), (8,)), mlp_decoder(4, (6,), (8,)), 4, seed=1)
    return ProductSVAE(
        mlp_encoder((6,), (8,)), mlp_decoder(9, (6,), (8,)), [4, 5], seed=1
    )


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="jit_compile is TF's flag"
)
@pytest.mark.parametrize(
    "kind", ["vmf", pytest.param("product", marks=pytest.mark.slow)]
)
def test_vmf_models_train_under_xla(kind):
    model = _model(kind)
    model.compile(optimizer="adam", jit_compile=True)
    x = (np.random.default_rng(0).random((16, 6)) > 0.5).astype("float32")
    logs = [model.train_on_batch(x, return_dict=True) for _ in range(2)]
    assert all(np.isfinite(v) for log in logs for v in log.values())
    assert logs[0]["kl"] > 0
