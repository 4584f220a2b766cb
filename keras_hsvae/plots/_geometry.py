"""The math behind the figures, as small pure numpy functions.

Plotting happens on the host, so these helpers take and return numpy arrays
(tensors of any backend are converted first) and compute in float64.
"""

import math

import numpy as np
from keras import ops

from keras_hsvae._validation import check_int
from keras_hsvae.ops import spherical_cosines


def to_numpy(x, name="x"):
    """`x` (numpy array, list or tensor of any backend) as a numpy array."""
    if x is None:
        raise ValueError(
            f"`{name}` must be an array or a tensor. Received: {name}=None"
        )
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple, int, float)):
        return np.asarray(x)
    return np.asarray(ops.convert_to_numpy(x))


def as_latents(z, name="z", min_dim=1):
    """`z` as a float64 numpy array `(N, n)` with `n >= min_dim`."""
    z = to_numpy(z, name).astype("float64")
    if z.ndim != 2 or z.shape[-1] < min_dim:
        raise ValueError(
            f"`{name}` must have shape (N, n) with n >= {min_dim}. "
            f"Received: {name}.shape={z.shape}"
        )
    return z


def _float_dtype(*arrays):
    """The floating dtype to return: that of the inputs, float64 for integers."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype("float64")


def slerp(a, b, t):
    """Spherical linear interpolation along the great circle from `a` to `b`.

    The direction moves along the great circle through `a / ||a||` and
    `b / ||b||` at constant angular speed, and the norm moves linearly from
    `||a||` to `||b||`:

        omega = angle(a, b)
        u(t)  = cos(t omega) a_hat + sin(t omega) p,   p the unit tangent at
                a_hat towards b_hat
        slerp(a, b, t) = ((1 - t) ||a|| + t ||b||) u(t)

    So the angle between `a` and `slerp(a, b, t)` is exactly `t * omega`,
    latents on a sphere of radius `R` (radius `sqrt(n)` for HSC-VAE, 1 for
    S-VAE) stay on it, and `t = 0` and `t = 1` return `a` and `b` exactly.

    Degenerate pairs (documented fallbacks):

    - identical directions (`omega = 0`): the direction stays `a_hat`;
    - antipodal directions (`omega = pi`, the great circle is not unique):
      the circle through `a_hat` and the unit vector orthogonal to it built
      from the coordinate axis `e_k` with the smallest `|a_hat_k|`
      (Gram-Schmidt), a deterministic choice.

    Args:
        a: array `(..., n)`, nonzero vectors, the start points (`t = 0`).
        b: array `(..., n)`, nonzero vectors broadcastable with `a`, the end
            points (`t = 1`).
        t: float or array of interpolation times, usually in `[0, 1]`
            (other values extrapolate along the same circle).

    Returns:
        Array of shape `t.shape + broadcast(a, b).shape`, in the floating
        dtype of `a` and `b` (float64 for integer inputs).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import slerp
    >>> a, b = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    >>> slerp(a, b, [0.0, 0.5, 1.0]).round(4).tolist()
    [[2.0, 0.0], [1.4142, 1.4142], [0.0, 2.0]]
    """
    a_in, b_in = to_numpy(a, "a"), to_numpy(b, "b")
    dtype = _float_dtype(a_in, b_in)
    a = a_in.astype("float64")
    b = b_in.astype("float64")
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-1] or a.shape[-1] < 2:
        raise ValueError(
            "`a` and `b` must be vectors (last axis of the same size >= 2). "
            f"Received: a.shape={a.shape}, b.shape={b.shape}"
        )
    a, b = np.broadcast_arrays(a, b)
    t = np.asarray(t, "float64")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"`t` must be finite. Received: t={t}")
    norm_a = np.linalg.norm(a, axis=-1, keepdims=True)
    norm_b = np.linalg.norm(b, axis=-1, keepdims=True)
    if np.any(norm_a == 0) or np.any(norm_b == 0) or not np.all(np.isfinite(a + b)):
        raise ValueError(
            "`a` and `b` must be finite nonzero vectors (a zero vector has no "
            f"direction). Received: a={a_in}, b={b_in}"
        )
    a_hat, b_hat = a / norm_a, b / norm_b
    # omega = 2 atan2(||a - b||, ||a + b||): accurate near 0 and pi, where
    # arccos(a.b) loses half the digits.
    omega = 2.0 * np.arctan2(
        np.linalg.norm(a_hat - b_hat, axis=-1, keepdims=True),
        np.linalg.norm(a_hat + b_hat, axis=-1, keepdims=True),
    )
    tangent = b_hat - np.sum(a_hat * b_hat, axis=-1, keepdims=True) * a_hat
    tangent_norm = np.linalg.norm(tangent, axis=-1, keepdims=True)
    # The tangent vanishes (to rounding) only for identical or antipodal
    # directions; there use the deterministic orthogonal direction instead.
    degenerate = tangent_norm <= 64 * np.finfo("float64").eps
    p = np.where(
        degenerate,
        _orthogonal_unit(a_hat),
        tangent / np.where(degenerate, 1, tangent_norm),
    )
    tt = t.reshape(t.shape + (1,) * a.ndim)
    angle = tt * omega
    direction = np.cos(angle) * a_hat + np.sin(angle) * p
    # cos^2 + sin^2 = 1 only to rounding: renormalize so the radius is exact.
    direction = direction / np.linalg.norm(direction, axis=-1, keepdims=True)
    out = ((1.0 - tt) * norm_a + tt * norm_b) * direction
    # The endpoints are returned exactly, not to rounding.
    out = np.where(tt == 0, a, np.where(tt == 1, b, out))
    return out.astype(dtype)


def _orthogonal_unit(u):
    """A unit vector orthogonal to each unit vector `u` (last axis).

    Gram-Schmidt of the coordinate axis `e_k` with the smallest `|u_k|`
    (`|u_k| <= 1/sqrt(n)`, so `||e_k - u_k u|| >= sqrt(1 - 1/n)`: no
    cancellation).
    """
    k = np.argmin(np.abs(u), axis=-1)
    e = np.zeros_like(u)
    np.put_along_axis(e, k[..., None], 1.0, axis=-1)
    v = e - np.take_along_axis(u, k[..., None], axis=-1) * u
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def hammer_projection(xyz):
    """Hammer (equal-area) projection of points of R^3 by their direction.

    With longitude `lam = atan2(y, x)` in `(-pi, pi]` and latitude
    `phi = atan2(z, sqrt(x^2 + y^2))` in `[-pi/2, pi/2]`:

        X = 2 sqrt(2) cos(phi) sin(lam / 2) / sqrt(1 + cos(phi) cos(lam / 2))
        Y =   sqrt(2) sin(phi)              / sqrt(1 + cos(phi) cos(lam / 2))

    The sphere maps onto the ellipse `(X / 2 sqrt(2))^2 + (Y / sqrt(2))^2 <= 1`;
    `(1, 0, 0)` maps to the centre `(0, 0)`, the poles `(0, 0, +-1)` to
    `(0, +-sqrt(2))`, and `(-1, 0, 0)` to the edge `(+-2 sqrt(2), 0)` (the
    sign of `y` picks the side). Only the direction of each point is used;
    the zero vector has none and maps to `(nan, nan)` (not drawn).

    Args:
        xyz: array `(..., 3)`.

    Returns:
        float64 array `(..., 2)`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import hammer_projection
    >>> hammer_projection(np.array([[1.0, 0, 0], [0, 0, 5.0]])).round(4).tolist()
    [[0.0, 0.0], [0.0, 1.4142]]
    """
    xyz = to_numpy(xyz, "xyz").astype("float64")
    if xyz.ndim == 0 or xyz.shape[-1] != 3:
        raise ValueError(
            f"`xyz` must have a last axis of size 3. Received: xyz.shape={xyz.shape}"
        )
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    r = np.sqrt(x * x + y * y + z * z)
    rho = np.hypot(x, y)
    lam = np.arctan2(y, x)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_phi, sin_phi = rho / r, z / r  # nan for the zero vector
    # 1 + cos(phi) cos(lam/2) >= 1 since |lam| <= pi: no division by zero.
    scale = np.sqrt(2.0) / np.sqrt(1.0 + cos_phi * np.cos(lam / 2))
    return np.stack([2.0 * cos_phi * np.sin(lam / 2) * scale, sin_phi * scale], -1)


def three_group_average(z, normalize=True):
    """Reduce `n`-dimensional latents to 3D: mean over three groups of dims.

    The 3D view of the latent sphere (SPEC section 6; 001 Fig. 1b): split the
    `n` dimensions into three contiguous groups as equal as possible (sizes
    differ by at most one, the larger groups first, as `np.array_split`),
    average each group, then normalize to the unit sphere. For `n = 3` this
    is just the direction of `z`. A vector whose three group means are all
    zero has no direction and stays the zero vector.

    Args:
        z: array `(N, n)` with `n >= 3`.
        normalize: whether to project the group means onto the unit sphere.

    Returns:
        float64 array `(N, 3)`.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import three_group_average
    >>> z = np.array([[1.0, 1.0, 2.0, 2.0, 2.0, 2.0]])  # groups of 2
    >>> three_group_average(z, normalize=False).tolist()
    [[1.0, 2.0, 2.0]]
    >>> three_group_average(z).round(4).tolist()  # divided by ||(1, 2, 2)|| = 3
    [[0.3333, 0.6667, 0.6667]]
    """
    z = as_latents(z, min_dim=3)
    groups = np.array_split(np.arange(z.shape[-1]), 3)
    out = np.stack([z[:, g].mean(axis=-1) for g in groups], axis=-1)
    if normalize:
        norm = np.linalg.norm(out, axis=-1, keepdims=True)
        # The zero vector has no direction: keep it (0 / 1).
        out = out / np.where(norm > 0, norm, 1.0)
    return out


def spherical_cosines_numpy(x):
    """`cos(phi_k)` of each row of `x` (`keras_hsvae.ops.spherical_cosines`).

    Args:
        x: array `(N, n)`, `n >= 2`.

    Returns:
        float64 array `(N, n - 1)`.
    """
    x = to_numpy(x, "x").astype("float64")
    # float32 on every backend (JAX without x64 has no float64): enough for
    # a histogram of values in [-1, 1].
    _, cosines = spherical_cosines(ops.convert_to_tensor(x.astype("float32")))
    return np.asarray(ops.convert_to_numpy(cosines), "float64")


def per_dimension_histograms(values, bins=50, value_range=None):
    """Histogram of every column of `values` on shared bins, with its moments.

    The data of the heat maps of 001 Figs. 6, 8, 9: row `d` of `counts` is the
    histogram of `values[:, d]` over the same `bins` equal bins.

    Args:
        values: array `(N, D)`.
        bins: integer >= 1, the number of bins.
        value_range: `(low, high)` of the bins, or None for the finite data
            range (widened by 0.5 on each side when it is a single value).

    Returns:
        Tuple `(counts, edges, mean, std)`: integer `counts (D, bins)`,
        `edges (bins + 1,)`, and the per-column mean and (population)
        standard deviation, each `(D,)`. Values outside `value_range` are not
        counted (but enter the moments).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.plots import per_dimension_histograms
    >>> values = np.array([[0.0, 1.0], [1.0, 1.0]])
    >>> counts, edges, mean, std = per_dimension_histograms(values, 2, (0, 1))
    >>> counts.tolist(), edges.tolist(), mean.tolist(), std.tolist()
    ([[1, 1], [0, 2]], [0.0, 0.5, 1.0], [0.5, 1.0], [0.5, 0.0])
    """
    values = to_numpy(values, "values").astype("float64")
    if values.ndim != 2 or values.shape[0] < 1:
        raise ValueError(
            f"`values` must have shape (N, D), N >= 1. Received: "
            f"values.shape={values.shape}"
        )
    bins = check_int("bins", bins, 1)
    if value_range is None:
        finite = values[np.isfinite(values)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if low == high:  # one value: np.histogram's own +-0.5 widening
            low, high = low - 0.5, high + 0.5
    else:
        low, high = (float(v) for v in value_range)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(
                "`value_range` must be (low, high) with finite low < high. "
                f"Received: value_range={value_range!r}"
            )
    edges = np.linspace(low, high, bins + 1)
    counts = np.stack(
        [np.histogram(column, bins=edges)[0] for column in values.T], axis=0
    )
    return counts, edges, values.mean(axis=0), values.std(axis=0)
