"""Synthetic data: a mixture of von Mises-Fisher clusters on the circle in R^D."""

import numpy as np

from keras_hsvae._validation import check_int


def make_vmf_circle(
    num_samples=10000,
    *,
    num_components=3,
    kappa=10.0,
    ambient_dim=100,
    noise_std=0.1,
    seed=0,
    map_seed=0,
):
    """Sample the S-VAE circle data set: vMF clusters on S^1 embedded in R^D.

    The S-VAE paper (Davidson et al. 2018, section 5.1) draws "samples from a
    mixture of three vMFs on the circle, S^1, ... mapped into the higher
    dimensional R^100 by applying a noisy, non-linear transformation" and
    gives no further detail. This function fixes that construction:

    1. component `c ~ Uniform{0, ..., K-1}`, mean angle `2 pi c / K`;
    2. angle `theta ~ VonMises(2 pi c / K, kappa)` (numpy's exact sampler),
       wrapped to `[0, 2 pi)`; `z = (cos theta, sin theta)` on S^1;
    3. a fixed random non-linear map (a random tanh feature map)
       `f(z) = tanh(z @ W + b)` with `W` (2, D) of independent N(0, 2^2)
       entries (the scale 2 puts tanh in its non-linear range) and `b` (D,)
       of independent N(0, 1) entries; f embeds the circle as a closed curve;
    4. `x = f(z) + noise_std * eps`, `eps ~ N(0, I_D)` independent per sample.

    Determinism: the samples (components, angles, noise) come from
    `numpy.random.default_rng(seed)`; the map `(W, b)` from
    `numpy.random.default_rng(numpy.random.SeedSequence(map_seed,
    spawn_key=(1,)))`, a stream distinct from the samples' even when
    `seed == map_seed`. Keep `map_seed` fixed across splits so they share one
    map; vary `seed` between splits.

    Args:
        num_samples: int >= 1, number of points.
        num_components: int >= 1, number of vMF clusters (3 in the paper),
            with equally spaced mean angles and equal weights.
        kappa: float > 0, concentration of every cluster (circular standard
            deviation about `1/sqrt(kappa)` radians for large kappa).
        ambient_dim: int >= 1, dimension D of the embedding (100 in the paper).
        noise_std: float >= 0, standard deviation of the additive noise.
        seed: seed for the samples: anything `numpy.random.default_rng`
            accepts (an int, a sequence of ints, a `SeedSequence`).
        map_seed: int, seed of the fixed non-linear map.

    Returns:
        `(x, labels, angles)`: float32 array (num_samples, D), int32 array
        (num_samples,) of component indices, and float64 array (num_samples,)
        of the latent angles in `[0, 2 pi)`.

    Example:

    >>> from keras_hsvae.data import make_vmf_circle
    >>> x, labels, angles = make_vmf_circle(500, seed=1)
    >>> x.shape, labels.shape, sorted(set(labels.tolist()))
    ((500, 100), (500,), [0, 1, 2])
    """
    num_samples = _positive_int(num_samples, "num_samples")
    num_components = _positive_int(num_components, "num_components")
    ambient_dim = _positive_int(ambient_dim, "ambient_dim")
    if not (np.isfinite(kappa) and kappa > 0):
        raise ValueError(f"`kappa` must be a positive float. Received: kappa={kappa}")
    if not (np.isfinite(noise_std) and noise_std >= 0):
        raise ValueError(
            f"`noise_std` must be a float >= 0. Received: noise_std={noise_std}"
        )
    map_rng = np.random.default_rng(np.random.SeedSequence(map_seed, spawn_key=(1,)))
    weights = 2.0 * map_rng.standard_normal((2, ambient_dim))
    bias = map_rng.standard_normal(ambient_dim)

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_components, size=num_samples)
    means = 2.0 * np.pi * labels / num_components
    angles = np.mod(rng.vonmises(means, kappa), 2.0 * np.pi)
    z = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    x = np.tanh(z @ weights + bias)
    x = x + noise_std * rng.standard_normal(x.shape)
    return x.astype(np.float32), labels.astype(np.int32), angles


def _positive_int(value, name):
    return check_int(name, value, 1)
