"""Built-in presets of the graph auto-encoders `NVGAE` and `SVGAE`.

One entry per preset folder of the zoo (see `svae_presets.py` for the
keys). Both are seed 0 of `experiments/graph_vae_cora.py`: Kipf & Welling's
protocol on Cora (the link split of `split_edges(graph, seed=0)`, 200
epochs, Adam 0.01, GCN 32 hidden units); their model cards give the AUC and
AP over 5 seeds beside the S-VAE paper's Table 4.
"""

graph_presets = {
    "ngvae_cora": {
        "model": "NVGAE",
        "description": (
            "N-VGAE (Gaussian posterior, latent R^16), GCN encoder 1433-32, "
            "inner-product decoder; Cora link prediction (seed-0 split), 200 "
            "epochs."
        ),
        "params": 46913,
        "dataset": "cora",
        "path": "zoo/ngvae_cora",
    },
    "sgvae_cora": {
        "model": "SVGAE",
        "description": (
            "S-VGAE (vMF posterior, uniform prior on S^16 in R^17), GCN "
            "encoder 1433-32, inner-product decoder; Cora link prediction "
            "(seed-0 split), 200 epochs."
        ),
        "params": 46451,
        "dataset": "cora",
        "path": "zoo/sgvae_cora",
    },
}
