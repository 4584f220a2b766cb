"""Built-in presets trained by the zoo runs (generated data).

Written by `python zoo/publish.py --index` from the preset folders
`zoo/<name>/` (metadata.json, evaluation.json); do not edit by hand.
Entries as in `svae_presets.py`.
"""

zoo_presets = {
    "svae_mnist_d10": {
        "model": "SVAE",
        "description": (
            "SVAE on S^10 in R^11, MLP 784-256-128, dynamically binarized "
            "MNIST (interim, epoch 60); 002 Table 1, S-VAE d = 10 (latents on "
            "S^10 in R^11). Test LL -95.83 (K = 500)."
        ),
        "params": 471453,
        "dataset": "dynamic_binarized_mnist",
        "path": "zoo/svae_mnist_d10",
    },
}
