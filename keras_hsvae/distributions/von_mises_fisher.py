"""The von Mises-Fisher distribution on the sphere S^{m-1}."""

from keras import ops

from keras_hsvae.distributions.base import (
    Distribution,
)
from keras_hsvae.distributions.direction import prepare_direction_and_concentration
from keras_hsvae.distributions.hyperspherical_uniform import HypersphericalUniform
from keras_hsvae.distributions.kl import register_kl
from keras_hsvae.ops._dtypes import compute_dtype
from keras_hsvae.ops.householder import householder_reflect
from keras_hsvae.ops.random import sample_uniform_sphere, seed_generator
from keras_hsvae.ops.vmf import (
    DEFAULT_MAX_PROPOSALS,
    sample_vmf_cosine,
    vmf_entropy,
    vmf_kl_to_uniform,
    vmf_log_normalizer,
    vmf_mean_resultant_length,
)


class VonMisesFisher(Distribution):
    """The von Mises-Fisher distribution on the unit sphere S^{m-1} in R^m.

    Density `q(z) = C_m(kappa) exp(kappa mu^T z)` with respect to the surface
    measure, `C_m(kappa) = kappa^v / ((2 pi)^{m/2} I_v(kappa))`, `v = m/2 - 1`.
    Every quantity is computed in log space through the normalized Bessel
    function (see `keras_hsvae.ops.bessel`): finite and accurate for m up to
    thousands and kappa from 0 to 1e6 in float32 and float64.

    Sampling uses Wood's rejection algorithm (exact inversion for m = 3) with
    a bounded, vectorized block of proposals, rotated to `mean_direction` by a
    Householder reflection; samples are differentiable with respect to
    `concentration` and `mean_direction` in every dimension.

    float16 and bfloat16 distributions compute in float32 and round every
    result once to their dtype (float16 cannot hold `concentration` above
    65504: such values are rejected as non-finite).

    Args:
        mean_direction: float tensor `(..., m)` of unit vectors; `m >= 2` is the
            ambient size (samples lie on S^{m-1}) and must be static.
        concentration: float tensor broadcastable to `mean_direction.shape[:-1]`,
            `kappa >= 0` (0 is the uniform distribution).
        normalize: if True, divide `mean_direction` by its norm instead of
            requiring unit vectors.
        validate_args: check the arguments (and the points given to
            `log_prob`: unit vectors) when their values are available
            (eagerly); skipped under tracing. Raises `ValueError` naming the
            offending value.
        dtype: optional float dtype (default: that of `mean_direction`).
        max_proposals: Wood proposals per sample (see `sample`).

    Example:

    >>> from keras_hsvae.distributions import VonMisesFisher
    >>> q = VonMisesFisher([0.0, 0.0, 1.0], 2.0)
    >>> round(float(q.mean_resultant_length()), 6)  # coth(2) - 1/2
    0.537315
    >>> tuple(q.sample((4,), seed=0).shape)
    (4, 3)

    Reference:
        Davidson et al., "Hyperspherical Variational Auto-Encoders", UAI 2018.
        Wood, "Simulation of the von Mises Fisher distribution", 1994.
    """

    def __init__(
        self,
        mean_direction,
        concentration,
        normalize=False,
        validate_args=True,
        dtype=None,
        max_proposals=DEFAULT_MAX_PROPOSALS,
        name="VonMisesFisher",
    ):
        if int(max_proposals) != max_proposals or max_proposals < 1:
            raise ValueError(
                "`max_proposals` must be a positive integer. "
                f"Received: max_proposals={max_proposals}"
            )
        mu, kappa, dim, batch_shape, dtype = prepare_direction_and_concentration(
            mean_direction, concentration, normalize, validate_args, dtype, name
        )
        super().__init__(dim, dtype, batch_shape, name)
        self._mean_direction = mu
        self._concentration = kappa
        self.validate_args = validate_args
        self.max_proposals = int(max_proposals)

    @property
    def mean_direction(self):
        return self._mean_direction

    @property
    def concentration(self):
        return self._concentration

    supported_methods = ("sample", "log_prob", "mode", "mean", "entropy")

    def _kappa_batch(self):
        # Broadcast by addition: works with unknown (None) batch sizes too.
        return self._concentration + ops.zeros_like(self._mean_direction[..., 0])

    @property
    def _compute_dtype(self):
        # float16 / bfloat16: special functions and sampling run in float32.
        return compute_dtype(self.dtype)

    def sample(self, sample_shape=(), seed=None):
        """Draw samples of shape `sample_shape + batch_shape + (m,)`.

        Args:
            sample_shape: int or tuple of ints.
            seed: int, `keras.random.SeedGenerator` or None.
        """
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        kappa = ops.cast(self._kappa_batch(), self._compute_dtype)
        shape = tuple(sample_shape) + tuple(ops.shape(kappa))
        seed = seed_generator(seed)
        w, one_minus_w = sample_vmf_cosine(
            shape, self.dim, kappa, seed, self.max_proposals
        )
        return self._assemble(w, one_minus_w, shape, seed)

    def _assemble(self, w, one_minus_w, shape, seed):
        """z = H(mu) (w, sqrt(1 - w^2) v) with v uniform on S^{m-2}."""
        work = self._compute_dtype
        w = ops.expand_dims(w, -1)
        # sqrt(1 - w^2) = sqrt((1 - w)(1 + w)) keeps precision as w -> 1.
        sin_sq = one_minus_w * (2.0 - one_minus_w)
        # w = +-1 exactly (a uniform draw of exactly 0 or 1 for m = 3, a Beta
        # proposal of 0): sin_sq = 0, where sqrt has an infinite derivative
        # that turns the zero derivative of sin_sq into NaN. A safe 1 inside
        # the sqrt, and sin = 0 there (its derivative is 0 at these points).
        positive = sin_sq > 0.0
        safe = ops.where(positive, sin_sq, ops.ones_like(sin_sq))
        sin = ops.where(positive, ops.sqrt(safe), ops.zeros_like(sin_sq))
        tangent = sample_uniform_sphere(shape, self.dim - 1, work, seed)
        z = ops.concatenate([w, ops.expand_dims(sin, -1) * tangent], axis=-1)
        mu = ops.cast(self._mean_direction, work)
        return ops.cast(householder_reflect(z, mu), self.dtype)

    def sample_with_score_correction(self, sample_shape=(), seed=None):
        """Return `(z, c)`: a sample and its score-function correction.

        `c` has value 0 and the batch shape of `z`; adding `stop_gradient(f) *
        c` to a per-sample objective `f(z)` makes its gradient with respect to
        `concentration` unbiased (the `g_cor` term of Naesseth et al. 2017;
        without it the rejection sampler's gradient is biased for m != 3).
        """
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        kappa = ops.cast(self._kappa_batch(), self._compute_dtype)
        shape = tuple(sample_shape) + tuple(ops.shape(kappa))
        seed = seed_generator(seed)
        w, one_minus_w, correction = sample_vmf_cosine(
            shape,
            self.dim,
            kappa,
            seed,
            self.max_proposals,
            return_score_correction=True,
        )
        z = self._assemble(w, one_minus_w, shape, seed)
        return z, ops.cast(correction, self.dtype)

    def log_prob(self, x):
        """Log density at unit vectors `x` (`(..., m)`), w.r.t. surface measure."""
        work = self._compute_dtype
        x = ops.cast(self._points(x, on_sphere=True), work)
        kappa = ops.cast(self._concentration, work)
        cos = ops.sum(x * ops.cast(self._mean_direction, work), axis=-1)
        # kappa (mu^T x - 1) + (kappa + log C): both parts stay O(log kappa)
        # near the mode, where kappa mu^T x and log C are each O(kappa).
        log_c_plus_kappa = vmf_log_normalizer(self.dim, kappa) + kappa
        return ops.cast(kappa * (cos - 1.0) + log_c_plus_kappa, self.dtype)

    def entropy(self):
        return vmf_entropy(self.dim, self._kappa_batch())

    def mean_resultant_length(self):
        """`A_m(kappa) = E[mu^T z] = I_{m/2}(kappa) / I_{m/2-1}(kappa)`."""
        return vmf_mean_resultant_length(self.dim, self._kappa_batch())

    def mean(self):
        """`E[z] = A_m(kappa) mu`."""
        return ops.expand_dims(self.mean_resultant_length(), -1) * self._mean_direction

    def mode(self):
        """The mean direction `mu` (for kappa = 0 every point is a mode)."""
        kappa = ops.expand_dims(self._kappa_batch(), -1)
        return self._mean_direction + ops.zeros_like(kappa)


@register_kl(VonMisesFisher, HypersphericalUniform)
def _kl_vmf_uniform(q, p):
    del p
    return vmf_kl_to_uniform(q.dim, q._kappa_batch())
