"""Warn about a JAX release that miscompiles the library's reductions on CPU.

jaxlib 0.10.2 (jax-ml/jax#39103) rewrites `sum(a * b, axis=-1)` with `b`
broadcast over leading axes into a YNN (XNNPACK) fusion that returns wrong
values on x86-64 CPUs. Measured here: `jax.jit` of the Householder
reflection `z - 2 (u . z) u` for `z` of shape (64, 100, 11) and `u` of shape
(100, 11) returned vectors whose norms were off by up to 1.5 (the plain
`jax.numpy` form, up to 94 in an entry), so `VonMisesFisher.sample((64,))` under
`jit` gave points 0.25 off the unit sphere and an importance-sampled
log-likelihood of -11 nats instead of -91. Eager JAX, jaxlib 0.10.1, and
0.10.2 with `XLA_FLAGS=--xla_cpu_experimental_ynn_fusion_type=` (YNN fusion
off) are correct (`tests/distributions/test_von_mises_fisher.py::
test_compiled_draws_of_many_samples_are_on_the_sphere`).
"""

import os
import warnings

BAD_JAXLIB_VERSIONS = ("0.10.2",)
FLAG = "--xla_cpu_experimental_ynn_fusion_type="


def miscompile_warning(jaxlib_version, xla_flags):
    """The warning for this jaxlib and `XLA_FLAGS`, or None if there is none."""
    if jaxlib_version not in BAD_JAXLIB_VERSIONS:
        return None
    if FLAG in (xla_flags or "").split():
        return None
    return (
        f"jaxlib {jaxlib_version} miscompiles broadcast reductions on CPU under "
        "`jit` (jax-ml/jax#39103): compiled vMF draws and likelihoods can be "
        f"silently wrong. Install jaxlib 0.10.1, or set XLA_FLAGS='{FLAG}' "
        "before JAX starts."
    )


def warn_if_miscompiling():
    """Warn once at import under the JAX backend (see `miscompile_warning`)."""
    import keras

    if keras.backend.backend() != "jax":
        return
    try:
        import jaxlib
    except ImportError:
        return
    message = miscompile_warning(jaxlib.__version__, os.environ.get("XLA_FLAGS"))
    if message is not None:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
