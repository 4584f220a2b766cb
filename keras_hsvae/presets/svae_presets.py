"""Built-in presets of `SVAE` (data: one entry per preset folder of the zoo).

Each entry: `model` (the class name), `description`, `params` (the parameter
count), `dataset` (a `keras_hsvae.data` name) and `path` (the preset folder
in the repository; the zoo package holds it as `<name>/`). The tests check
every entry against its `zoo/<name>/metadata.json` and its golden outputs.
"""

svae_presets = {
    "svae_mnist_10d": {
        "model": "SVAE",
        "description": (
            "S-VAE (vMF posterior, uniform prior on S^9), MLP 784-256-128 "
            "encoder and mirrored decoder, Bernoulli likelihood; statically "
            "binarized MNIST, 10 epochs."
        ),
        "params": 471196,
        "dataset": "binarized_mnist",
        "path": "zoo/svae_mnist_10d",
    },
}
