"""Figures for hyperspherical VAEs (matplotlib, no pyplot state).

Every `plot_*` function returns a `matplotlib.figure.Figure` and, when given
`path`, writes a PNG of exactly `figsize * DPI` pixels (`DPI = 100`). The
math behind them is in small pure numpy helpers: `slerp`,
`hammer_projection`, `three_group_average`, `per_dimension_histograms`;
`tsne` is scikit-learn's, seeded. `write_figures` writes them all for a
model. Needs the `plots` extra: `pip install "keras-hsvae[plots]"`.
"""

from keras_hsvae.plots._figures import (
    DPI,
    plot_hammer,
    plot_image_grid,
    plot_interpolation,
    plot_latent_histograms,
    plot_latent_sphere,
    plot_mse_fid,
    plot_reconstructions,
    plot_samples,
    plot_tsne,
)
from keras_hsvae.plots._geometry import (
    hammer_projection,
    per_dimension_histograms,
    slerp,
    three_group_average,
)
from keras_hsvae.plots._report import latent_statistics, write_figures
from keras_hsvae.plots._tsne import tsne

__all__ = [
    "DPI",
    "hammer_projection",
    "latent_statistics",
    "per_dimension_histograms",
    "plot_hammer",
    "plot_image_grid",
    "plot_interpolation",
    "plot_latent_histograms",
    "plot_latent_sphere",
    "plot_mse_fid",
    "plot_reconstructions",
    "plot_samples",
    "plot_tsne",
    "slerp",
    "three_group_average",
    "tsne",
    "write_figures",
]
