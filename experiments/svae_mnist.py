"""S-VAE (002) Tables 1 and 2: N-VAE vs S-VAE on binarized MNIST.

For every latent size d, trains a Gaussian VAE (N-VAE: `beta_vae`) and a vMF
VAE with a uniform prior (S-VAE: `svae`), both with the paper's MLP
(784-256-128, ReLU) and a Bernoulli decoder, on the statically binarized
MNIST of Larochelle (`binarized_mnist`, the only binarization with a fixed
test set). Reported on its test split (Table 1): the ELBO with its
reconstruction and KL terms (one posterior draw per example) and the
importance-sampled log-likelihood (K samples; 500 in the paper).

Latent sizes follow the paper's convention (SPEC section 3): its `d` is the
manifold dimension. The N-VAE row d has latents in R^d (`latent_dim=d`); the
S-VAE row d has latents on the sphere S^d in R^(d+1), i.e. a vMF of ambient
size m = d + 1 (`latent_dim=d + 1`), as in the authors' code (`z_dim + 1`).
Each row records both `ambient_dim` and `manifold_dim`.

Table 2 needs labels, which `binarized_mnist` does not have: the same models
embed MNIST binarized once with pixel probabilities equal to the grey levels
(`dynamic_binarized_mnist`, the first draw for the seed), and a 5-NN
classifier on the latent means (`model.embed`: the Gaussian mean, the vMF
mean direction) is scored with 100 / 600 / 1000 class-balanced labels drawn
from the MNIST training split (mean and std over draws; 20 in the paper).

The paper trains on dynamically binarized MNIST with early stopping; here
`train` sees one fixed binarization (static), for a fixed number of epochs.

    KERAS_BACKEND=tensorflow python experiments/svae_mnist.py --reduced
"""

import _common

CLAIM = "svae_mnist"
REDUCED = {
    "dims": [2, 5, 10, 20, 40],
    "epochs": 15,
    "train_examples": 10000,
    "test_examples": 1000,
    "importance_samples": 50,
    "knn_test_examples": 2000,
    "knn_draws": 5,
}
MODELS = {"N-VAE": "beta_vae", "S-VAE": "svae"}


def ambient_dim(name, d):
    """Latent size for the paper's row `d`: R^d (N-VAE) or S^d in R^(d+1)."""
    return d + 1 if name == "svae" else d


def main(argv=None):
    parser = _common.make_parser(__doc__.splitlines()[0], REDUCED)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 5, 10, 20, 40])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--train-examples", type=int, default=None)
    parser.add_argument("--test-examples", type=int, default=None)
    parser.add_argument("--importance-samples", type=int, default=500)
    parser.add_argument("--knn-test-examples", type=int, default=None)
    parser.add_argument("--knn-draws", type=int, default=20)
    args = _common.parse(parser, REDUCED, argv)
    timer = _common.Timer()

    from keras_hsvae.evaluation import evaluate_model
    from keras_hsvae.training import train

    x_test = _common.load("binarized_mnist", "test", args, args.test_examples)
    x_lab, y_lab = _common.load(
        "dynamic_binarized_mnist", "train", args, with_labels=True
    )
    x_lab_test, y_lab_test = _common.load(
        "dynamic_binarized_mnist",
        "test",
        args,
        args.knn_test_examples,
        with_labels=True,
    )
    rows = []
    for d in args.dims:
        for label, name in MODELS.items():
            print(f"== {label} d={d}", flush=True)
            model, _ = train(
                name,
                "binarized_mnist",
                latent_dim=ambient_dim(name, d),
                epochs=args.epochs,
                batch_size=args.batch_size,
                output_dir=_common.run_dir(CLAIM, args, f"{name}_{d}"),
                seed=args.seed,
                data_dir=args.data_dir,
                verbose=args.verbose,
                max_train_examples=args.train_examples,
            )
            likelihood = evaluate_model(
                model,
                x_test,
                metrics=("elbo", "log_likelihood"),
                num_importance_samples=args.importance_samples,
                seed=args.seed,
            )
            knn = evaluate_model(
                model,
                x_lab_test,
                y_lab_test,
                x_lab,
                y_lab,
                metrics=("knn",),
                seed=args.seed,
                knn_num_draws=args.knn_draws,
            )["knn"]
            knn.pop("all_labels", None)
            row = {
                "model": label,
                "latent_dim": d,
                "manifold_dim": d,
                "ambient_dim": ambient_dim(name, d),
                "elbo": likelihood["elbo"],
                "log_likelihood": likelihood["log_likelihood"]["value"],
                "knn": knn,
            }
            print(row, flush=True)
            rows.append(row)
    _common.write_result(
        CLAIM,
        args,
        {
            "train_data": "binarized_mnist (static, Larochelle) train split",
            "test_examples": len(x_test),
            "knn_data": "MNIST binarized once (dynamic_binarized_mnist, first "
            f"draw, seed {args.seed}); labels drawn from the 60000 training "
            f"images, scored on {len(x_lab_test)} test images",
            "rows": rows,
        },
        timer,
    )


if __name__ == "__main__":
    main()
