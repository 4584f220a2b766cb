"""The figures: each function returns a `matplotlib.figure.Figure`.

Figures are built with `matplotlib.figure.Figure` directly, never through
`pyplot`, so no global state (backend, current figure) changes and nothing
needs closing. An image is written when `path` is given (PNG, or the format
its extension names: `.jpg`, `.pdf`, `.svg`, ...), at `DPI` dots per inch
with the full figure (no tight cropping): the image is exactly
`round(figsize[0] * DPI)` x `round(figsize[1] * DPI)` pixels.
"""

import os

import numpy as np

from keras_hsvae._optional import optional_dependency
from keras_hsvae._validation import check_int
from keras_hsvae.plots._geometry import (
    as_latents,
    hammer_projection,
    per_dimension_histograms,
    slerp,
    spherical_cosines_numpy,
    three_group_average,
    to_numpy,
)
from keras_hsvae.plots._tsne import _max_iter_from, tsne

with optional_dependency("matplotlib", "keras_hsvae.plots"):
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

DPI = 100


# -- shared helpers ----------------------------------------------------------
def _new_figure(figsize):
    figsize = tuple(float(v) for v in figsize)
    if len(figsize) != 2 or not all(v > 0 for v in figsize):
        raise ValueError(
            f"`figsize` must be (width, height) in inches, both > 0. "
            f"Received: figsize={figsize!r}"
        )
    return Figure(figsize=figsize, dpi=DPI, facecolor="white", layout="constrained")


def _finish(fig, path):
    """Save `fig` at `DPI` when `path` is given; return `fig`.

    The format is the one the extension names (`.png`, `.jpg`, `.pdf`,
    `.svg`, ...; PNG without an extension): `s.jpg` holds JPEG bytes, not a
    PNG under a .jpg name. An extension matplotlib cannot write is refused.
    """
    if path is not None:
        path = os.fspath(path)
        extension = os.path.splitext(path)[1].lower().lstrip(".")
        supported = fig.canvas.get_supported_filetypes()
        if extension and extension not in supported:
            names = ", ".join(f".{e}" for e in sorted(supported))
            raise ValueError(
                f"`path` must end in an image extension ({names}) or none "
                f"(PNG). Received: path={path!r}"
            )
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        # A user rc file may set savefig.bbox = "tight", which would crop the
        # image and break the documented pixel size: force the full figure.
        with matplotlib.rc_context({"savefig.bbox": "standard"}):
            fig.savefig(path, dpi=DPI, format=extension or "png", facecolor="white")
    return fig


def _as_images(images, image_shape=None, name="images"):
    """`(N, H, W)` or `(N, H, W, 3)` float images in `[0, 1]` for display."""
    images = to_numpy(images, name).astype("float64")
    if image_shape is not None:
        images = images.reshape((images.shape[0],) + tuple(image_shape))
    elif images.ndim == 2:  # flat vectors: square grayscale images
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(
                f"Flat `{name}` of size {images.shape[1]} are not square images; "
                f"pass `image_shape`. Received: {name}.shape={images.shape}"
            )
        images = images.reshape((-1, side, side))
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(
            f"`{name}` must be (N, H, W), (N, H, W, 1), (N, H, W, 3) or flat "
            f"square (N, H * W). Received: {name}.shape={images.shape}"
        )
    if images.shape[0] < 1:
        raise ValueError(f"`{name}` must hold at least one image. Received: 0")
    # Gaussian decoders can step outside the pixel range: clip for display.
    return np.clip(np.nan_to_num(images), 0.0, 1.0)


def _mosaic(images, cols, pad=1):
    """One array tiling `images` row by row, `pad` white pixels between them."""
    n, h, w = images.shape[:3]
    rows = -(-n // cols)
    shape = (rows * (h + pad) - pad, cols * (w + pad) - pad) + images.shape[3:]
    canvas = np.ones(shape)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = (
            image
        )
    return canvas


def _show_mosaic(ax, images, cols, title=None):
    canvas = _mosaic(images, cols)
    if canvas.ndim == 2:
        ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(canvas, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)


def _check_count(value, name, minimum=1):
    return check_int(name, value, minimum)


def _labels_or_none(labels, n):
    if labels is None:
        return None
    labels = to_numpy(labels, "labels").reshape(-1)
    if labels.shape[0] != n:
        raise ValueError(
            f"`labels` must have one entry per point ({n}). "
            f"Received: labels.shape={labels.shape}"
        )
    return labels


def _scatter_by_label(ax, coords, labels, **kwargs):
    """Scatter `coords` (2 or 3 columns), one colour per class, with a legend."""
    columns = [coords[:, i] for i in range(coords.shape[1])]
    if labels is None:
        ax.scatter(*columns, s=6, color="tab:blue", **kwargs)
        return
    classes = np.unique(labels)
    cmap = matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"]
    for i, c in enumerate(classes):
        mask = labels == c
        ax.scatter(
            *[col[mask] for col in columns],
            s=6,
            color=cmap(i % cmap.N),
            label=str(c),
            **kwargs,
        )
    if len(classes) <= 20:
        ax.legend(markerscale=2, fontsize="small", loc="upper right", ncols=2)


def _generate(model, n, seed, sampler):
    if sampler is None:
        return model.generate(n, seed=seed)
    return model.generate(n, seed=seed, sampler=sampler)


# -- image figures -------------------------------------------------------------
def plot_image_grid(
    images, cols=None, image_shape=None, title=None, path=None, figsize=(6, 6)
):
    """A grid of images (e.g. decoded samples).

    Args:
        images: array or tensor `(N, H, W)`, `(N, H, W, 1)`, `(N, H, W, 3)`
            or flat square `(N, H * W)`, values in `[0, 1]` (clipped).
        cols: images per row; None for `ceil(sqrt(N))`.
        image_shape: shape to reshape each flat image to, or None.
        title: optional title.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import plot_image_grid
    >>> fig = plot_image_grid(np.random.default_rng(0).random((9, 4, 4)))
    >>> fig.get_size_inches().tolist(), float(fig.dpi)
    ([6.0, 6.0], 100.0)
    """
    images = _as_images(images, image_shape)
    cols = int(np.ceil(np.sqrt(len(images)))) if cols is None else cols
    _check_count(cols, "cols")
    fig = _new_figure(figsize)
    _show_mosaic(fig.add_subplot(), images, cols, title)
    return _finish(fig, path)


def plot_samples(
    model, n=64, seed=0, sampler=None, image_shape=None, path=None, figsize=(6, 6)
):
    """A grid of `model.generate(n, seed=seed)` (decoded samples).

    Args:
        model: a model with `generate(n, seed=None, sampler=None)` returning
            images (see `plot_image_grid` for the accepted shapes).
        n: number of samples.
        seed: seed passed to `generate`.
        sampler: optional sampler passed to `generate` (None: the model's
            default, its `sampler` or the prior).
        image_shape: shape of one image when `generate` returns flat vectors.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> from keras_hsvae.plots import plot_samples
    >>> vae = BetaVAE(mlp_encoder((4, 4, 1), (8,)), mlp_decoder(2, (4, 4, 1), (8,)), 2)
    >>> fig = plot_samples(vae, n=4, seed=0)
    >>> len(fig.axes)
    1
    """
    _check_count(n, "n")
    images = _generate(model, n, seed, sampler)
    return plot_image_grid(
        images, image_shape=image_shape, title="samples", path=path, figsize=figsize
    )


def plot_reconstructions(
    model, x, n=16, seed=0, sampler=None, image_shape=None, path=None, figsize=(9, 3.4)
):
    """Originals, reconstructions and samples side by side (001 Fig. 1a).

    Three grids of `n` images: the first `n` of `x`, `model.reconstruct` of
    them, and `model.generate(n, seed=seed)`.

    Args:
        model: a model with `reconstruct(x)` and `generate(n, seed, sampler)`.
        x: batch of inputs (at least `n`).
        n: images per grid.
        seed: seed passed to `generate`.
        sampler: optional sampler passed to `generate`.
        image_shape: shape of one image when the data are flat vectors.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> from keras_hsvae.plots import plot_reconstructions
    >>> vae = BetaVAE(mlp_encoder((4, 4, 1), (8,)), mlp_decoder(2, (4, 4, 1), (8,)), 2)
    >>> x = np.random.default_rng(0).random((4, 4, 4, 1)).astype("float32")
    >>> fig = plot_reconstructions(vae, x, n=4)
    >>> [ax.get_title() for ax in fig.axes]
    ['x', 'reconstruction', 'sample']
    """
    _check_count(n, "n")
    x_np = to_numpy(x, "x")
    if x_np.shape[0] < n:
        raise ValueError(
            f"`x` must hold at least n={n} examples. Received: x.shape={x_np.shape}"
        )
    x_np = x_np[:n]
    panels = [
        ("x", x_np),
        ("reconstruction", model.reconstruct(x_np)),
        ("sample", _generate(model, n, seed, sampler)),
    ]
    cols = int(np.ceil(np.sqrt(n)))
    fig = _new_figure(figsize)
    axes = fig.subplots(1, 3)
    for ax, (title, images) in zip(axes, panels):
        _show_mosaic(ax, _as_images(images, image_shape, title), cols, title)
    return _finish(fig, path)


def plot_interpolation(
    model, x_start, x_end, steps=8, image_shape=None, path=None, figsize=(10, 3)
):
    """Decoded great-circle interpolations between encoded images.

    For each pair `(x_start[i], x_end[i])` a row: the original start image,
    `decode(slerp(embed(x_start), embed(x_end), t))` for `steps` equally
    spaced `t` in `[0, 1]`, and the original end image. Latents on a sphere
    stay on it (see `slerp`); a model with `shell_dims` (product of spheres)
    is interpolated shell by shell.

    Args:
        model: a model with `embed(x)` and `decode(z)`.
        x_start: batch `(P, ...)` of start inputs, one row per pair (a
            single pair: `x[i : i + 1]`).
        x_end: batch of end inputs, of the shape of `x_start`.
        steps: integer >= 2, the decoded points per row (endpoints included).
        image_shape: shape of one image when the data are flat vectors.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> from keras_hsvae.plots import plot_interpolation
    >>> vae = BetaVAE(mlp_encoder((4, 4, 1), (8,)), mlp_decoder(2, (4, 4, 1), (8,)), 2)
    >>> x = np.random.default_rng(0).random((2, 4, 4, 1)).astype("float32")
    >>> fig = plot_interpolation(vae, x[:1], x[1:], steps=5)
    >>> fig.axes[0].get_title()
    'interpolation (slerp)'
    """
    _check_count(steps, "steps", minimum=2)
    starts, ends = to_numpy(x_start, "x_start"), to_numpy(x_end, "x_end")
    if starts.shape != ends.shape:
        raise ValueError(
            "`x_start` and `x_end` must have the same shape. "
            f"Received: x_start.shape={starts.shape}, x_end.shape={ends.shape}"
        )
    z_start = to_numpy(model.embed(starts.astype("float32")), "z")
    z_end = to_numpy(model.embed(ends.astype("float32")), "z")
    t = np.linspace(0.0, 1.0, steps)
    shells = getattr(model, "shell_dims", None)
    bounds = np.cumsum([0] + list(shells)) if shells else [0, z_start.shape[-1]]
    path_z = np.concatenate(
        [
            slerp(z_start[:, lo:hi], z_end[:, lo:hi], t)
            for lo, hi in zip(bounds[:-1], bounds[1:])
        ],
        axis=-1,
    )  # (steps, pairs, n)
    path_z = np.swapaxes(path_z, 0, 1).reshape((-1, z_start.shape[-1]))
    decoded = _as_images(model.decode(path_z.astype("float32")), image_shape)
    decoded = decoded.reshape((len(starts), steps) + decoded.shape[1:])
    originals_a = _as_images(starts, image_shape, "x_start")[:, None]
    originals_b = _as_images(ends, image_shape, "x_end")[:, None]
    rows = np.concatenate([originals_a, decoded, originals_b], axis=1)
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    _show_mosaic(ax, rows.reshape((-1,) + rows.shape[2:]), steps + 2)
    ax.set_title("interpolation (slerp)")
    return _finish(fig, path)


# -- latent figures ------------------------------------------------------------
def plot_latent_sphere(z, labels=None, path=None, figsize=(6, 6)):
    """The 3D view of the latent sphere, coloured by class (001 Fig. 1b).

    Latents of any size `n >= 3` are reduced with `three_group_average`
    (mean of three groups of dimensions, then normalized), and drawn on the
    unit sphere.

    Args:
        z: array or tensor `(N, n)`, `n >= 3`.
        labels: optional class labels `(N,)`.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import plot_latent_sphere
    >>> z = np.random.default_rng(0).normal(size=(50, 12))
    >>> fig = plot_latent_sphere(z, labels=np.arange(50) % 3)
    >>> fig.axes[0].name
    '3d'
    """
    coords = three_group_average(z)
    labels = _labels_or_none(labels, len(coords))
    fig = _new_figure(figsize)
    ax = fig.add_subplot(projection="3d")
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 25), np.linspace(0, np.pi, 13))
    ax.plot_wireframe(
        np.cos(u) * np.sin(v),
        np.sin(u) * np.sin(v),
        np.cos(v),
        color="0.8",
        linewidth=0.4,
    )
    _scatter_by_label(ax, coords, labels, depthshade=False)
    ax.set_box_aspect((1, 1, 1))
    for setter in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        setter(-1, 1)
    ax.set_title("latent sphere (3 groups of dims, normalized)")
    return _finish(fig, path)


def plot_hammer(z, labels=None, path=None, figsize=(8, 4.5)):
    """Hammer (equal-area) projection of S^2 latents, coloured by class.

    Latents with `n = 3` are projected as they are; larger ones are first
    reduced with `three_group_average` (as `plot_latent_sphere`).

    Args:
        z: array or tensor `(N, n)`, `n >= 3`.
        labels: optional class labels `(N,)`.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import plot_hammer
    >>> fig = plot_hammer(np.random.default_rng(0).normal(size=(40, 3)))
    >>> fig.axes[0].get_title()
    'Hammer projection'
    """
    z = to_numpy(z, "z")
    coords = hammer_projection(
        z if z.ndim == 2 and z.shape[-1] == 3 else three_group_average(z)
    )
    labels = _labels_or_none(labels, len(coords))
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    # Graticule: meridians and parallels every 30 degrees, and the outline.
    lam = np.linspace(-np.pi, np.pi, 181)
    phi = np.linspace(-np.pi / 2, np.pi / 2, 91)
    for lat in np.radians(np.arange(-60, 61, 30)):
        _draw_lonlat(ax, lam, np.full_like(lam, lat), color="0.85")
    for lon in np.radians(np.arange(-150, 151, 30)):
        _draw_lonlat(ax, np.full_like(phi, lon), phi, color="0.85")
    for lon in (-np.pi, np.pi):
        _draw_lonlat(ax, np.full_like(phi, lon), phi, color="0.3")
    _scatter_by_label(ax, coords, labels)
    ax.set_aspect("equal")
    ax.set_xlim(-2.95, 2.95)
    ax.set_ylim(-1.5, 1.5)
    ax.set_axis_off()
    ax.set_title("Hammer projection")
    return _finish(fig, path)


def _draw_lonlat(ax, lam, phi, **kwargs):
    """Draw the curve of longitudes `lam`, latitudes `phi` in Hammer coordinates."""
    xyz = np.stack(
        [np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], -1
    )
    xy = hammer_projection(xyz)
    # The meridians lam = +-pi are the two edges: sin(+-pi) rounds to
    # +-1.2e-16, so y keeps the sign that puts each on its own side.
    ax.plot(xy[:, 0], xy[:, 1], linewidth=0.6, **kwargs)


def plot_tsne(
    z,
    labels=None,
    perplexity=30.0,
    max_iter=1000,
    max_points=2000,
    seed=0,
    path=None,
    figsize=(6, 6),
    *,
    n_iter=None,
):
    """t-SNE of latent means, coloured by class (001 Fig. 1c).

    Uses `keras_hsvae.plots.tsne` (scikit-learn's Barnes-Hut t-SNE) on at
    most `max_points` points, drawn at random with `seed` when there are
    more.

    Args:
        z: array or tensor `(N, n)` (e.g. `model.embed(x)`).
        labels: optional class labels `(N,)`.
        perplexity: t-SNE perplexity, lowered to `(M - 1) / 3` for small sets
            of `M` points.
        max_iter: the most t-SNE iterations (>= 250).
        max_points: how many points to embed and draw at most (a seeded
            random subset), or None for all of them.
        seed: seed of the subsample and of the t-SNE initialization.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.
        n_iter: deprecated alias of `max_iter`.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import plot_tsne
    >>> z = np.random.default_rng(0).normal(size=(30, 4))
    >>> fig = plot_tsne(z, labels=np.arange(30) % 2, max_iter=250)
    >>> fig.axes[0].get_title()
    't-SNE of the latent means'
    """
    max_iter = _max_iter_from(n_iter, max_iter, "plot_tsne")
    z = as_latents(z)
    labels = _labels_or_none(labels, len(z))
    if max_points is not None:
        _check_count(max_points, "max_points", minimum=3)
    if max_points is not None and len(z) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(z), max_points, False))
        z = z[keep]
        labels = None if labels is None else labels[keep]
    perplexity = min(float(perplexity), (len(z) - 1) / 3.0)
    y = tsne(z, perplexity=perplexity, max_iter=max_iter, seed=seed)
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    _scatter_by_label(ax, y, labels)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("t-SNE of the latent means")
    return _finish(fig, path)


def plot_latent_histograms(
    mu, sigma=None, z=None, bins=50, path=None, figsize=(14, 4.5)
):
    """Per-dimension histograms as heat maps (001 Figs. 6, 8, 9).

    One panel per quantity: `mu`, then `sigma` and `z` when given, then
    `cos(phi_k)` of `mu` (hyperspherical coordinates,
    `keras_hsvae.ops.spherical_cosines`). Row `d` of a panel is the histogram
    of dimension `d` over the `N` examples, each row scaled to its own
    maximum (red: dense, blue: empty); white dots mark each dimension's
    mean, black dots its standard deviation. The title gives the mean and
    standard deviation of all the values of the panel together.

    Args:
        mu: array or tensor `(N, n)`, `n >= 2`, the posterior means.
        sigma: optional array `(N, n)`, the posterior standard deviations.
        z: optional array `(N, n)`, posterior samples.
        bins: integer >= 1, bins per histogram.
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import plot_latent_histograms
    >>> mu = np.random.default_rng(0).normal(size=(100, 8))
    >>> fig = plot_latent_histograms(mu, z=mu + 0.1)
    >>> [ax.get_xlabel() for ax in fig.axes[:3]]  # and a colorbar
    ['mu', 'z', 'cos(phi) of mu']
    """
    mu = as_latents(mu, "mu", min_dim=2)
    panels = [("mu", mu, None)]
    for name, values in (("sigma", sigma), ("z", z)):
        if values is not None:
            values = to_numpy(values, name).astype("float64")
            if values.shape != mu.shape:
                raise ValueError(
                    f"`{name}` must have the shape of `mu` {mu.shape}. "
                    f"Received: {name}.shape={values.shape}"
                )
            panels.append((name, values, None))
    panels.append(("cos(phi) of mu", spherical_cosines_numpy(mu), (-1.0, 1.0)))
    fig = _new_figure(figsize)
    axes = fig.subplots(1, len(panels))
    for ax, (name, values, value_range) in zip(axes, panels):
        counts, edges, mean, std = per_dimension_histograms(values, bins, value_range)
        peak = counts.max(axis=1, keepdims=True)
        density = counts / np.where(peak > 0, peak, 1)
        dims = np.arange(values.shape[1])
        image = ax.imshow(
            density,
            aspect="auto",
            cmap="turbo",
            vmin=0.0,
            vmax=1.0,
            origin="lower",
            interpolation="nearest",
            extent=(edges[0], edges[-1], -0.5, values.shape[1] - 0.5),
        )
        ax.scatter(mean, dims, s=8, color="white", edgecolors="none", label="mean")
        ax.scatter(std, dims, s=8, color="black", edgecolors="none", label="std")
        ax.set_xlim(edges[0], edges[-1])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(name)
        ax.set_title(f"mean {values.mean():.3g}, std {values.std():.3g}", fontsize=9)
    axes[0].set_ylabel("dimension")
    fig.colorbar(image, ax=list(axes), label="density (row max = 1)", shrink=0.8)
    return _finish(fig, path)


def plot_mse_fid(records, path=None, figsize=(7, 5)):
    """The MSE-FID plane over (latent size, beta) (001 Fig. 2).

    One curve per `(prior, beta)`, through the runs sorted by `latent_dim`
    and labelled with it at both ends; colour by `beta`; line style by
    `prior`: `"baseline"` dashed, `"compressed"` solid, other names dotted
    and dash-dotted in sorted order. The best trade-off is the bottom left.

    Args:
        records: iterable of dicts with keys `"latent_dim"`, `"beta"`,
            `"mse"`, `"fid"` and `"prior"` (e.g. `"baseline"` or
            `"compressed"`).
        path: where to save a PNG (`figsize * DPI` pixels), or None.
        figsize: `(width, height)` in inches.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> from keras_hsvae.plots import plot_mse_fid
    >>> records = [
    ...     {"latent_dim": n, "beta": 1.0, "mse": 10 / n, "fid": n, "prior": p}
    ...     for n in (8, 32) for p in ("baseline", "compressed")
    ... ]
    >>> fig = plot_mse_fid(records)
    >>> len(fig.axes[0].get_lines())  # one curve per (prior, beta)
    2
    """
    keys = ("latent_dim", "beta", "mse", "fid", "prior")
    rows = []
    for record in records:
        if not isinstance(record, dict) or any(k not in record for k in keys):
            raise ValueError(
                f"Each record must be a dict with keys {keys}. Received: {record!r}"
            )
        rows.append(
            (
                str(record["prior"]),
                float(record["beta"]),
                int(record["latent_dim"]),
                float(record["mse"]),
                float(record["fid"]),
            )
        )
    if not rows:
        raise ValueError("`records` must not be empty. Received: records=[]")
    priors = sorted({r[0] for r in rows})
    betas = sorted({r[1] for r in rows})
    others = iter([":", "-.", (0, (5, 1, 1, 1, 1, 1))] * len(priors))
    styles = {
        p: {"baseline": "--", "compressed": "-"}.get(p) or next(others) for p in priors
    }
    cmap = matplotlib.colormaps["viridis"]
    colors = {b: cmap(0.85 * i / max(len(betas) - 1, 1)) for i, b in enumerate(betas)}
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    for prior in priors:
        for beta in betas:
            curve = sorted(r[2:] for r in rows if r[0] == prior and r[1] == beta)
            if not curve:
                continue
            dims, mse, fid = (np.array(c) for c in zip(*curve))
            ax.plot(
                mse,
                fid,
                linestyle=styles[prior],
                marker="o",
                markersize=3,
                color=colors[beta],
                label=f"{prior}, beta = {beta:g}",
            )
            for i in {0, len(dims) - 1}:
                ax.annotate(
                    str(dims[i]),
                    (mse[i], fid[i]),
                    textcoords="offset points",
                    xytext=(3, 3),
                    fontsize=7,
                    color=colors[beta],
                )
    handles = [
        Line2D([], [], color=colors[b], label=f"beta = {b:g}") for b in betas
    ] + [Line2D([], [], color="0.3", linestyle=styles[p], label=p) for p in priors]
    ax.legend(handles=handles, fontsize="small")
    ax.set_xlabel("MSE (reconstruction)")
    ax.set_ylabel("FID (generation)")
    ax.set_title("MSE-FID trade-off (labels: latent size)")
    ax.grid(alpha=0.3)
    return _finish(fig, path)
