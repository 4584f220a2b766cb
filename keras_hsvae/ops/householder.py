"""Householder rotation that carries the first basis vector onto a direction."""

from keras import ops

from keras_hsvae.ops._dtypes import cast_back, finfo, upcast


def householder_reflect(z, mean_direction):
    """Reflect `z` by the Householder map that sends `e_1` to `mean_direction`.

    `H = I - 2 u u^T` with `u = (e_1 - mu) / ||e_1 - mu||` maps `e_1` to `mu`
    and is its own inverse, so samples drawn around `e_1` become samples around
    `mu`. When `mu = e_1` the vector `u` is undefined (0 / 0: NaN in TFP #1211
    and numpyro #859); there the identity is returned, with the gradient of
    the rotation in the plane of `e_1` and `mu` (not zero). `mu = -e_1` is
    regular (`u = e_1`). Half-precision inputs are reflected in float32 and
    the result is rounded once.

    Args:
        z: tensor `(..., m)`, points to reflect (typically drawn around `e_1`).
        mean_direction: tensor `(..., m)` broadcastable to `z`, unit vectors.

    Returns:
        Tensor with the broadcast shape of `z` and `mean_direction`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_hsvae.ops import householder_reflect
    >>> mu = np.array([0.0, 1.0, 0.0], "float32")
    >>> e1 = np.array([1.0, 0.0, 0.0], "float32")
    >>> ops.convert_to_numpy(householder_reflect(e1, mu)).round(6).tolist()
    [0.0, 1.0, 0.0]
    """
    # float16 / bfloat16: ||e_1 - mu||^2 near mu = e_1 is below their 11 / 8
    # bits; reflect in float32 and round once at the end.
    z, dtype = upcast(z)
    mu = ops.cast(mean_direction, z.dtype)
    _check_shapes(z, mu)
    m = ops.shape(mu)[-1]
    e1 = ops.cast(ops.arange(m) == 0, z.dtype)
    diff = e1 - mu
    # ||e_1 - mu||^2 = 2 (1 - mu_1) for unit mu; summing squares keeps precision
    # when mu is close to e_1 (1 - mu_1 would cancel).
    norm_sq = ops.sum(diff * diff, axis=-1, keepdims=True)
    tiny = ops.convert_to_tensor(float(finfo(z.dtype).tiny), z.dtype)
    degenerate = norm_sq <= tiny
    # mu == e_1: the reflection degenerates to the identity; a safe denominator
    # keeps the untaken branch (and its gradient) finite.
    safe_norm_sq = ops.where(degenerate, ops.ones_like(norm_sq), norm_sq)
    proj = ops.sum(diff * z, axis=-1, keepdims=True)
    reflected = z - (2.0 * proj / safe_norm_sq) * diff
    # At mu == e_1 the value is z, and the derivative is that of the rotation
    # in the plane (e_1, mu), smooth there: d z = d_mu z_1 - e_1 (d_mu . z).
    # Without it the gradient to mu would be exactly zero and a mean
    # direction starting at e_1 would never move. `delta` is 0 in value.
    delta = mu - ops.stop_gradient(mu)
    rotated = z + delta * z[..., :1] - e1 * ops.sum(delta * z, axis=-1, keepdims=True)
    out = ops.where(degenerate, rotated, reflected)
    return cast_back(out, dtype)


def _check_shapes(z, mu):
    """Both tensors of vectors with the same (static) size m."""
    m_z = z.shape[-1] if len(z.shape) else None
    m_mu = mu.shape[-1] if len(mu.shape) else None
    if (
        not len(z.shape)
        or not len(mu.shape)
        or (m_z is not None and m_mu is not None and m_z != m_mu)
    ):
        raise ValueError(
            "`z` and `mean_direction` must be tensors of vectors (..., m) of the "
            f"same size m. Received: z.shape={tuple(z.shape)}, "
            f"mean_direction.shape={tuple(mu.shape)}"
        )
