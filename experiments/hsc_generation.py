"""Why does fitted-vMF generation of a compressed HSC-VAE lose to a fitted Gaussian?

The HSC-VAE paper (001, section 4.4) generates from a compressed model by
decoding draws of a von Mises-Fisher distribution "with the same mean and
covariance" as the test embeddings, and finds it far better than decoding
prior draws of a standard VAE. Our reduced runs (docs/RESULTS.md section 4)
found the fitted vMF far worse than a full-covariance Gaussian fitted to the
same embeddings and projected to the sphere (self-FID 156-165 vs 24-39 at
n = 128). This script trains one baseline beta-VAE and one compressed HSC-VAE
(MNIST, MLP, n = 128, squared-error loss) and tests each candidate cause on
the compressed model, one at a time, by the self-FID (001: decoded samples
vs reconstructed test set; in-domain MNIST classifier features) of 10,000
samples from:

- `prior`: the model's own prior draws (uniform on the sphere of radius
  sqrt(n) for the HSC-VAE, N(0, I) for the baseline);
- `vmf`: the vMF fitted by maximum likelihood (`FittedVonMisesFisherSampler`:
  mean direction, concentration from the mean resultant length, mean norm);
- `vmf_kappa_x{0.25,4,16}`: the same with the concentration scaled
  (is the fitted concentration wrong?);
- `vmf_radius_data`: radius drawn from the embedding norms (is the radius?);
- `gaussian_projected`: full-covariance Gaussian fitted to the embeddings,
  projected to the sphere (`FittedGaussianSampler(project_to_sphere=True)`);
- `tangent_normal`: `FittedTangentNormalSampler`, a Gaussian with the
  embeddings' mean and covariance in the tangent space at the fitted mean
  direction, mapped to the sphere by the exponential map (a "vMF with the
  data's covariance");
- `tangent_isotropic`: the same with the tangent covariance replaced by an
  isotropic one of the same trace: the data's total angular spread, spread
  evenly over all n - 1 tangent directions as a vMF does (is it the shape,
  not the size, of the spread?).

Diagnostics of the embeddings: norm (mean, std), mean resultant length R,
fitted kappa, angle to the mean direction (data vs vMF draws), and the
participation ratio `(sum l)^2 / sum l^2` of the eigenvalues `l` of the
tangent covariance (n - 1 for an isotropic spread, ~1 for a single
direction).

    KERAS_BACKEND=jax python experiments/hsc_generation.py --reduced
    KERAS_BACKEND=jax python experiments/hsc_generation.py --epochs 30
"""

import _common

CLAIM = "hsc_generation"
REDUCED = {"epochs": 5, "train_examples": 10000, "test_examples": 2000}


def tangent_statistics(z, mu):
    """Angles to `mu` of the rows of `z`, and the covariance of their log map."""
    import numpy as np

    from keras_hsvae.samplers.tangent import log_map

    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    theta = np.arccos(np.clip(u @ mu, -1.0, 1.0))
    return theta, np.cov(log_map(u, mu), rowvar=False)


def participation_ratio(eigenvalues):
    """`(sum l)^2 / sum l^2`: the number of directions the spread fills."""
    import numpy as np

    eigenvalues = np.clip(eigenvalues, 0.0, None)
    return float(eigenvalues.sum() ** 2 / np.sum(eigenvalues**2))


def main(argv=None):
    parser = _common.make_parser(__doc__.splitlines()[0], REDUCED)
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--train-examples", type=int, default=None)
    parser.add_argument("--test-examples", type=int, default=None)
    args = _common.parse(parser, REDUCED, argv)
    timer = _common.Timer()

    import keras
    import numpy as np

    from keras_hsvae.evaluation import (
        frechet_distance_from_features,
        get_feature_extractor,
    )
    from keras_hsvae.samplers import (
        FittedGaussianSampler,
        FittedTangentNormalSampler,
        FittedVonMisesFisherSampler,
    )
    from keras_hsvae.training import train

    x_test, _ = _common.load("mnist", "test", args, args.test_examples, True)
    features = get_feature_extractor("classifier:mnist")
    n = args.latent_dim
    rng = np.random.default_rng(args.seed)

    def decode(z):
        out = [
            keras.ops.convert_to_numpy(model.decode(z[i : i + 500]))
            for i in range(0, len(z), 500)
        ]
        return np.concatenate(out)

    def fid_of(z):
        return frechet_distance_from_features(features(decode(z)), recon_features)

    models, rows = {}, []
    for prior, name in (("baseline", "beta_vae"), ("compressed", "hsc_vae")):
        print(f"== {prior}", flush=True)
        model, _ = train(
            name,
            "mnist",
            latent_dim=n,
            epochs=args.epochs,
            batch_size=args.batch_size,
            beta=args.beta,
            encoder="mlp",
            likelihood="gaussian",
            output_dir=_common.run_dir(CLAIM, args, prior),
            seed=args.seed,
            data_dir=args.data_dir,
            verbose=args.verbose,
            max_train_examples=args.train_examples,
            **({"prior": "compressed"} if name == "hsc_vae" else {}),
        )
        models[prior] = model
        recon = np.concatenate(
            [
                keras.ops.convert_to_numpy(model.reconstruct(x_test[i : i + 500]))
                for i in range(0, len(x_test), 500)
            ]
        )
        recon_features = features(recon)
        z = np.concatenate(
            [
                keras.ops.convert_to_numpy(model.embed(x_test[i : i + 500]))
                for i in range(0, len(x_test), 500)
            ]
        ).astype("float64")
        num = len(z)
        norms = np.linalg.norm(z, axis=1)
        vmf = FittedVonMisesFisherSampler().fit(z)
        mu, kappa, radius = vmf.mean_direction, vmf.concentration, vmf.sample_radius
        theta, cov = tangent_statistics(z, mu)
        eigenvalues = np.linalg.eigvalsh(cov)
        vmf_z = keras.ops.convert_to_numpy(vmf(num, seed=args.seed)).astype("float64")
        vmf_theta, vmf_cov = tangent_statistics(vmf_z, mu)
        diagnostics = {
            "norm_mean": float(norms.mean()),
            "norm_std": float(norms.std()),
            "mean_resultant_length": float(
                np.linalg.norm((z / norms[:, None]).mean(axis=0))
            ),
            "kappa": float(kappa),
            "sampler_radius": float(radius),
            "angle_to_mean_data": [float(theta.mean()), float(theta.std())],
            "angle_to_mean_vmf": [float(vmf_theta.mean()), float(vmf_theta.std())],
            "tangent_trace_data": float(np.trace(cov)),
            "tangent_trace_vmf": float(np.trace(vmf_cov)),
            "participation_ratio_data": participation_ratio(eigenvalues),
            "participation_ratio_vmf": participation_ratio(np.linalg.eigvalsh(vmf_cov)),
            "top10_eigenvalue_share_data": float(
                np.sort(eigenvalues)[::-1][:10].sum() / eigenvalues.sum()
            ),
        }
        print(prior, diagnostics, flush=True)
        fids = {"prior": fid_of(keras.ops.convert_to_numpy(model.sample_prior(num)))}
        fids["vmf"] = fid_of(vmf_z)
        for factor in (0.25, 4.0, 16.0):
            scaled = FittedVonMisesFisherSampler()
            scaled._set_fit(mu.tolist(), kappa * factor, radius)
            draws = keras.ops.convert_to_numpy(scaled(num, seed=args.seed))
            fids[f"vmf_kappa_x{factor:g}"] = fid_of(draws)
        radii = rng.choice(norms, size=num)[:, None]
        fids["vmf_radius_data"] = fid_of(vmf_z / radius * radii)
        gaussian = FittedGaussianSampler(project_to_sphere=True).fit(z)
        fids["gaussian_projected"] = fid_of(
            keras.ops.convert_to_numpy(gaussian(num, seed=args.seed))
        )
        tangent = FittedTangentNormalSampler().fit(z)
        fids["tangent_normal"] = fid_of(
            keras.ops.convert_to_numpy(tangent(num, seed=args.seed))
        )
        # The same total angular spread, spread evenly over the n - 1
        # tangent directions (the vMF's shape).
        isotropic = FittedTangentNormalSampler()
        isotropic._set_fit(
            mu.tolist(),
            tangent.tangent_mean.tolist(),
            ((np.eye(n) - np.outer(mu, mu)) * np.trace(cov) / (n - 1)).tolist(),
            radius,
        )
        fids["tangent_isotropic"] = fid_of(
            keras.ops.convert_to_numpy(isotropic(num, seed=args.seed))
        )
        print(prior, fids, flush=True)
        rows.append(
            {
                "prior": prior,
                "latent_dim": n,
                "beta": args.beta,
                "diagnostics": diagnostics,
                "self_fid": fids,
            }
        )
    _common.write_result(
        CLAIM,
        args,
        {
            "dataset": "mnist",
            "test_examples": len(x_test),
            "feature_extractor": "classifier:mnist",
            "rows": rows,
        },
        timer,
    )


if __name__ == "__main__":
    main()
