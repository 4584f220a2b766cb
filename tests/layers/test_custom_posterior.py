"""Adding a posterior is one layer file: a test-only posterior, end to end.

`FixedConcentrationPosterior` (a vMF with one learned concentration shared
by all examples) is registered here, in this file only, and is then usable
by name everywhere a posterior is chosen: `SVAE`, `ProductSVAE` shells, the
model registry of `train` and the command line.
"""

import keras
import numpy as np
from backend_utils import to_numpy
from conftest import SHAPE, tiny_data
from keras import ops
from mp_reference import vmf_kl

from keras_hsvae import layers as hl
from keras_hsvae.distributions import VonMisesFisher
from keras_hsvae.models import SVAE, ProductSVAE, mlp_decoder, mlp_encoder
from keras_hsvae.models.registry import get_model_class, model_names
from keras_hsvae.ops.sphere import rescale_to_radius


@hl.register_posterior("test_shared_kappa", spherical=True)
class FixedConcentrationPosterior(hl.SphericalPosterior):
    """vMF posterior whose concentration is one weight for every example."""

    distribution_class = VonMisesFisher

    def build(self, input_shape):
        self.mean_dense.build(input_shape)
        self.log_kappa = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(1.0), name="log_kappa"
        )
        self.built = True

    def parameters(self, features):
        features = ops.convert_to_tensor(features)
        if not self.built:
            self.build(tuple(features.shape))
        mu = rescale_to_radius(self.mean_dense(features), 1.0)
        kappa = ops.exp(self.log_kappa) * ops.ones_like(mu[..., 0])
        return {"mean_direction": mu, "concentration": kappa}


def test_registered_posterior_is_known_by_name():
    assert "test_shared_kappa" in hl.list_posteriors(spherical=True)
    assert "svae_test_shared_kappa" in model_names()
    cls, kwargs = get_model_class("svae_test_shared_kappa")
    assert cls is SVAE and kwargs == {"posterior": "test_shared_kappa"}


def test_svae_and_product_train_with_it():
    x = tiny_data(32)
    model = SVAE(
        mlp_encoder(SHAPE, (16,)),
        mlp_decoder(3, SHAPE, (16,)),
        3,
        posterior="test_shared_kappa",
        seed=0,
    )
    model.compile(optimizer="adam")
    history = model.fit(x, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # Its KL is the vMF KL at the shared concentration (mpmath reference).
    kappa = float(np.exp(to_numpy(model.posterior.log_kappa)))
    kl = to_numpy(model.posterior.kl(model.encoder(x[:2])))
    np.testing.assert_allclose(kl, float(vmf_kl(3, kappa)), rtol=1e-5)
    clone = SVAE.from_config(model.get_config())
    assert type(clone.posterior) is FixedConcentrationPosterior

    product = ProductSVAE(
        mlp_encoder(SHAPE, (16,)),
        mlp_decoder(5, SHAPE, (16,)),
        [3, 2],
        posterior=["vmf", "test_shared_kappa"],
        seed=0,
    )
    product.compile(optimizer="adam")
    history = product.fit(x, epochs=1, batch_size=16, verbose=0)
    assert {"kl_shell_0", "kl_shell_1"} <= set(history.history)
