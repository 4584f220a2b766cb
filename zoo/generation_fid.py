"""FID of generated images by latent sampler or prior, for the zoo's model cards.

`hsvae evaluate` scores the samples of a preset's own sampler. The HSC-VAE and
SAE claims compare samplers and priors of the same model, so `zoo/publish.py`
writes `generation.json` beside `evaluation.json` with these functions:

- `sampler_fids(model, x_test, features, fitted_samplers(model, x_test))`:
  for an HSC-VAE or its baseline (001, section 4.4), decoded draws of the
  prior and of samplers fitted to the test embeddings (`keras_hsvae.samplers`):
  the paper's fitted vMF, a full-covariance Gaussian projected to the sphere
  and a Gaussian in the tangent space at the fitted mean direction (SPEC
  section 2), and mixtures fitted to training embeddings (50 vMFs; 10
  Gaussians projected to the sphere; SPEC section 2).
- `prior_fids(sae, vae, x_test, features)`: for a Spherical Auto-Encoder
  (003, Table 1 and Algorithm 1), decoded draws of four priors (normal,
  uniform, Poisson, chi-squared), centerized and spherized for the SAE, and
  fed raw (and, as the paper's correction, centerized and spherized to radius
  sqrt(d)) to a VAE of the same latent size.

Each generated set has as many images as `x_test`. "FID" is against the test
images, "self-FID" (001) against the model's reconstructions of them; the
features are those of `features` (the zoo's in-domain classifier, not
Inception-v3: the values are not comparable with the papers'). Draws are
decoded in batches of 500 with the seeds `seed, seed + 1, ...`.
"""

import math

import numpy as np

BATCH = 500
PRIORS = ("normal", "uniform", "poisson", "chi2")


def _numpy(x):
    from keras import ops

    return np.asarray(ops.convert_to_numpy(x))


def _batched(fn, n, seed):
    """`fn(count, seed)` over batches of `BATCH`, concatenated."""
    out = []
    for i, start in enumerate(range(0, n, BATCH)):
        out.append(_numpy(fn(min(BATCH, n - start), seed + i)))
    return np.concatenate(out)


def _decode(model, z):
    return np.concatenate(
        [_numpy(model.decode(z[i : i + BATCH])) for i in range(0, len(z), BATCH)]
    )


def _reconstruct(model, x):
    return np.concatenate(
        [_numpy(model.reconstruct(x[i : i + BATCH])) for i in range(0, len(x), BATCH)]
    )


def fitted_samplers(model, x, x_train=None):
    """The samplers of `sampler_fids`, fitted to `model.embed(x)`.

    With `x_train`, also the mixtures of SPEC section 2, fitted by EM to
    `model.embed(x_train)` (the training embeddings, as SPEC measured them):
    50 vMFs and 10 full-covariance Gaussians projected to the sphere.

    Returns:
        dict: name -> `(sampler, description)` for `"fitted_vmf"` (001,
        section 4.4: maximum likelihood), `"gaussian_projected"` and
        `"tangent_normal"` (SPEC section 2), and with `x_train`
        `"vmf_mixture"` and `"gaussian_mixture_projected"`.
    """
    from keras_hsvae.samplers import (
        FittedGaussianMixtureSampler,
        FittedGaussianSampler,
        FittedTangentNormalSampler,
        FittedVonMisesFisherMixtureSampler,
        FittedVonMisesFisherSampler,
    )

    samplers = {
        "fitted_vmf": (
            FittedVonMisesFisherSampler().fit_model(model, x),
            "vMF fitted to the test embeddings (001, 4.4; maximum likelihood)",
        ),
        "gaussian_projected": (
            FittedGaussianSampler(project_to_sphere=True).fit_model(model, x),
            "full-covariance Gaussian fitted to the test embeddings, "
            "projected to the sphere of their mean norm",
        ),
        "tangent_normal": (
            FittedTangentNormalSampler().fit_model(model, x),
            "Gaussian with the test embeddings' mean and covariance in the "
            "tangent space at their mean direction, exp-mapped to the sphere",
        ),
    }
    if x_train is not None:
        n = len(x_train)
        samplers["vmf_mixture"] = (
            FittedVonMisesFisherMixtureSampler(50).fit_model(model, x_train),
            f"mixture of 50 vMFs fitted by EM to {n} training embeddings "
            "(SPEC section 2)",
        )
        samplers["gaussian_mixture_projected"] = (
            FittedGaussianMixtureSampler(10, project_to_sphere=True).fit_model(
                model, x_train
            ),
            f"mixture of 10 full-covariance Gaussians fitted by EM to {n} "
            "training embeddings, projected to the sphere (SPEC section 2)",
        )
    return samplers


def sampler_fids(model, x_test, features, samplers, seed=0):
    """FID and self-FID of the prior and of each of `samplers`.

    Args:
        model: an `HSCVAE` or `BetaVAE` (anything with `embed`, `decode`,
            `reconstruct` and `sample_prior`).
        x_test: test images `(N, ...)`.
        features: callable `images -> (N, f)` features (FID extractor).
        samplers: dict name -> `(sampler, description)`, e.g.
            `fitted_samplers(model, x_test)` (the paper fits its vMF to the
            test set).
        seed: seed of the first batch of draws.

    Returns:
        dict: `"samplers"` maps `"prior"` and each name of `samplers` to
        `{"fid", "self_fid", "description"}`; `"fitted_vmf"` gives the
        fitted concentration and radius when `samplers` has one;
        `"num_generated"`, `"seed"`.
    """
    from keras_hsvae.evaluation import frechet_distance_from_features

    x_test = np.asarray(x_test, dtype="float32")
    n = len(x_test)
    test_features = features(x_test)
    recon_features = features(_reconstruct(model, x_test))
    prior = (
        lambda count, s: model.sample_prior(count, seed=s),
        "the model's prior",
    )
    report = {}
    for name, (sampler, description) in {"prior": prior, **samplers}.items():
        generated = features(_decode(model, _batched(sampler, n, seed)))
        report[name] = {
            "fid": frechet_distance_from_features(generated, test_features),
            "self_fid": frechet_distance_from_features(generated, recon_features),
            "description": description,
        }
    out = {"samplers": report, "num_generated": n, "seed": seed}
    if "fitted_vmf" in samplers:
        vmf = samplers["fitted_vmf"][0]
        out["fitted_vmf"] = {
            "concentration": float(vmf.concentration),
            "radius": float(vmf.sample_radius),
        }
    return out


def prior_fids(sae, vae, x_test, features, seed=0):
    """FID of decoded draws of four priors, SAE against a VAE (003, Table 1).

    For each prior the same raw draws (`SphericalPriorSampler.sample_raw`)
    are decoded three ways: by the SAE after centerization and spherization
    to its radius (Algorithm 1 of 003), by the VAE as they are, and by the
    VAE after centerization and spherization to radius sqrt(d).

    Args:
        sae: an `SAE`.
        vae: a VAE of the same latent size (e.g. a Gaussian `BetaVAE`).
        x_test: test images `(N, ...)`.
        features: callable `images -> (N, f)` features.
        seed: seed of the first batch of draws.

    Returns:
        dict: `"rows"` (one per prior: `"prior"`, `"sae"`, `"vae_raw"`,
        `"vae_spherized"`, each an FID against the test images), `"ratio"`
        (max / min FID over the priors for each column), `"floors"` (FID of
        the reconstructions), `"prior_parameters"`, `"num_generated"`.
    """
    from keras_hsvae.evaluation import frechet_distance_from_features
    from keras_hsvae.samplers import SphericalPriorSampler

    if sae.latent_dim != vae.latent_dim:
        raise ValueError(
            "The SAE and the VAE must have the same latent size. Received: "
            f"{sae.latent_dim} and {vae.latent_dim}"
        )
    x_test = np.asarray(x_test, dtype="float32")
    n, d = len(x_test), sae.latent_dim
    test_features = features(x_test)

    def fid(images):
        return frechet_distance_from_features(features(images), test_features)

    rows = []
    for prior in PRIORS:
        on_sae = SphericalPriorSampler(d, prior, radius=sae.radius)
        on_vae = SphericalPriorSampler(d, prior, radius=math.sqrt(d))
        raw = _batched(on_sae.sample_raw, n, seed)
        rows.append(
            {
                "prior": prior,
                "sae": fid(_decode(sae, _batched(on_sae, n, seed))),
                "vae_raw": fid(_decode(vae, raw)),
                "vae_spherized": fid(_decode(vae, _batched(on_vae, n, seed))),
            }
        )
    ratio = {
        key: max(r[key] for r in rows) / min(r[key] for r in rows)
        for key in ("sae", "vae_raw", "vae_spherized")
    }
    return {
        "rows": rows,
        "ratio": ratio,
        "floors": {
            "sae_reconstructions": fid(_reconstruct(sae, x_test)),
            "vae_reconstructions": fid(_reconstruct(vae, x_test)),
        },
        "prior_parameters": {p: SphericalPriorSampler.DISTRIBUTIONS[p] for p in PRIORS},
        "num_generated": n,
        "seed": seed,
    }
