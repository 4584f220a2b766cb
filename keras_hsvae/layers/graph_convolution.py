"""The graph convolution of Kipf & Welling, as a layer."""

import keras
from keras import ops

from keras_hsvae.ops._backend_distribute import replica_seed


@keras.saving.register_keras_serializable(package="keras_hsvae")
class GraphConvolution(keras.layers.Layer):
    """Graph convolution `activation(A_hat @ X @ W (+ b))`.

    `A_hat` is the normalized adjacency `D^-1/2 (A + I) D^-1/2`, computed
    once per graph and passed to every call: the layer does not normalize
    it again. It is a dense tensor (`keras_hsvae.ops.graph.
    normalize_adjacency`) or, on TensorFlow and JAX, a sparse one
    (`sparse_normalized_adjacency` from an edge list: O(E) memory instead
    of O(N^2); the same result to float tolerance). With
    `units=None` the layer has no weights and only propagates,
    `activation(A_hat @ X)`: a GCN layer followed by a dense layer computes
    `A_hat (H W) = (A_hat H) W`, which is how the graph auto-encoders put a
    posterior's dense heads on top of a propagation.

    Args:
        units: int >= 1, the output size; or None (propagation only, no
            weights; the output has the input's size).
        activation: activation function (name or callable), default none.
        use_bias: whether to add a bias after the propagation (False in
            Kipf & Welling's GCN and graph auto-encoders).
        dropout: float in [0, 1), dropout on the node features before the
            product, in training only (as in Kipf & Welling).
        kernel_initializer: initializer of the kernel (Glorot uniform, as
            in Kipf & Welling).
        bias_initializer: initializer of the bias.
        seed: int or None, seeds the dropout.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a pair `(features, adjacency)`: node features `(..., N, F)`
            and the normalized adjacency `(..., N, N)`, dense or sparse
            (the same leading axes, or none: one graph shared by the
            batch).
        training: Python bool, whether dropout is applied.

    Input shape:
        `[(..., N, F), (..., N, N)]`.

    Output shape:
        `(..., N, units)` (`(..., N, F)` when `units=None`).

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from keras_hsvae.ops.graph import normalize_adjacency
    >>> a = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], "float32")
    >>> x = np.eye(3, dtype="float32")
    >>> layer = GraphConvolution(4, activation="relu")
    >>> h = layer([x, normalize_adjacency(a)])
    >>> tuple(h.shape)
    (3, 4)

    Reference:
        Kipf & Welling, "Semi-Supervised Classification with Graph
        Convolutional Networks", ICLR 2017, eq. 2; and "Variational Graph
        Auto-Encoders", NIPS Bayesian Deep Learning workshop 2016.
    """

    def __init__(
        self,
        units=None,
        activation=None,
        use_bias=False,
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if units is not None and (
            isinstance(units, bool) or not isinstance(units, int) or units < 1
        ):
            raise ValueError(
                f"`units` must be a positive integer or None. Received: units={units!r}"
            )
        if isinstance(dropout, bool) or not (0.0 <= dropout < 1.0):
            raise ValueError(
                f"`dropout` must be a float in [0, 1). Received: dropout={dropout!r}"
            )
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.dropout = float(dropout)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        features_shape = input_shape[0]
        size = features_shape[-1] if self.units is None else self.units
        if self.units is not None:
            self.kernel = self.add_weight(
                name="kernel",
                shape=(features_shape[-1], self.units),
                initializer=self.kernel_initializer,
            )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(size,), initializer=self.bias_initializer
            )
        self.built = True

    def call(self, inputs, training=None):
        features, adjacency = inputs
        features = ops.cast(features, self.compute_dtype)
        adjacency = ops.cast(adjacency, self.compute_dtype)
        if training and self.dropout > 0:
            features = keras.random.dropout(
                features, self.dropout, seed=replica_seed(self.seed_generator)
            )
        if self.units is not None:
            # A (X W): X W first, the cheaper order when units < F.
            features = ops.matmul(features, ops.cast(self.kernel, self.compute_dtype))
        outputs = ops.matmul(adjacency, features)
        if self.use_bias:
            outputs = outputs + ops.cast(self.bias, self.compute_dtype)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        features_shape = tuple(input_shape[0])
        size = features_shape[-1] if self.units is None else self.units
        return features_shape[:-1] + (size,)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "dropout": self.dropout,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "seed": self.seed,
        }
        return {**base_config, **config}
