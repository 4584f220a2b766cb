"""SAE (003): FID of decoded samples barely depends on the sampling prior.

Trains a Spherical Auto-Encoder (`sae`: centerized, spherized latent,
L2-norm loss) and a Gaussian VAE (`beta_vae`, Gaussian likelihood) of the
same latent size with the same MLP on Fashion-MNIST, then decodes latent
draws from four priors (003, Table 1 and Fig. 5): normal N(0, 1), uniform
U[0, 1), Poisson(1) and chi-squared(1):

- SAE: Algorithm 1 of 003, draw then centerize and spherize to the SAE's
  radius (`SphericalPriorSampler`);
- VAE, raw: the same raw draws decoded as they are;
- VAE, centerized + spherized: the draws centerized and spherized to radius
  sqrt(d) (where N(0, I) draws concentrate), the paper's correction applied
  to a model trained with a normal prior, as its Table 1 does for StyleGAN.

FID: Frechet distance between features of generated images and of the test
images, features from the in-domain classifier of the zoo
(`ClassifierFeatures.from_zoo(dataset)`, penultimate layer), not
Inception-v3: values are not comparable with the paper's (FFHQ faces,
Inception FID). Data FID (train vs test images) and reconstruction FID are
reported as floors.

    KERAS_BACKEND=tensorflow python experiments/sae_priors.py --reduced
"""

import math

import _common

CLAIM = "sae_priors"
REDUCED = {
    "epochs": 5,
    "train_examples": 10000,
    "test_examples": 5000,
    "latent_dim": 16,
}
PRIORS = ("normal", "uniform", "poisson", "chi2")


def main(argv=None):
    parser = _common.make_parser(__doc__.splitlines()[0], REDUCED)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--encoder", default="mlp", choices=("mlp", "conv"))
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--train-examples", type=int, default=None)
    parser.add_argument("--test-examples", type=int, default=None)
    args = _common.parse(parser, REDUCED, argv)
    timer = _common.Timer()

    import numpy as np
    from keras import ops

    from keras_hsvae.evaluation import (
        ClassifierFeatures,
        frechet_distance_from_features,
    )
    from keras_hsvae.plots import plot_image_grid
    from keras_hsvae.samplers import SphericalPriorSampler
    from keras_hsvae.training import train

    x_train = _common.load(args.dataset, "train", args, args.train_examples)
    x_test = _common.load(args.dataset, "test", args, args.test_examples)
    n = len(x_test)
    features = ClassifierFeatures.from_zoo(args.dataset)
    test_features = features(x_test)

    def fid(images):
        return frechet_distance_from_features(features(images), test_features)

    def numpy(t):
        return np.asarray(ops.convert_to_numpy(t))

    trained = {}
    for name in ("sae", "beta_vae"):
        print(f"== {name}", flush=True)
        trained[name], _ = train(
            name,
            args.dataset,
            latent_dim=args.latent_dim,
            epochs=args.epochs,
            batch_size=args.batch_size,
            encoder=args.encoder,
            output_dir=_common.run_dir(CLAIM, args, name),
            seed=args.seed,
            data_dir=args.data_dir,
            verbose=args.verbose,
            max_train_examples=args.train_examples,
        )
    sae, vae = trained["sae"], trained["beta_vae"]
    d = args.latent_dim
    rows, grids = [], {}
    for prior in PRIORS:
        sae_sampler = SphericalPriorSampler(d, prior, radius=sae.radius)
        raw = numpy(sae_sampler.sample_raw(n, seed=args.seed))
        vae_sampler = SphericalPriorSampler(d, prior, radius=math.sqrt(d))
        images = {
            "sae": numpy(sae.generate(n, seed=args.seed, sampler=sae_sampler)),
            "vae_raw": numpy(vae.decode(raw)),
            "vae_spherized": numpy(
                vae.generate(n, seed=args.seed, sampler=vae_sampler)
            ),
        }
        row = {"prior": prior, **{k: fid(v) for k, v in images.items()}}
        print(row, flush=True)
        rows.append(row)
        for key, value in images.items():
            grids[(key, prior)] = value[:16]

    floors = {
        "data_train_vs_test": fid(x_train[:n]),
        "sae_reconstructions": fid(numpy(sae.reconstruct(x_test))),
        "vae_reconstructions": fid(numpy(vae.reconstruct(x_test))),
    }
    figure = _common.figure_path(CLAIM, args, "samples")
    # Rows: (model, prior); 16 samples each.
    order = [(k, p) for k in ("sae", "vae_raw", "vae_spherized") for p in PRIORS]
    plot_image_grid(
        np.concatenate([grids[key] for key in order]),
        cols=16,
        title="rows: SAE (normal, uniform, poisson, chi2), VAE raw (same), "
        "VAE centerized+spherized (same)",
        path=figure,
        figsize=(10, 8),
    )
    _common.write_result(
        CLAIM,
        args,
        {
            "dataset": args.dataset,
            "latent_dim": d,
            "test_examples": n,
            "num_generated": n,
            "prior_parameters": {
                p: SphericalPriorSampler.DISTRIBUTIONS[p] for p in PRIORS
            },
            "feature_extractor": features.describe(),
            "rows": rows,
            "floors": floors,
            "figures": {"samples": _common.relative(figure)},
        },
        timer,
    )


if __name__ == "__main__":
    main()
