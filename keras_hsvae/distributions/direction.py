"""Argument handling shared by the distributions parameterized by a mean
direction and a concentration (vMF, Power Spherical)."""

import numpy as np
from keras import backend, ops

from keras_hsvae.distributions.base import (
    check_dim,
    concrete_value,
    float_tensor,
    unit_tolerance,
)
from keras_hsvae.ops._dtypes import compute_dtype


def prepare_direction_and_concentration(
    mean_direction, concentration, normalize, validate_args, dtype, name
):
    """Shared argument handling for distributions parameterized by (mu, kappa).

    Returns `(mean_direction, concentration, dim, batch_shape, dtype)`.
    """
    if dtype is not None and compute_dtype(dtype) != backend.standardize_dtype(dtype):
        # Half types: through float32, so that a value float16 cannot hold
        # becomes inf (rejected below) instead of a numpy overflow warning.
        mu = ops.cast(float_tensor(mean_direction, "float32", "mean_direction"), dtype)
    else:
        mu = float_tensor(mean_direction, dtype, "mean_direction")
    dtype = backend.standardize_dtype(mu.dtype)
    # Half types: convert through float32 and cast, so that a value float16
    # cannot hold becomes inf (rejected below) instead of a numpy warning.
    kappa = float_tensor(concentration, compute_dtype(dtype), "concentration")
    kappa = ops.cast(kappa, dtype)
    if len(mu.shape) == 0:
        raise ValueError(
            f"`mean_direction` must have at least one axis (the event axis of "
            f"size m). Received: mean_direction.shape={tuple(mu.shape)}"
        )
    dim = check_dim(mu.shape[-1], "dim")
    batch_shape = _broadcast_static(tuple(mu.shape[:-1]), tuple(kappa.shape))
    if batch_shape is None:
        raise ValueError(
            "`concentration` must broadcast with the batch shape of "
            f"`mean_direction` (all axes but the last). Received: "
            f"concentration.shape={tuple(kappa.shape)}, "
            f"mean_direction.shape={tuple(mu.shape)}"
        )
    if validate_args:
        mu_value = concrete_value(mu)
        if mu_value is not None and not np.all(np.isfinite(mu_value)):
            raise ValueError(
                f"`mean_direction` of {name} must be finite in {dtype} "
                f"(float16 overflows above 65504). Received: "
                f"mean_direction containing {mu_value[~np.isfinite(mu_value)][:3]}"
            )
        kappa_value = concrete_value(kappa)
        if kappa_value is not None:
            bad = ~np.isfinite(kappa_value) | (kappa_value < 0)
            if np.any(bad):
                raise ValueError(
                    f"`concentration` of {name} must be finite and >= 0 in "
                    f"{dtype} (float16 overflows above 65504). Received: "
                    f"concentration={kappa_value[bad].ravel()[:5]}"
                )
        if mu_value is not None and not normalize:
            norms = np.linalg.norm(mu_value.astype(np.float64), axis=-1)
            tol = unit_tolerance(str(dtype))
            off = np.abs(norms - 1.0) > tol
            if np.any(off):
                raise ValueError(
                    f"`mean_direction` of {name} must contain unit vectors "
                    f"(|norm - 1| <= {tol}); pass `normalize=True` to normalize. "
                    f"Received: mean_direction with norms {norms[off].ravel()[:5]}"
                )
    if normalize:
        norm = ops.sqrt(ops.sum(mu * mu, axis=-1, keepdims=True))
        if validate_args:
            norm_value = concrete_value(norm)
            if norm_value is not None and np.any(norm_value == 0):
                raise ValueError(
                    "`mean_direction` cannot be normalized: it contains a zero "
                    "vector. Received: mean_direction with a zero row"
                )
        mu = mu / norm
    return mu, kappa, dim, batch_shape, str(dtype)


def _broadcast_static(a, b):
    """numpy-style broadcast of two static shapes; None (unknown) matches all.

    Returns None when the shapes cannot broadcast.
    """
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        elif x is None or y is None:
            out.append(y if x is None else x)
        else:
            return None
    return tuple(reversed(out))
