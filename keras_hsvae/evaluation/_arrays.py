"""Input checks shared by the numpy metrics."""

import numpy as np


def as_points(x, name, min_points=1, allow_1d=False):
    """`x` as a finite float64 array `(num_points, dim)`.

    Args:
        x: array-like `(num_points, dim)` (or `(num_points,)` with
            `allow_1d`, read as points of dimension 1).
        name: the argument's name, quoted in the errors.
        min_points: the fewest rows accepted.
        allow_1d: whether a 1-D `x` is accepted.

    Returns:
        float64 NumPy array `(num_points, dim)`.
    """
    x = np.asarray(x, dtype=np.float64)
    if allow_1d and x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < min_points:
        shapes = f"(num_points >= {min_points}, dim)"
        if allow_1d:
            shapes = f"an array {shapes} or (num_points,)"
        else:
            shapes = f"a 2-D array {shapes}"
        raise ValueError(f"`{name}` must be {shapes}. Received: {name}.shape={x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` must be finite. Received: {name} with NaN/inf")
    return x
