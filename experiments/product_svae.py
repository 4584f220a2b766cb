"""Product S-VAE (004) Table 1: shells vs a single vMF of the same ambient size.

Trains, on statically binarized MNIST with the MLP 784-256-128 and a
Bernoulli decoder, a single-shell S-VAE (`svae`, one vMF on S^{m-1}) and
product S-VAEs (`product_svae`) whose shells split the same ambient size m
(41 in the paper's "fixed ambient space" table). The KL weight is warmed up
linearly from 0 to 1 (the paper: 100 of 300 epochs). Reported on the test
split: ELBO (one posterior draw), importance-sampled log-likelihood (K = 500
in the paper), and for the products the per-shell KL and concentration (a
shell with KL ~ 0 is ignored by the model, 004 appendix B).

The paper also uses early stopping (look-ahead 50) and averages 3 seeds;
this script trains a fixed number of epochs with one seed.

    KERAS_BACKEND=tensorflow python experiments/product_svae.py --reduced
"""

import _common

CLAIM = "product_svae"
REDUCED = {
    "epochs": 15,
    "warmup_epochs": 5,
    "train_examples": 10000,
    "test_examples": 1000,
    "importance_samples": 50,
}
# Compositions of the ambient size 41 (004: 2, 4, 6, 10 and 40 breaks).
COMPOSITIONS = {
    "single [41]": [41],
    "2 shells [20, 21]": [20, 21],
    "4 shells [10, 10, 10, 11]": [10, 10, 10, 11],
}


def main(argv=None):
    parser = _common.make_parser(__doc__.splitlines()[0], REDUCED)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--warmup-epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--train-examples", type=int, default=None)
    parser.add_argument("--test-examples", type=int, default=None)
    parser.add_argument("--importance-samples", type=int, default=500)
    args = _common.parse(parser, REDUCED, argv)
    timer = _common.Timer()

    from keras_hsvae.evaluation import evaluate_model
    from keras_hsvae.training import train

    x_test = _common.load("binarized_mnist", "test", args, args.test_examples)
    rows = []
    for label, shells in COMPOSITIONS.items():
        name = "svae" if len(shells) == 1 else "product_svae"
        kwargs = {} if len(shells) == 1 else {"shell_dims": shells}
        print(f"== {label}", flush=True)
        model, _ = train(
            name,
            "binarized_mnist",
            latent_dim=sum(shells),
            epochs=args.epochs,
            batch_size=args.batch_size,
            beta=1.0,
            beta_schedule="linear",
            beta_start=0.0,
            beta_schedule_epochs=args.warmup_epochs,
            output_dir=_common.run_dir(CLAIM, args, "_".join(map(str, shells))),
            seed=args.seed,
            data_dir=args.data_dir,
            verbose=args.verbose,
            max_train_examples=args.train_examples,
            **kwargs,
        )
        metrics = ("elbo", "log_likelihood")
        if len(shells) > 1:
            metrics += ("shells",)
        report = evaluate_model(
            model,
            x_test,
            metrics=metrics,
            num_importance_samples=args.importance_samples,
            seed=args.seed,
        )
        row = {
            "composition": label,
            "shell_dims": shells,
            "elbo": report["elbo"],
            "log_likelihood": report["log_likelihood"]["value"],
        }
        if "shells" in report:
            row["shells"] = report["shells"]
        print(row, flush=True)
        rows.append(row)
    _common.write_result(
        CLAIM,
        args,
        {
            "train_data": "binarized_mnist (static, Larochelle) train split",
            "test_examples": len(x_test),
            "rows": rows,
        },
        timer,
    )


if __name__ == "__main__":
    main()
