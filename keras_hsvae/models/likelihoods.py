"""Likelihoods `p(x | z)` of the decoders: Bernoulli, Gaussian and p-norm.

A likelihood turns decoder outputs into the per-example reconstruction
term of the training loss (`loss`), a normalized log-density where one
exists (`log_prob`), the decoded mean (`mean`), and checks the data a model
is trained on (`check_data`).
"""

import math

import numpy as np
from keras import ops

from keras_hsvae._validation import check_float
from keras_hsvae.ops.sphere import row_max_abs

NON_FINITE_DATA = (
    "The training data contains NaN or Inf values; a single one turns every "
    "weight into NaN. Remove or impute them first."
)


class Likelihood:
    """Base: `name`, `loss(x, decoded)`, `log_prob`, `mean`, `check_data`."""

    name = None
    # The closed interval the data must lie in, or None (any finite value).
    data_range = None

    def loss(self, x, decoded):
        """Per-example reconstruction term of the loss, shape `(batch,)`."""
        raise NotImplementedError(f"{type(self).__name__}.loss")

    def log_prob(self, x, decoded):
        """Per-example normalized `log p(x | z)`, shape `(batch,)`."""
        raise NotImplementedError(
            f"The {self.name!r} reconstruction loss is not a normalized "
            "likelihood: there is no log p(x | z) (no ELBO or marginal "
            "likelihood for this model)."
        )

    def mean(self, decoded):
        """The decoded data (e.g. Bernoulli probabilities) for outputs."""
        return decoded

    def check_data(self, x):
        """Raise `ValueError` when `x` (numpy) cannot come from this model."""
        x = np.asarray(x)
        if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
            raise ValueError(NON_FINITE_DATA)
        if self.data_range is not None:
            low, high = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
            if low < self.data_range[0] or high > self.data_range[1]:
                raise ValueError(self.range_error(low, high))

    def range_error(self, low=None, high=None):
        """The message for data outside `data_range` (bounds if known)."""
        first, last = self.data_range
        seen = "" if low is None else f" Received: data in [{low:g}, {high:g}]."
        return (
            f"A {self.name.capitalize()} likelihood needs data in "
            f"[{first:g}, {last:g}].{seen} Scale it (e.g. x / 255 for uint8 "
            'images) or choose likelihood="gaussian".'
        )

    def get_config(self):
        return {"name": self.name}


def _per_example_sum(per_pixel, x):
    return ops.sum(ops.reshape(per_pixel, (ops.shape(x)[0], -1)), axis=-1)


class Bernoulli(Likelihood):
    """Independent Bernoulli pixels; the decoder outputs logits.

    `loss` is the binary cross-entropy summed over pixels, which is exactly
    `-log p(x | z)`; `mean` is the sigmoid of the logits. Data must lie in
    [0, 1] (binarized images, or grey levels read as probabilities).
    """

    name = "bernoulli"
    data_range = (0.0, 1.0)

    def loss(self, x, decoded):
        x = ops.cast(x, decoded.dtype)
        per_pixel = ops.binary_crossentropy(x, decoded, from_logits=True)
        return _per_example_sum(per_pixel, x)

    def log_prob(self, x, decoded):
        return -self.loss(x, decoded)

    def mean(self, decoded):
        return ops.sigmoid(decoded)


class Gaussian(Likelihood):
    """Gaussian pixels with the decoder output as mean.

    `loss` is the sum of squared errors (the HSC-VAE paper's loss, 001);
    as a density that is `N(x; decoded, 1/2 I)`, so `log_prob` adds the
    normalizer `-D/2 log(pi)` (D values per example).
    """

    name = "gaussian"

    def loss(self, x, decoded):
        x = ops.cast(x, decoded.dtype)
        return _per_example_sum(ops.square(x - decoded), x)

    def log_prob(self, x, decoded):
        num_values = math.prod(ops.shape(x)[1:])
        return -self.loss(x, decoded) - 0.5 * num_values * math.log(math.pi)


class PNorm(Likelihood):
    """The SAE loss `||x - x_hat||_p` (not raised to the p-th power).

    Not a likelihood: `log_prob` raises `NotImplementedError`.

    Args:
        p: float >= 1.
    """

    name = "p_norm"

    def __init__(self, p=2.0):
        self.p = check_float("p", p, minimum=1)

    def loss(self, x, decoded):
        x = ops.cast(x, decoded.dtype)
        residual = ops.reshape(x - decoded, (ops.shape(x)[0], -1))
        return p_norm(residual, self.p)

    def get_config(self):
        return {"name": self.name, "p": self.p}


LIKELIHOODS = {cls.name: cls for cls in (Bernoulli, Gaussian, PNorm)}


def get_likelihood(identifier, **kwargs):
    """A `Likelihood` from its name (`"bernoulli"`, `"gaussian"`, `"p_norm"`)."""
    if isinstance(identifier, Likelihood):
        return identifier
    # A str test first: `[1] in LIKELIHOODS` raises "unhashable type".
    if not isinstance(identifier, str) or identifier not in LIKELIHOODS:
        raise ValueError(
            f"`likelihood` must be one of {tuple(LIKELIHOODS)}. "
            f"Received: likelihood={identifier!r}"
        )
    return LIKELIHOODS[identifier](**kwargs)


def p_norm(x, p):
    """Row-wise `||x||_p = (sum_j |x_j|^p)^(1/p)` of a `(batch, d)` tensor."""
    scale = row_max_abs(x)
    # Divide by max |x_j| first: no overflow of |x|^p for large p or |x|, and
    # a safe divisor (1) for an all-zero row, whose norm is then 0.
    safe = ops.where(scale > 0, scale, ops.ones_like(scale))
    ratio = ops.abs(x) / safe
    total = ops.sum(ops.power(ratio, p), axis=-1)
    # `total >= 1` for a non-zero row; for a zero row use 1 (finite gradient).
    total = ops.where(scale[:, 0] > 0, total, ops.ones_like(total))
    # The exponent as a tensor of total's dtype: Keras' PyTorch `power` makes
    # a Python float exponent float32 (1/3 off by 3e-9: float64 rows 5e-8 off).
    return scale[:, 0] * ops.power(total, ops.convert_to_tensor(1.0 / p, total.dtype))
