"""HSC-VAE (001): baseline beta-VAE vs the compressed HSC-VAE over (n, beta).

For every latent size n and weight beta, trains a baseline beta-VAE
(`beta_vae`, N(0, I) prior, Gaussian KL) and the compressed HSC-VAE
(`hsc_vae`, `prior="compressed"`: every angle pushed to 0, z on the sphere
of radius sqrt(n)), both with the squared-error loss of 001 (sum over
pixels, mean over the batch) and the same encoder/decoder, on MNIST. On the
test split:

- MSE of reconstructions (sum over pixels, mean over images);
- FID of generated images: the HSC-VAE decodes draws from a vMF fitted to the
  test embeddings (001, section 4.4; `FittedVonMisesFisherSampler`), the
  baseline decodes prior draws. Two FIDs: the paper's "self-FID" (generated
  vs reconstructed test set) and the usual one (generated vs test images);
  features from the zoo's in-domain MNIST classifier, not Inception-v3.
  For the HSC-VAE both FIDs are also given for SPEC section 2's alternative
  sampler, a full-covariance Gaussian fitted to the test embeddings and
  projected to the sphere (`FittedGaussianSampler(project_to_sphere=True)`);
- k-NN accuracy (5-NN on `model.embed`, every training label; 001: 0.95
  standard vs 0.88 compressed at n = 128 on MNIST);
- replica angle: mean angle between each test latent and the mean test
  latent (pi/2: no island; well below: a compressed island).

Figures: the MSE-FID plane over (n, beta) (001 Fig. 2, `plot_mse_fid`;
self-FID and FID vs test), and at the largest (n, beta) originals,
reconstructions and samples of both models (the HSC-VAE's from the fitted
vMF), plus HSC-VAE samples from the projected Gaussian.

The paper trains ResNets for 300 epochs with a sqrt(epoch) beta stage over
the first 100 (`--beta-schedule sqrt_down` / `sqrt_up`, from beta to
`--beta-start`); the default here keeps beta constant, since the paper does
not give the schedule's other end.

    KERAS_BACKEND=tensorflow python experiments/hsc_vae.py --reduced
"""

import _common

CLAIM = "hsc_vae"
REDUCED = {
    "dims": [16, 128],
    "betas": [0.2, 1.0],
    "epochs": 5,
    "train_examples": 10000,
    "test_examples": 2000,
}
MODELS = {"baseline": "beta_vae", "compressed": "hsc_vae"}


def main(argv=None):
    parser = _common.make_parser(__doc__.splitlines()[0], REDUCED)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--dims", type=int, nargs="+", default=[32, 64, 128, 256])
    parser.add_argument("--betas", type=float, nargs="+", default=[0.09, 0.2, 1.0])
    parser.add_argument("--encoder", default="mlp", choices=("mlp", "conv"))
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--beta-schedule", default=None)
    parser.add_argument("--beta-start", type=float, default=0.0)
    parser.add_argument("--train-examples", type=int, default=None)
    parser.add_argument("--test-examples", type=int, default=None)
    args = _common.parse(parser, REDUCED, argv)
    timer = _common.Timer()

    from keras_hsvae.evaluation import evaluate_model
    from keras_hsvae.plots import plot_mse_fid, plot_reconstructions, plot_samples
    from keras_hsvae.samplers import (
        FittedGaussianSampler,
        FittedVonMisesFisherSampler,
    )
    from keras_hsvae.training import train

    x_train, y_train = _common.load(
        args.dataset, "train", args, args.train_examples, with_labels=True
    )
    x_test, y_test = _common.load(
        args.dataset, "test", args, args.test_examples, with_labels=True
    )
    rows, sample_figures = [], {}
    for n in args.dims:
        for beta in args.betas:
            for prior, name in MODELS.items():
                print(f"== {prior} n={n} beta={beta}", flush=True)
                kwargs = {"prior": "compressed"} if name == "hsc_vae" else {}
                model, _ = train(
                    name,
                    args.dataset,
                    latent_dim=n,
                    epochs=args.epochs,
                    batch_size=args.batch_size,
                    beta=beta,
                    beta_schedule=args.beta_schedule,
                    beta_start=args.beta_start,
                    encoder=args.encoder,
                    likelihood="gaussian",
                    output_dir=_common.run_dir(CLAIM, args, f"{name}_{n}_{beta:g}"),
                    seed=args.seed,
                    data_dir=args.data_dir,
                    verbose=args.verbose,
                    max_train_examples=args.train_examples,
                    **kwargs,
                )
                sampler = "prior N(0, I)"
                if name == "hsc_vae":
                    model.sampler = FittedVonMisesFisherSampler().fit_model(
                        model, x_test
                    )
                    sampler = (
                        "vMF fitted to the test embeddings "
                        f"(kappa={model.sampler.concentration:.4g}, "
                        f"radius={model.sampler.sample_radius:.4g})"
                    )
                report = evaluate_model(
                    model,
                    x_test,
                    y_test,
                    x_train,
                    y_train,
                    metrics=("mse", "fid", "knn", "replica_angle"),
                    feature_extractor=f"classifier:{args.dataset}",
                    dataset=args.dataset,
                    seed=args.seed,
                    knn_label_budgets=(),
                )
                row = {
                    "prior": prior,
                    "latent_dim": n,
                    "beta": beta,
                    "sampler": sampler,
                    "mse": report["mse"],
                    "self_fid": report["fid"]["self_fid"],
                    "fid_vs_test": report["fid"]["samples"],
                    "fid_reconstructions": report["fid"]["reconstructions"],
                    "knn_all_labels": report["knn"]["all_labels"],
                    "replica_angle": report["replica_angle"],
                    "feature_extractor": report["fid"]["feature_extractor"],
                }
                if name == "hsc_vae":
                    # SPEC section 2's alternative: a full-covariance Gaussian
                    # fitted to the test embeddings, projected to the sphere.
                    gaussian = FittedGaussianSampler(project_to_sphere=True)
                    model.sampler = gaussian.fit_model(model, x_test)
                    fid = evaluate_model(
                        model,
                        x_test,
                        metrics=("fid",),
                        feature_extractor=f"classifier:{args.dataset}",
                        dataset=args.dataset,
                        seed=args.seed,
                    )["fid"]
                    row["self_fid_gaussian"] = fid["self_fid"]
                    row["fid_vs_test_gaussian"] = fid["samples"]
                    model.sampler = FittedVonMisesFisherSampler().fit_model(
                        model, x_test
                    )
                print(row, flush=True)
                rows.append(row)
                if n == max(args.dims) and beta == max(args.betas):
                    path = _common.figure_path(CLAIM, args, f"samples_{prior}_n{n}")
                    plot_reconstructions(model, x_test, n=16, seed=args.seed, path=path)
                    sample_figures[prior] = _common.relative(path)
                    if name == "hsc_vae":
                        path = _common.figure_path(
                            CLAIM, args, f"samples_{prior}_gaussian_n{n}"
                        )
                        plot_samples(
                            model, n=64, seed=args.seed, sampler=gaussian, path=path
                        )
                        sample_figures[f"{prior}_gaussian"] = _common.relative(path)

    plane = _common.figure_path(CLAIM, args, "mse_fid")
    plot_mse_fid([{**r, "fid": r["self_fid"]} for r in rows], path=plane)
    plane_test = _common.figure_path(CLAIM, args, "mse_fid_vs_test")
    plot_mse_fid([{**r, "fid": r["fid_vs_test"]} for r in rows], path=plane_test)
    _common.write_result(
        CLAIM,
        args,
        {
            "dataset": args.dataset,
            "train_examples": len(x_train),
            "test_examples": len(x_test),
            "knn": "5-NN, euclidean, on model.embed, all training labels",
            "rows": rows,
            "figures": {
                "mse_fid_self": _common.relative(plane),
                "mse_fid_vs_test": _common.relative(plane_test),
                **{f"samples_{k}": v for k, v in sample_figures.items()},
            },
        },
        timer,
    )


if __name__ == "__main__":
    main()
