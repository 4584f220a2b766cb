"""Importance-sampled log-likelihood: the host reduction in float64, per example."""

import numpy as np
from keras import ops

from keras_hsvae import evaluation


class _Constant:
    """A distribution whose draws are 0 and whose log-density is `value`."""

    def __init__(self, batch, value):
        self.batch, self.value = batch, value

    def sample(self, sample_shape, seed=None):
        return ops.zeros(tuple(sample_shape) + (self.batch, 1))

    def log_prob(self, z):
        return ops.full(ops.shape(z)[:-1], self.value, dtype="float32")


class _KnownWeights:
    """The hooks of a VAE with `log p(x|z) = x[:, 0]`, `log p(z) = c`,
    `log q(z|x) = 0`: every importance weight of example i is `x_i + c`."""

    def __init__(self, log_prior):
        self.log_prior = log_prior

    def posterior_distribution(self, x):
        return _Constant(int(x.shape[0]), 0.0)

    def prior_distribution(self):
        return _Constant(None, self.log_prior)

    def decoder(self, z, training=False):
        return z

    def log_likelihood(self, x, raw):
        return x[:, 0]


def test_log_weights_are_summed_and_reduced_per_example_in_float64():
    # float32 inputs; the estimate is float64(x_i) + float64(c) exactly. In
    # float32, -12345.678 + 0.001234 would round to a multiple of 2**-10, and
    # one shift for the whole batch (its max, -1.5) would underflow
    # exp(-12344) to 0 and give -inf for the first example.
    x = np.array([[-12345.678], [-1.5]], "float32")
    c = np.float32(0.001234)
    expected = x[:, 0].astype("float64") + np.float64(c)
    for num_samples, max_points in ((1, 20000), (3, 2)):
        got = evaluation.importance_sampled_log_likelihood(
            _KnownWeights(float(c)), x, num_samples=num_samples,
            max_points=max_points, return_per_example=True,
        )  # fmt: skip
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, expected)
