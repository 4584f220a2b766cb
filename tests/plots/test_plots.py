"""Tests for `keras_hsvae.plots`: the helper math against closed forms, and
every figure rendered to a PNG of the documented pixel size."""

import keras
import matplotlib.image
import numpy as np
import pytest
from matplotlib.projections.geo import HammerAxes
from sklearn.manifold import trustworthiness
from threadpoolctl import threadpool_limits

from keras_hsvae.models import SVAE, mlp_decoder, mlp_encoder
from keras_hsvae.plots import (
    DPI,
    hammer_projection,
    latent_statistics,
    per_dimension_histograms,
    plot_hammer,
    plot_image_grid,
    plot_interpolation,
    plot_latent_histograms,
    plot_latent_sphere,
    plot_mse_fid,
    plot_reconstructions,
    plot_samples,
    plot_tsne,
    slerp,
    three_group_average,
    tsne,
    write_figures,
)
from keras_hsvae.plots._geometry import spherical_cosines_numpy

SHAPE = (4, 4, 1)


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    # scikit-learn's t-SNE runs an OpenMP loop per iteration; on a loaded
    # 2-core machine its spinning threads made the t-SNE tests 10-50x slower.
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _angle(u, v):
    """Angle between the rows of u and v (independent arccos form)."""
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return np.arccos(np.clip(np.sum(u * v, axis=-1), -1.0, 1.0))


# -- slerp ----------------------------------------------------------------------
def test_slerp_quarter_circle_closed_form():
    t = np.linspace(0.0, 1.0, 7)
    out = slerp(np.array([3.0, 0.0]), np.array([0.0, 3.0]), t)
    expected = 3.0 * np.stack([np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)], -1)
    np.testing.assert_allclose(out, expected, atol=1e-14)


@pytest.mark.parametrize("n", [3, 8, 64])
def test_slerp_sphere_radius_endpoints_and_constant_speed(n):
    # HSC-VAE latents: sphere of radius sqrt(n).
    rng = np.random.default_rng(n)
    a, b = rng.normal(size=(2, 5, n))
    a *= np.sqrt(n) / np.linalg.norm(a, axis=-1, keepdims=True)
    b *= np.sqrt(n) / np.linalg.norm(b, axis=-1, keepdims=True)
    t = np.linspace(0.0, 1.0, 11)
    out = slerp(a, b, t)
    assert out.shape == (11, 5, n)
    np.testing.assert_array_equal(out[0], a)
    np.testing.assert_array_equal(out[-1], b)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.sqrt(n), rtol=1e-13)
    omega = _angle(a, b)
    for i, ti in enumerate(t):
        np.testing.assert_allclose(_angle(a, out[i]), ti * omega, atol=1e-7)
        np.testing.assert_allclose(_angle(out[i], b), (1 - ti) * omega, atol=1e-7)


def test_slerp_matches_classic_formula():
    # Shoemake (1985): sin((1-t) W)/sin W a + sin(t W)/sin W b for unit a, b.
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 6))
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    w = np.arccos(a @ b)
    for t in (0.1, 0.37, 0.8):
        expected = (np.sin((1 - t) * w) * a + np.sin(t * w) * b) / np.sin(w)
        np.testing.assert_allclose(slerp(a, b, t), expected, atol=1e-13)


def test_slerp_radius_is_linear_between_different_norms():
    t = np.linspace(0.0, 1.0, 5)
    out = slerp(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 3.0]), t)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0 + 2.0 * t)


def test_slerp_identical_directions():
    a = np.array([1.0, 2.0, 2.0])
    out = slerp(a, 2.0 * a, np.array([0.25, 0.5]))
    np.testing.assert_allclose(out, [1.25 * a, 1.5 * a], rtol=1e-14)


def test_slerp_antipodal_fallback_is_the_documented_circle():
    a = np.array([1.0, 0.0, 0.0])
    t = np.linspace(0.0, 1.0, 9)
    out = slerp(a, -a, t)
    # Smallest |a_k| is the first zero (k = 1): the circle through e_0 and e_1.
    expected = np.stack([np.cos(np.pi * t), np.sin(np.pi * t), 0 * t], -1)
    np.testing.assert_allclose(out, expected, atol=1e-15)
    # A generic antipodal pair: unit norm and angle t * pi from a.
    u = np.random.default_rng(2).normal(size=5)
    u /= np.linalg.norm(u)
    out = slerp(u, -u, t)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(
        _angle(np.broadcast_to(u, out.shape), out), np.pi * t, atol=1e-7
    )


def test_slerp_dtype_and_validation():
    a = np.array([1.0, 0.0], "float32")
    assert slerp(a, np.array([0.0, 1.0], "float32"), 0.5).dtype == np.float32
    assert slerp([1, 0], [0, 1], 0.5).dtype == np.float64
    with pytest.raises(ValueError, match="nonzero"):
        slerp(np.zeros(3), np.ones(3), 0.5)
    with pytest.raises(ValueError, match="Received: a.shape"):
        slerp(np.ones(3), np.ones(4), 0.5)


# -- Hammer projection, three-group view, cosines, histograms --------------------
def test_hammer_projection_known_points():
    points = np.array(
        [[1, 0, 0], [0, 0, 1], [0, 0, -2], [0, 1, 0], [-1, 1e-300, 0], [0, 0, 0]],
        "float64",
    )
    xy = hammer_projection(points)
    s2 = np.sqrt(2.0)
    expected = [
        [0.0, 0.0],
        [0.0, s2],
        [0.0, -s2],
        [2.0 / np.sqrt(1.0 + 1.0 / s2), 0.0],  # lam = pi/2, phi = 0
        [2.0 * s2, 0.0],  # lam = pi: the right edge
    ]
    np.testing.assert_allclose(xy[:5], expected, atol=1e-12)
    assert np.all(np.isnan(xy[5]))


def test_hammer_projection_matches_matplotlib_transform():
    xyz = np.random.default_rng(3).normal(size=(200, 3))
    lam = np.arctan2(xyz[:, 1], xyz[:, 0])
    phi = np.arcsin(xyz[:, 2] / np.linalg.norm(xyz, axis=-1))
    reference = HammerAxes.HammerTransform(1).transform_non_affine(
        np.column_stack([lam, phi])
    )
    xy = hammer_projection(xyz)
    np.testing.assert_allclose(xy, reference, atol=1e-12)
    # Inside the ellipse with semi-axes 2 sqrt(2) and sqrt(2).
    assert np.all((xy[:, 0] / 2 / np.sqrt(2)) ** 2 + (xy[:, 1] / np.sqrt(2)) ** 2 <= 1)


def test_three_group_average_closed_form():
    z = np.array([[3.0, 3.0, 3.0, 1.0, 1.0, 4.0, 4.0], [0.0, 1.0, -1.0, 2, -2, 5, -5]])
    # n = 7: groups of sizes 3, 2, 2.
    means = three_group_average(z, normalize=False)
    np.testing.assert_allclose(means, [[3.0, 1.0, 4.0], [0.0, 0.0, 0.0]])
    unit = three_group_average(z)
    np.testing.assert_allclose(unit[0], np.array([3.0, 1.0, 4.0]) / np.sqrt(26.0))
    np.testing.assert_array_equal(unit[1], 0.0)  # no direction: stays zero
    z3 = np.array([[0.0, 3.0, 4.0]])
    np.testing.assert_allclose(three_group_average(z3), [[0.0, 0.6, 0.8]])
    with pytest.raises(ValueError, match="z.shape"):
        three_group_average(np.ones((4, 2)))


def test_spherical_cosines_against_tail_sums():
    # (200, 12) as in the histogram test: eager JAX compiles once per shape.
    x = np.random.default_rng(4).normal(size=(200, 12))
    tails = np.sqrt(np.cumsum((x**2)[:, ::-1], axis=1)[:, ::-1])
    np.testing.assert_allclose(
        spherical_cosines_numpy(x), x[:, :-1] / tails[:, :-1], atol=1e-6
    )


def test_per_dimension_histograms_against_numpy():
    values = np.random.default_rng(5).normal(size=(300, 4)) * [1, 2, 3, 0.5]
    counts, edges, mean, std = per_dimension_histograms(values, bins=12)
    assert counts.shape == (4, 12)
    np.testing.assert_allclose(edges, np.linspace(values.min(), values.max(), 13))
    for d in range(4):
        np.testing.assert_array_equal(counts[d], np.histogram(values[:, d], edges)[0])
    assert counts.sum() == values.size  # the data range holds every value
    np.testing.assert_allclose(mean, np.mean(values, axis=0))
    np.testing.assert_allclose(std, np.std(values, axis=0))
    counts, edges, _, _ = per_dimension_histograms(values, 4, (-1.0, 1.0))
    np.testing.assert_allclose(edges, [-1.0, -0.5, 0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="value_range"):
        per_dimension_histograms(values, 4, (1.0, 1.0))


# -- t-SNE ----------------------------------------------------------------------
def _clusters(n=60, k=3, d=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 20.0, (k, d))
    labels = np.arange(n) % k
    return centres[labels] + rng.normal(size=(n, d)), labels


def _neighbours(y, k):
    d = np.sum((y[:, None] - y[None]) ** 2, axis=-1)
    np.fill_diagonal(d, np.inf)
    return np.argsort(d, axis=1)[:, :k], d


@pytest.mark.parametrize("init", ["pca", "random"])
def test_tsne_keeps_well_separated_clusters(init):
    x, labels = _clusters()
    y = tsne(x, perplexity=10, max_iter=500, init=init, seed=0)
    assert y.shape == (60, 2) and y.dtype == np.float64
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-9)
    # Neighbourhoods kept (1 is perfect, about 0.5 for a random layout).
    assert trustworthiness(x, y, n_neighbors=5) > 0.9
    # Each point's 5 nearest neighbours in 2D are of its own cluster, and every
    # cluster is farther from the others than its own diameter.
    nearest, d = _neighbours(y, 5)
    assert np.all(labels[nearest] == labels[:, None])
    for c in range(3):
        inside, outside = d[labels == c][:, labels == c], d[labels == c][:, labels != c]
        assert inside[np.isfinite(inside)].max() < outside.min()
    # Seeded: the same call gives the same result.
    again = tsne(x, perplexity=10, max_iter=500, init=init, seed=0)
    np.testing.assert_array_equal(y, again)


@pytest.mark.slow
def test_tsne_has_no_size_cap():
    # The exact implementation it replaced refused more than 5000 points.
    x, labels = _clusters(n=6000, k=5)
    y = tsne(x, max_iter=500, seed=0)
    assert y.shape == (6000, 2)
    assert trustworthiness(x, y, n_neighbors=10) > 0.9
    nearest, _ = _neighbours(y[:500], 5)
    assert np.mean(labels[:500][nearest] == labels[:500, None]) > 0.99


def test_tsne_deprecated_arguments():
    x, _ = _clusters(30)
    y = tsne(x, perplexity=5, max_iter=250, seed=1)
    with pytest.warns(DeprecationWarning, match="use `max_iter`"):
        old = tsne(x, perplexity=5, n_iter=250, seed=1)
    np.testing.assert_array_equal(old, y)
    with pytest.warns(DeprecationWarning, match="exaggeration_iter.*no effect"):
        old = tsne(x, 5, 250, exaggeration_iter=100, seed=1)
    np.testing.assert_array_equal(old, y)
    with pytest.warns(DeprecationWarning, match="plot_tsne.*use `max_iter`"):
        plot_tsne(x, n_iter=250)


def test_tsne_validation():
    x, _ = _clusters(10)
    with pytest.raises(ValueError, match="perplexity"):
        tsne(x, perplexity=10.0)
    with pytest.raises(ValueError, match="init"):
        tsne(x, perplexity=3.0, init="spectral")
    with pytest.raises(ValueError, match="max_iter"):
        tsne(x, perplexity=3.0, max_iter=100)
    with pytest.raises(ValueError, match="x.shape"):
        tsne(np.ones(5))


# -- figures --------------------------------------------------------------------
def _read_png(path, figsize):
    image = matplotlib.image.imread(str(path))
    width, height = round(figsize[0] * DPI), round(figsize[1] * DPI)
    assert image.shape[:2] == (height, width)
    rgb = image[..., :3]
    # Not blank: more than a few distinct colours and a share of ink.
    colours = np.unique(rgb.reshape(-1, 3), axis=0)
    assert len(colours) > 3
    assert np.mean(np.any(rgb < 0.9, axis=-1)) > 0.005
    return image


def _data(n=4, seed=0):
    return np.random.default_rng(seed).random((n,) + SHAPE).astype("float32")


@pytest.fixture(scope="module")
def svae():
    # One model and batch sizes of 4: eager JAX compiles per new shape.
    enc, dec = mlp_encoder(SHAPE, hidden=(8,)), mlp_decoder(3, SHAPE, hidden=(8,))
    return SVAE(enc, dec, 3, seed=1)


def test_plot_image_grid_png(tmp_path):
    images = np.random.default_rng(0).random((10, 28 * 28))  # flat, square
    fig = plot_image_grid(
        images, cols=5, path=tmp_path / "grid.png", figsize=(3.2, 2.4)
    )
    assert fig.get_size_inches().tolist() == [3.2, 2.4]
    _read_png(tmp_path / "grid.png", (3.2, 2.4))
    with pytest.raises(ValueError, match="image_shape"):
        plot_image_grid(np.ones((2, 10)))
    rgb = np.random.default_rng(1).random((4, 8, 8, 3))
    plot_image_grid(rgb, path=tmp_path / "rgb.png")
    _read_png(tmp_path / "rgb.png", (6, 6))


def test_plot_samples_png(tmp_path, svae):
    plot_samples(svae, n=4, seed=0, path=tmp_path / "samples.png")
    _read_png(tmp_path / "samples.png", (6, 6))


def test_plot_reconstructions_png(tmp_path, svae):
    fig = plot_reconstructions(svae, _data(), n=4, path=tmp_path / "rec.png")
    assert [ax.get_title() for ax in fig.axes] == ["x", "reconstruction", "sample"]
    _read_png(tmp_path / "rec.png", (9, 3.4))
    with pytest.raises(ValueError, match="at least n=9"):
        plot_reconstructions(svae, _data(), n=9)


class _Recorder:
    """A model whose `decode` records the latents it is given."""

    def __init__(self, model):
        self.model = model
        self.decoded = []

    def embed(self, x):
        return self.model.embed(x)

    def decode(self, z):
        self.decoded.append(keras.ops.convert_to_numpy(z))
        return self.model.decode(z)


def test_plot_interpolation_png_and_latents_on_the_sphere(tmp_path, svae):
    model = _Recorder(svae)
    x = _data()
    plot_interpolation(model, x, x[::-1], steps=3, path=tmp_path / "interp.png")
    _read_png(tmp_path / "interp.png", (10, 3))
    (z,) = model.decoded
    assert z.shape == (4 * 3, 3)  # row by row: pair 0 at t = 0, 0.5, 1, ...
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, rtol=1e-6)
    embedded = keras.ops.convert_to_numpy(svae.embed(x))
    np.testing.assert_allclose(z[0::3], embedded, atol=1e-7)  # t = 0
    np.testing.assert_allclose(z[2::3], embedded[::-1], atol=1e-7)  # t = 1
    # t = 1/2: the normalized midpoint of the two unit endpoints.
    mid = embedded + embedded[::-1]
    mid /= np.linalg.norm(mid, axis=-1, keepdims=True)
    np.testing.assert_allclose(z[1::3], mid, atol=1e-6)


class _ShellModel:
    """Numpy stand-in for a product model: inputs 1 and 0 embed to two points
    of the product of a sphere of radius 2 (dims 0-2) and one of radius 1."""

    shell_dims = [3, 2]
    latents = {1.0: [0.0, 0.0, 2.0, 1.0, 0.0], 0.0: [0.0, 2.0, 0.0, 0.0, -1.0]}

    def __init__(self):
        self.decoded = []

    def embed(self, x):
        return np.array([self.latents[float(v)] for v in x[:, 0]])

    def decode(self, z):
        self.decoded.append(z)
        return np.full((len(z), 2, 2), 0.5)


def test_plot_interpolation_product_model_stays_on_every_shell():
    model = _ShellModel()
    plot_interpolation(model, np.ones((1, 4)), np.zeros((1, 4)), steps=3)
    (z,) = model.decoded
    # Shell by shell: a quarter circle of radius 2, and one of radius 1 (slerp
    # of the whole vector would leave both spheres at t = 1/2).
    r = np.sqrt(0.5)
    expected = [[0, 0, 2, 1, 0], [0, 2 * r, 2 * r, r, -r], [0, 2, 0, 0, -1]]
    np.testing.assert_allclose(z, expected, atol=1e-7)


def test_plot_latent_sphere_png(tmp_path):
    z = np.random.default_rng(0).normal(size=(90, 16))
    fig = plot_latent_sphere(z, labels=np.arange(90) % 3, path=tmp_path / "sphere.png")
    assert fig.axes[0].name == "3d"
    _read_png(tmp_path / "sphere.png", (6, 6))
    with pytest.raises(ValueError, match="labels"):
        plot_latent_sphere(z, labels=np.zeros(5))


def test_plot_hammer_png(tmp_path):
    z = np.random.default_rng(0).normal(size=(80, 3))
    plot_hammer(z, labels=np.arange(80) % 4, path=tmp_path / "hammer.png")
    _read_png(tmp_path / "hammer.png", (8, 4.5))


def test_plot_tsne_png(tmp_path):
    x, labels = _clusters()
    plot_tsne(x, labels=labels, max_iter=250, max_points=40, path=tmp_path / "tsne.png")
    _read_png(tmp_path / "tsne.png", (6, 6))


def test_plot_latent_histograms_png(tmp_path):
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(200, 12))
    sigma = np.exp(rng.normal(-1.0, 0.2, size=(200, 12)))
    z = mu + sigma * rng.normal(size=(200, 12))
    fig = plot_latent_histograms(mu, sigma, z, bins=20, path=tmp_path / "hist.png")
    labels = [ax.get_xlabel() for ax in fig.axes[:4]]
    assert labels == ["mu", "sigma", "z", "cos(phi) of mu"]
    _read_png(tmp_path / "hist.png", (14, 4.5))
    with pytest.raises(ValueError, match="sigma.shape"):
        plot_latent_histograms(mu, sigma[:, :3])


def test_plot_mse_fid_png(tmp_path):
    records = [
        {
            "latent_dim": n,
            "beta": beta,
            "mse": 50 / n + beta,
            "fid": n * beta / 4,
            "prior": prior,
        }
        for n in (16, 64, 32)
        for beta in (0.1, 1.0)
        for prior in ("baseline", "compressed")
    ]
    fig = plot_mse_fid(records, path=tmp_path / "plane.png")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4  # (prior, beta) pairs
    styles = {line.get_label(): line.get_linestyle() for line in lines}
    assert styles == {
        "baseline, beta = 0.1": "--",
        "baseline, beta = 1": "--",
        "compressed, beta = 0.1": "-",
        "compressed, beta = 1": "-",
    }
    for line in lines:  # through the runs sorted by latent size 16, 32, 64
        mse, fid = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        beta = mse[0] - 50 / 16
        np.testing.assert_allclose(mse, 50 / np.array([16, 32, 64]) + beta)
        np.testing.assert_allclose(fid, np.array([16, 32, 64]) * beta / 4)
    _read_png(tmp_path / "plane.png", (7, 5))
    with pytest.raises(ValueError, match="keys"):
        plot_mse_fid([{"latent_dim": 8, "beta": 1.0}])


# -- all figures of a model ----------------------------------------------------
def test_latent_statistics_of_a_vmf_model(svae):
    stats = latent_statistics(svae, _data(), seed=0)
    assert stats["sigma"] is None  # scalar concentration, no per-dim sigma
    expected = keras.ops.convert_to_numpy(svae.encode(_data())["mean_direction"])
    np.testing.assert_allclose(stats["mu"], expected, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(stats["z"], axis=-1), 1.0, rtol=1e-5)


class _NoDensityModel:
    """Stand-in for HSC-VAE: mean and stddev, no posterior density."""

    mu = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
    sigma = np.array([[0.1, 0.2, 0.3], [1.0, 1.0, 2.0]])

    def encode(self, x):
        return {"mean": self.mu, "stddev": self.sigma}

    def embed(self, x):
        return self.mu

    def posterior_distribution(self, x):
        raise NotImplementedError("no density")


def test_latent_statistics_reparameterizes_without_a_density():
    stats = latent_statistics(_NoDensityModel(), np.zeros((2, 1)), seed=3)
    eps = np.random.default_rng(3).standard_normal((2, 3))
    m = _NoDensityModel
    np.testing.assert_allclose(stats["z"], m.mu + m.sigma * eps)
    np.testing.assert_array_equal(stats["sigma"], m.sigma)


@pytest.mark.slow  # eight PNGs (~10 s); the doctest runs it in the fast suite
def test_write_figures(tmp_path, svae):
    x = _data()
    records = [
        {"latent_dim": n, "beta": 1.0, "mse": 1 / n, "fid": n, "prior": "baseline"}
        for n in (2, 4)
    ]
    paths = write_figures(
        svae, x, tmp_path / "figs", labels=[0, 1, 0, 1], records=records
    )
    sizes = {
        "reconstructions": (9, 3.4),
        "samples": (6, 6),
        "interpolation": (10, 3),
        "latent_histograms": (14, 4.5),
        "tsne": (6, 6),
        "latent_sphere": (6, 6),
        "hammer": (8, 4.5),
        "mse_fid": (7, 5),
    }
    assert set(paths) == set(sizes)
    for name, figsize in sizes.items():
        assert paths[name] == str(tmp_path / "figs" / f"{name}.png")
        _read_png(paths[name], figsize)


def test_image_file_format_follows_the_extension(tmp_path):
    # Issue #10: `--output s.jpg` wrote PNG bytes under a .jpg name.
    images = np.linspace(0.0, 1.0, 4 * 8 * 8).reshape(4, 8, 8)
    magic = {"a.png": b"\x89PNG", "b.jpg": b"\xff\xd8\xff", "c": b"\x89PNG"}
    for name, start in magic.items():
        plot_image_grid(images, path=tmp_path / name, figsize=(1, 1))
        assert (tmp_path / name).read_bytes().startswith(start), name
    with pytest.raises(ValueError, match=r"image extension .*path='.*d\.xyz'"):
        plot_image_grid(images, path=tmp_path / "d.xyz", figsize=(1, 1))
    assert not (tmp_path / "d.xyz").exists()
