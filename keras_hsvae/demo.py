"""`python -m keras_hsvae.demo`: build an S-VAE latent layer, sample, check.

The check compares Monte-Carlo statistics of the layer's samples with the
closed forms the library computes through its Bessel functions:
E[mu^T z] = A_m(kappa) = I_{m/2}(kappa) / I_{m/2-1}(kappa), and the KL the
layer adds with `add_loss` against the entropy identity
KL = log|S^{m-1}| - H. Exit status 0 when both agree.
"""

import sys

import keras
import numpy as np

from keras_hsvae import distributions, layers
from keras_hsvae import ops as hops


def main(dim=10, num_samples=20000, seed=0):
    print(f"keras_hsvae demo on the {keras.backend.backend()} backend")
    keras.utils.set_random_seed(seed)
    features = np.random.default_rng(seed).normal(size=(4, 16)).astype("float32")
    layer = layers.VonMisesFisherPosterior(dim=dim, seed=seed)
    z = keras.ops.convert_to_numpy(layer(features, training=True))
    params = layer.parameters(features)
    mu = keras.ops.convert_to_numpy(params["mean_direction"])
    kappa = keras.ops.convert_to_numpy(params["concentration"])
    print(f"VonMisesFisherPosterior(dim={dim}): samples {z.shape} on S^{dim - 1}")
    print(f"  |z| = {np.round(np.linalg.norm(z, axis=1), 6).tolist()}")
    print(f"  kappa = {np.round(kappa, 4).tolist()}")
    kl_layer = float(keras.ops.convert_to_numpy(layer.losses[0]))

    ok = True
    q = distributions.VonMisesFisher(mu, kappa)
    draws = keras.ops.convert_to_numpy(q.sample((num_samples,), seed=seed))
    empirical = np.mean(np.sum(draws * mu, axis=-1), axis=0)
    exact = keras.ops.convert_to_numpy(q.mean_resultant_length())
    stderr = np.std(np.sum(draws * mu, axis=-1), axis=0) / np.sqrt(num_samples)
    print("  E[mu^T z]: Monte-Carlo vs A_m(kappa)")
    for e, a, s in zip(empirical, exact, stderr):
        good = abs(e - a) <= 5 * s
        ok &= bool(good)
        print(f"    {e:.5f} vs {a:.5f} (+- {s:.5f})  {'ok' if good else 'MISMATCH'}")
    entropy = keras.ops.convert_to_numpy(q.entropy())
    kl_identity = float(np.mean(float(hops.log_sphere_area(dim)) - entropy))
    good = abs(kl_layer - kl_identity) <= 1e-4 * max(1.0, abs(kl_identity))
    ok &= good
    print(
        f"  KL added by the layer {kl_layer:.6f} vs log|S^{dim - 1}| - H "
        f"{kl_identity:.6f}  {'ok' if good else 'MISMATCH'}"
    )
    extreme = float(hops.vmf_kl_to_uniform(4096, np.float32(1e-3)))
    print(f"  KL(vMF(m=4096, kappa=1e-3) || U) in float32 = {extreme:.6e}")
    print("check passed" if ok else "check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
