"""Every figure of a trained model at once (what `evaluate --plots` writes)."""

import os

import numpy as np

from keras_hsvae.plots._figures import (
    plot_hammer,
    plot_interpolation,
    plot_latent_histograms,
    plot_latent_sphere,
    plot_mse_fid,
    plot_reconstructions,
    plot_samples,
    plot_tsne,
)
from keras_hsvae.plots._geometry import to_numpy


def latent_statistics(model, x, seed=0):
    """Posterior means, standard deviations and samples of `x`, as numpy.

    Args:
        model: a keras_hsvae model (`encode`, `embed`, `posterior_distribution`).
        x: batch of inputs.
        seed: integer seed of the posterior samples.

    Returns:
        dict with `"mu"` `(N, n)`: the posterior mean (`"mean"` of Gaussian
        posteriors, `"mean_direction"` of vMF / power-spherical ones, shells
        concatenated, `embed(x)` otherwise); `"sigma"`: the per-dimension
        standard deviation (`"stddev"`) or None (vMF-type posteriors have a
        scalar concentration instead); `"z"`: one posterior sample per
        example, from `posterior_distribution(x).sample`, or for models
        without a posterior density but with `mean` and `stddev` (HSC-VAE)
        the Cartesian reparameterization `mu + sigma * eps` before any
        rescaling, or None (SAE); `"embedding"`: `embed(x)`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> from keras_hsvae.plots import latent_statistics
    >>> vae = BetaVAE(mlp_encoder((4, 4, 1), (8,)), mlp_decoder(2, (4, 4, 1), (8,)), 2)
    >>> x = np.random.default_rng(0).random((4, 4, 4, 1)).astype("float32")
    >>> {k: v.shape for k, v in latent_statistics(vae, x).items()}
    {'mu': (4, 2), 'sigma': (4, 2), 'z': (4, 2), 'embedding': (4, 2)}
    """
    x = to_numpy(x, "x")
    params = model.encode(x)
    embedding = to_numpy(model.embed(x), "embedding").astype("float64")
    mu = params.get("mean", params.get("mean_direction"))
    if mu is None:
        mu = embedding
    elif isinstance(mu, (list, tuple)):
        mu = np.concatenate([to_numpy(m, "mu") for m in mu], axis=-1)
    mu = to_numpy(mu, "mu").astype("float64")
    sigma = params.get("stddev")
    sigma = None if sigma is None else to_numpy(sigma, "sigma").astype("float64")
    try:
        z = to_numpy(model.posterior_distribution(x).sample(seed=seed), "z")
        z = z.astype("float64")
    except NotImplementedError:
        z = None
        if sigma is not None:
            eps = np.random.default_rng(seed).standard_normal(mu.shape)
            z = mu + sigma * eps
    return {"mu": mu, "sigma": sigma, "z": z, "embedding": embedding}


def write_figures(
    model, x, directory, labels=None, records=None, image_shape=None, seed=0
):
    """Write every figure of `model` on the inputs `x` as PNGs in `directory`.

    Files: `reconstructions.png` (originals, reconstructions, samples),
    `samples.png`, `interpolation.png` (slerp between the first and the last
    4 inputs), `latent_histograms.png` (mu, sigma, z, cos(phi)), `tsne.png`
    (of the embeddings); for latents of size >= 3 also `latent_sphere.png`
    and `hammer.png`; and `mse_fid.png` when `records` (see
    `plot_mse_fid`) are given.

    Args:
        model: a keras_hsvae model.
        x: batch of inputs (at least 2; 16 or more shows full grids).
        directory: output folder (created if needed).
        labels: optional class labels of `x`, to colour the latent plots.
        records: optional MSE/FID records for `plot_mse_fid`.
        image_shape: shape of one image when the data are flat vectors.
        seed: seed of the samples and of the posterior draws.

    Returns:
        dict from figure name to the path written.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> from keras_hsvae.plots import write_figures
    >>> vae = BetaVAE(mlp_encoder((4, 4, 1), (8,)), mlp_decoder(2, (4, 4, 1), (8,)), 2)
    >>> x = np.random.default_rng(0).random((4, 4, 4, 1)).astype("float32")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_figures(vae, x, folder)
    ...     sorted(os.listdir(folder)) == sorted(f"{k}.png" for k in paths)
    True
    >>> sorted(paths)  # latent size 2: no sphere views
    ['interpolation', 'latent_histograms', 'reconstructions', 'samples', 'tsne']
    """
    x = to_numpy(x, "x")
    if x.shape[0] < 2:
        raise ValueError(
            f"`x` must hold at least 2 inputs. Received: x.shape={x.shape}"
        )
    os.makedirs(directory, exist_ok=True)
    paths = {}

    def target(name):
        paths[name] = os.path.join(os.fspath(directory), f"{name}.png")
        return paths[name]

    n = min(16, x.shape[0])
    plot_reconstructions(
        model,
        x,
        n=n,
        seed=seed,
        image_shape=image_shape,
        path=target("reconstructions"),
    )
    plot_samples(
        model, n=64, seed=seed, image_shape=image_shape, path=target("samples")
    )
    pairs = min(4, x.shape[0] // 2)
    plot_interpolation(
        model,
        x[:pairs],
        x[x.shape[0] - pairs :][::-1],
        image_shape=image_shape,
        path=target("interpolation"),
    )
    stats = latent_statistics(model, x, seed=seed)
    if stats["mu"].shape[-1] >= 2:
        plot_latent_histograms(
            stats["mu"],
            stats["sigma"],
            stats["z"],
            path=target("latent_histograms"),
        )
    embedding = stats["embedding"]
    if embedding.shape[0] >= 4:
        plot_tsne(embedding, labels=labels, seed=seed, path=target("tsne"))
    if embedding.shape[-1] >= 3:
        plot_latent_sphere(embedding, labels=labels, path=target("latent_sphere"))
        plot_hammer(embedding, labels=labels, path=target("hammer"))
    if records:
        plot_mse_fid(records, path=target("mse_fid"))
    return paths
