"""The uniform distribution on the unit sphere S^{m-1}."""

from keras import ops

from keras_hsvae.distributions.base import Distribution, check_dim
from keras_hsvae.ops.random import check_seed_argument, sample_uniform_sphere
from keras_hsvae.ops.special import log_sphere_area


class HypersphericalUniform(Distribution):
    """Uniform distribution on the unit sphere S^{dim-1} in R^dim.

    Density `Gamma(m/2) / (2 pi^{m/2})` with respect to the surface measure.

    Args:
        dim: int >= 2, the ambient dimension `m` (samples are unit vectors in
            R^m, i.e. they lie on the (m-1)-dimensional sphere S^{m-1}).
        dtype: float dtype of samples and densities.

    Example:

    >>> from keras_hsvae.distributions import HypersphericalUniform
    >>> u = HypersphericalUniform(3)
    >>> round(float(u.entropy()), 6)  # log(4 pi)
    2.531024
    >>> tuple(u.sample((5,), seed=1).shape)
    (5, 3)
    """

    # No mode: every point of the sphere is one.
    supported_methods = ("sample", "log_prob", "mean", "entropy")

    def __init__(self, dim, dtype="float32", name="HypersphericalUniform"):
        dim = check_dim(dim)
        super().__init__(dim, dtype, (), name)

    def sample(self, sample_shape=(), seed=None):
        """Draw `sample_shape + (dim,)` points uniformly on the sphere."""
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        seed = check_seed_argument(seed)  # >= 0 on every backend
        return sample_uniform_sphere(tuple(sample_shape), self.dim, self.dtype, seed)

    def log_prob(self, x):
        """`-log(area of S^{m-1})` for every point (shape `x.shape[:-1]`)."""
        x = self._points(x)
        return ops.zeros_like(x[..., 0]) - log_sphere_area(self.dim, self.dtype)

    def entropy(self):
        """`log(area of S^{m-1})`, the largest entropy on the sphere."""
        return log_sphere_area(self.dim, self.dtype)

    def mean(self):
        """The zero vector of R^m."""
        return ops.zeros((self.dim,), self.dtype)
