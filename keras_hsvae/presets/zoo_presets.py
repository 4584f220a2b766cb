"""Built-in presets trained by the zoo runs (generated data).

Written by `python zoo/publish.py --index` from the preset folders
`zoo/<name>/` (metadata.json, evaluation.json); do not edit by hand.
Entries as in `svae_presets.py`.
"""

zoo_presets = {
    "betavae_fashion_mnist_n128": {
        "model": "BetaVAE",
        "description": (
            "BetaVAE on R^128, MLP 784-256-128, Fashion-MNIST grey levels "
            "(100 epochs); 003 (SAE) comparison VAE: Gaussian VAE (N(0, I) "
            "prior, MSE), Fashion-MNIST grey levels, n = 128. Test MSE 16.27, "
            "5-NN accuracy 0.792."
        ),
        "params": 517905,
        "dataset": "fashion_mnist",
        "path": "zoo/betavae_fashion_mnist_n128",
    },
    "betavae_mnist_n128": {
        "model": "BetaVAE",
        "description": (
            "BetaVAE on R^128, MLP 784-256-128, MNIST grey levels (300 "
            "epochs); 001 (HSC-VAE) baseline: standard beta-VAE, MNIST grey "
            "levels, n = 128, MSE. Test MSE 21.56, 5-NN accuracy 0.927."
        ),
        "params": 517905,
        "dataset": "mnist",
        "path": "zoo/betavae_mnist_n128",
    },
    "hscvae_mnist_n128": {
        "model": "HSCVAE",
        "description": (
            "HSCVAE on sphere of radius sqrt(128) in R^128, MLP 784-256-128, "
            "MNIST grey levels (300 epochs); 001 (HSC-VAE) compressed model "
            "(every angle pushed to the north pole), MNIST grey levels, n = "
            "128, MSE, sqrt(epoch) beta stage over the first 100 of 300 "
            "epochs. Test MSE 7.34, 5-NN accuracy 0.973."
        ),
        "params": 517905,
        "dataset": "mnist",
        "path": "zoo/hscvae_mnist_n128",
    },
    "nvae_mnist_d10": {
        "model": "BetaVAE",
        "description": (
            "BetaVAE on R^10, MLP 784-256-128, dynamically binarized MNIST "
            "(368 epochs); 002 Table 1, N-VAE d = 10 (latents in R^10). Test "
            "LL -92.96 (K = 500)."
        ),
        "params": 472357,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/nvae_mnist_d10",
    },
    "nvae_mnist_d2": {
        "model": "BetaVAE",
        "description": (
            "BetaVAE on R^2, MLP 784-256-128, dynamically binarized MNIST "
            "(340 epochs); 002 Table 1, N-VAE d = 2 (latents in R^2). Test LL "
            "-133.17 (K = 500)."
        ),
        "params": 469269,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/nvae_mnist_d2",
    },
    "nvae_mnist_d20": {
        "model": "BetaVAE",
        "description": (
            "BetaVAE on R^20, MLP 784-256-128, dynamically binarized MNIST "
            "(297 epochs); 002 Table 1, N-VAE d = 20 (latents in R^20). Test "
            "LL -89.60 (K = 500)."
        ),
        "params": 476217,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/nvae_mnist_d20",
    },
    "nvae_mnist_d40": {
        "model": "BetaVAE",
        "description": (
            "BetaVAE on R^40, MLP 784-256-128, dynamically binarized MNIST "
            "(376 epochs); 002 Table 1, N-VAE d = 40 (latents in R^40). Test "
            "LL -89.66 (K = 500)."
        ),
        "params": 483937,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/nvae_mnist_d40",
    },
    "nvae_mnist_d5": {
        "model": "BetaVAE",
        "description": (
            "BetaVAE on R^5, MLP 784-256-128, dynamically binarized MNIST "
            "(297 epochs); 002 Table 1, N-VAE d = 5 (latents in R^5). Test LL "
            "-108.24 (K = 500)."
        ),
        "params": 470427,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/nvae_mnist_d5",
    },
    "product_mnist_10_10_10_11": {
        "model": "ProductSVAE",
        "description": (
            "ProductSVAE on product of 4 vMF shells S^9 x S^9 x S^9 x S^10, "
            "MLP 784-256-128, statically binarized MNIST (219 epochs); 004 "
            "fixed ambient space 41, shells [10, 10, 10, 11]. Test LL -92.22 "
            "(K = 500)."
        ),
        "params": 479554,
        "dataset": "binarized_mnist",
        "path": "zoo/product_mnist_10_10_10_11",
    },
    "product_mnist_20_21": {
        "model": "ProductSVAE",
        "description": (
            "ProductSVAE on product of 2 vMF shells S^19 x S^20, MLP "
            "784-256-128, statically binarized MNIST (166 epochs); 004 fixed "
            "ambient space 41, shells [20, 21]. Test LL -93.36 (K = 500)."
        ),
        "params": 479294,
        "dataset": "binarized_mnist",
        "path": "zoo/product_mnist_20_21",
    },
    "product_mnist_41": {
        "model": "ProductSVAE",
        "description": (
            "ProductSVAE on product of 1 vMF shells S^40, MLP 784-256-128, "
            "statically binarized MNIST (300 epochs); 004 fixed ambient space "
            "41, shells [41]. Test LL -94.03 (K = 500)."
        ),
        "params": 479164,
        "dataset": "binarized_mnist",
        "path": "zoo/product_mnist_41",
    },
    "sae_fashion_mnist_n128": {
        "model": "SAE",
        "description": (
            "SAE on unit sphere S^127 in R^128, centerized, MLP 784-256-128, "
            "Fashion-MNIST grey levels (100 epochs); 003 (SAE) prior-robust "
            "sampling, Fashion-MNIST grey levels, latent S^127 (unit sphere "
            "in R^128). Test MSE 4.72, 5-NN accuracy 0.871, FID max / min "
            "over 4 priors 1.013 (VAE fed raw draws 3.288)."
        ),
        "params": 501392,
        "dataset": "fashion_mnist",
        "path": "zoo/sae_fashion_mnist_n128",
    },
    "sae_mnist_n128": {
        "model": "SAE",
        "description": (
            "SAE on unit sphere S^127 in R^128, centerized, MLP 784-256-128, "
            "MNIST grey levels (100 epochs); 003 (SAE) prior-robust sampling, "
            "MNIST grey levels, latent S^127 (unit sphere in R^128). Test MSE "
            "3.89, 5-NN accuracy 0.968, FID max / min over 4 priors 1.011 "
            "(VAE fed raw draws 4.174)."
        ),
        "params": 501392,
        "dataset": "mnist",
        "path": "zoo/sae_mnist_n128",
    },
    "svae_mnist_d10": {
        "model": "SVAE",
        "description": (
            "SVAE on S^10 in R^11, MLP 784-256-128, dynamically binarized "
            "MNIST (425 epochs); 002 Table 1, S-VAE d = 10 (latents on S^10 "
            "in R^11). Test LL -93.14 (K = 500)."
        ),
        "params": 471453,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/svae_mnist_d10",
    },
    "svae_mnist_d2": {
        "model": "SVAE",
        "description": (
            "SVAE on S^2 in R^3, MLP 784-256-128, dynamically binarized MNIST "
            "(239 epochs); 002 Table 1, S-VAE d = 2 (latents on S^2 in R^3). "
            "Test LL -131.92 (K = 500)."
        ),
        "params": 469397,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/svae_mnist_d2",
    },
    "svae_mnist_d20": {
        "model": "SVAE",
        "description": (
            "SVAE on S^20 in R^21, MLP 784-256-128, dynamically binarized "
            "MNIST (720 epochs); 002 Table 1, S-VAE d = 20 (latents on S^20 "
            "in R^21). Test LL -90.32 (K = 500)."
        ),
        "params": 474023,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/svae_mnist_d20",
    },
    "svae_mnist_d40": {
        "model": "SVAE",
        "description": (
            "SVAE on S^40 in R^41, MLP 784-256-128, dynamically binarized "
            "MNIST (720 epochs); 002 Table 1, S-VAE d = 40 (latents on S^40 "
            "in R^41). Test LL -92.84 (K = 500)."
        ),
        "params": 479163,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/svae_mnist_d40",
    },
    "svae_mnist_d5": {
        "model": "SVAE",
        "description": (
            "SVAE on S^5 in R^6, MLP 784-256-128, dynamically binarized MNIST "
            "(311 epochs); 002 Table 1, S-VAE d = 5 (latents on S^5 in R^6). "
            "Test LL -107.30 (K = 500)."
        ),
        "params": 470168,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/svae_mnist_d5",
    },
}
