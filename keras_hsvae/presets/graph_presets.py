"""Built-in presets of the graph auto-encoders `NVGAE` and `SVGAE`.

One entry per preset folder of the zoo (see `svae_presets.py` for the
keys). Both are seed 0 of `experiments/graph_vae_cora.py`: Kipf & Welling's
protocol on Cora (the link split of `split_edges(graph, seed=0)`, Adam 0.01,
GCN 32 hidden units, the heads of their code: `heads="kipf"`) with the
weights of the epoch, among 200, with the best validation AUC + AP (issue
#12); their model cards give the AUC and AP over 5 seeds beside the S-VAE
paper's Table 4.
"""

graph_presets = {
    "ngvae_cora": {
        "model": "NVGAE",
        "description": (
            "N-VGAE (Gaussian posterior, latent R^16), GCN encoder 1433-32, "
            "inner-product decoder, heads without bias (Kipf & Welling); Cora "
            "link prediction (seed-0 split), best validation epoch of 200."
        ),
        "params": 46881,
        "dataset": "cora",
        "path": "zoo/ngvae_cora",
    },
    "sgvae_cora": {
        "model": "SVGAE",
        "description": (
            "S-VGAE (vMF posterior, uniform prior on S^16 in R^17), GCN "
            "encoder 1433-32, inner-product decoder, heads without bias (Kipf "
            "& Welling); Cora link prediction (seed-0 split), best validation "
            "epoch of 200."
        ),
        "params": 46433,
        "dataset": "cora",
        "path": "zoo/sgvae_cora",
    },
}
