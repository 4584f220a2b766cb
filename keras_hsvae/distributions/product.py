"""Products of independent spherical distributions ("shells", SPEC §4)."""

from keras import ops

from keras_hsvae.distributions.base import Distribution
from keras_hsvae.distributions.hyperspherical_uniform import HypersphericalUniform
from keras_hsvae.distributions.kl import kl_divergence, register_kl
from keras_hsvae.distributions.von_mises_fisher import VonMisesFisher
from keras_hsvae.ops.random import seed_generator
from keras_hsvae.ops.vmf import sample_vmf_cosine, vmf_kl_to_uniform


def _check_shells(shells, cls, name):
    shells = list(shells)
    if not shells:
        raise ValueError(f"`shells` of {name} must be a non-empty list. Received: []")
    for i, shell in enumerate(shells):
        if not isinstance(shell, cls):
            raise ValueError(
                f"Every shell of {name} must be a {cls.__name__}. "
                f"Received: shells[{i}]={shell!r}"
            )
    dtypes = {shell.dtype for shell in shells}
    if len(dtypes) > 1:
        raise ValueError(
            f"All shells of {name} must share one dtype. Received: {sorted(dtypes)}"
        )
    return shells


class _Product(Distribution):
    # Each method is available when every shell provides it (set per instance
    # in `__init__`: e.g. a product of uniforms has no mode).
    supported_methods = ("sample", "log_prob", "mode", "mean", "entropy")

    def __init__(self, shells, cls, name):
        shells = _check_shells(shells, cls, name)
        batch = shells[0].batch_shape
        for i, shell in enumerate(shells):
            if shell.batch_shape != batch and shell.batch_shape and batch:
                raise ValueError(
                    f"All shells of {name} must share one batch shape. Received: "
                    f"shells[0].batch_shape={batch}, "
                    f"shells[{i}].batch_shape={shell.batch_shape}"
                )
        batch = max((s.batch_shape for s in shells), key=len)
        self.shells = shells
        self.dims = tuple(shell.dim for shell in shells)
        self.supported_methods = tuple(
            method
            for method in type(self).supported_methods
            if all(method in shell.supported_methods for shell in shells)
        )
        super().__init__(sum(self.dims), shells[0].dtype, batch, name)

    def _check_supported(self, method):
        if method not in self.supported_methods:
            raise self._unsupported(method)

    def _split(self, x):
        x = ops.convert_to_tensor(x, self.dtype)
        if x.shape[-1] is not None and x.shape[-1] != self.dim:
            raise ValueError(
                f"Expected points with last dimension {self.dim} (shells "
                f"{list(self.dims)}). Received: x.shape={tuple(x.shape)}"
            )
        pieces, start = [], 0
        for d in self.dims:
            pieces.append(x[..., start : start + d])
            start += d
        return pieces

    def sample(self, sample_shape=(), seed=None):
        """Concatenated draws of every shell: `sample_shape + batch + (sum m_i,)`."""
        self._check_supported("sample")
        seed = seed_generator(seed)
        draws = [shell.sample(sample_shape, seed=seed) for shell in self.shells]
        # Shells with a scalar batch next to batched ones: broadcast by adding
        # a zero of the other draws' batch shape (works for unknown sizes).
        zero = sum(ops.zeros_like(d[..., :1]) for d in draws)
        return ops.concatenate([d + zero for d in draws], axis=-1)

    def log_prob(self, x):
        """Sum of the shells' log densities of the matching slices of `x`."""
        self._check_supported("log_prob")
        return sum(s.log_prob(p) for s, p in zip(self.shells, self._split(x)))

    def entropy(self):
        self._check_supported("entropy")
        return sum(shell.entropy() for shell in self.shells)

    def mean(self):
        self._check_supported("mean")
        return self._concat([shell.mean() for shell in self.shells])

    def mode(self):
        self._check_supported("mode")
        return self._concat([shell.mode() for shell in self.shells])

    def _concat(self, parts):
        # Shells with a scalar batch next to batched ones: broadcast by adding
        # a zero of the other parts' batch shape (works for unknown sizes).
        zero = sum(ops.zeros_like(p[..., :1]) for p in parts)
        return ops.concatenate([p + zero for p in parts], axis=-1)


class ProductHypersphericalUniform(_Product):
    """Product of uniform distributions on spheres S^{m_1-1} x ... x S^{m_K-1}.

    Args:
        dims: list of ints >= 2, the ambient size of each shell.
        dtype: float dtype.

    Example:

    >>> from keras_hsvae.distributions import ProductHypersphericalUniform
    >>> p = ProductHypersphericalUniform([3, 3])
    >>> round(float(p.entropy()), 6)  # 2 log(4 pi)
    5.062048
    """

    def __init__(self, dims, dtype="float32", name="ProductHypersphericalUniform"):
        dims = list(dims) if not isinstance(dims, int) else [dims]
        shells = [HypersphericalUniform(d, dtype) for d in dims]
        super().__init__(shells, HypersphericalUniform, name)


class ProductSpherical(_Product):
    """Independent spherical distributions side by side (SPEC §4).

    `z = concat(z_1, ..., z_K)` with `z_i ~ q_i` on S^{m_i - 1}, each `q_i` a
    distribution on its sphere (vMF, Power Spherical, ...); the KL to the
    product of uniforms is the sum of the per-shell KLs, which
    `kl_per_shell` returns separately (a shell whose KL -> 0 is ignored by the
    model; Davidson et al. 2019, appendix B).

    Args:
        shells: list of spherical distributions with equal batch shapes and
            dtypes.

    Example:

    >>> from keras_hsvae.distributions import (
    ...     PowerSpherical, ProductSpherical, VonMisesFisher)
    >>> q = ProductSpherical([VonMisesFisher([1.0, 0.0], 1.0),
    ...                       PowerSpherical([0.0, 0.0, 1.0], 2.0)])
    >>> q.dims, tuple(q.mode().shape)
    ((2, 3), (5,))
    """

    shell_class = Distribution

    def __init__(self, shells, name="ProductSpherical"):
        super().__init__(shells, self.shell_class, name)
        self._kl_per_shell = None

    def kl_per_shell(self, p=None):
        """List of per-shell KLs to the uniform distribution on each shell.

        Computed once per distribution object (its parameters are fixed): the
        loss and the logged `kl_shell_<i>` of a training step share the same
        tensors instead of evaluating the Bessel functions twice.
        """
        if self._kl_per_shell is None:
            self._kl_per_shell = [
                kl_divergence(shell, HypersphericalUniform(shell.dim, shell.dtype))
                for shell in self.shells
            ]
        return list(self._kl_per_shell)


class ProductVonMisesFisher(ProductSpherical):
    """Independent vMF shells side by side (product S-VAE, SPEC §4).

    `z = concat(z_1, ..., z_K)` with `z_i ~ vMF(mu_i, kappa_i)` on S^{m_i - 1};
    the KL to the product of uniforms is the sum of the per-shell KLs, which
    `kl_per_shell` returns separately (a shell whose KL -> 0 is ignored by the
    model; Davidson et al. 2019, appendix B).

    Args:
        shells: list of `VonMisesFisher` with equal batch shapes and dtypes.

    Example:

    >>> from keras_hsvae.distributions import (
    ...     ProductHypersphericalUniform, ProductVonMisesFisher, VonMisesFisher,
    ...     kl_divergence)
    >>> q = ProductVonMisesFisher([VonMisesFisher([1.0, 0.0], 1.0),
    ...                            VonMisesFisher([0.0, 0.0, 1.0], 2.0)])
    >>> q.dims
    (2, 3)
    >>> kl = kl_divergence(q, ProductHypersphericalUniform([2, 3]))
    >>> bool(abs(float(kl) - sum(float(k) for k in q.kl_per_shell())) < 1e-6)
    True
    """

    shell_class = VonMisesFisher

    def __init__(self, shells, name="ProductVonMisesFisher"):
        super().__init__(shells, name)

    def kl_per_shell(self, p=None):
        """Per-shell KLs to the uniform distributions, in one Bessel pass.

        The values of one `kl_divergence` per shell (to rounding: 6e-7
        relative in float32 on TensorFlow, equal on JAX and PyTorch): the
        shells' concentrations go through `vmf_kl_to_uniform` together, one column
        (and Bessel order) per shell, so a step runs one set of Bessel
        operations instead of one per shell (thousands of small operations
        each in PyTorch's eager mode).
        """
        if self._kl_per_shell is None:
            kappas = ops.stack([shell._kappa_batch() for shell in self.shells], -1)
            kl = vmf_kl_to_uniform(list(self.dims), kappas)
            self._kl_per_shell = [kl[..., i] for i in range(len(self.shells))]
        return list(self._kl_per_shell)

    def sample(self, sample_shape=(), seed=None):
        """Concatenated draws of every shell: `sample_shape + batch + (sum m_i,)`.

        The cosines `w_i = mu_i^T z_i` of all shells are drawn together (one
        rejection loop with a column per shell), then each shell places its
        own on its sphere.
        """
        return self._sample(sample_shape, seed, correction=False)

    def sample_with_score_correction(self, sample_shape=(), seed=None):
        """`(z, c)`: a sample and the sum of the shells' score corrections.

        See `VonMisesFisher.sample_with_score_correction`.
        """
        return self._sample(sample_shape, seed, correction=True)

    def _sample(self, sample_shape, seed, correction):
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        work = self.shells[0]._compute_dtype
        kappas = [ops.cast(shell._kappa_batch(), work) for shell in self.shells]
        # Shells with a scalar batch next to batched ones: broadcast by adding
        # a zero of the others' batch shape (works for unknown sizes).
        zero = sum(ops.zeros_like(k) for k in kappas)
        kappa = ops.stack([k + zero for k in kappas], axis=-1)
        shape = tuple(sample_shape) + tuple(ops.shape(kappa))
        seed = seed_generator(seed)
        outputs = sample_vmf_cosine(
            shape,
            list(self.dims),
            kappa,
            seed,
            max(shell.max_proposals for shell in self.shells),
            return_score_correction=correction,
        )
        w, one_minus_w = outputs[0], outputs[1]
        z = ops.concatenate(
            [
                shell._assemble(w[..., i], one_minus_w[..., i], shape[:-1], seed)
                for i, shell in enumerate(self.shells)
            ],
            axis=-1,
        )
        if not correction:
            return z
        return z, ops.cast(ops.sum(outputs[2], axis=-1), self.dtype)


@register_kl(ProductSpherical, ProductHypersphericalUniform)
def _kl_product(q, p):
    if q.dims != p.dims:
        raise ValueError(
            f"Shell sizes differ: q.dims={list(q.dims)}, p.dims={list(p.dims)}"
        )
    return sum(q.kl_per_shell())
