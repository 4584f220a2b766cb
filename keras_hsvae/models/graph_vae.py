"""Variational graph auto-encoders: Gaussian (N-VGAE) and hyperspherical (S-VGAE).

The model of Kipf & Welling (2016) with the latent of the S-VAE paper (002,
section 5.4): a two-layer graph convolutional encoder, a posterior per node
(any registered posterior: Gaussian for the N-VGAE, a spherical one for the
S-VGAE) and the inner-product decoder `p(A_ij = 1 | z) = sigmoid(z_i . z_j)`.

One example is one whole graph: inputs are a dict `{"features": (B, N, F),
"adjacency": (B, N, N)}` holding the *normalized* adjacency
`D^-1/2 (A + I) D^-1/2` (computed once, `graph_inputs` does it; dense, or
sparse on TensorFlow and JAX with `sparse_graph_inputs`), and the
target is the 0/1 adjacency to reconstruct (Kipf & Welling: the training
graph plus self-loops), `(B, N, N)`. Full-batch training on one graph is
`model.fit(inputs, target, batch_size=1, epochs=200)`.
"""

import keras
import numpy as np
from keras import ops

from keras_hsvae import presets
from keras_hsvae._validation import check_beta, check_int, check_seed
from keras_hsvae.layers.graph_convolution import GraphConvolution
from keras_hsvae.layers.posteriors import get_posterior, list_posteriors
from keras_hsvae.layers.posteriors.gaussian import GaussianPosterior
from keras_hsvae.models.base import _loss_dtype, _PresetsDescriptor
from keras_hsvae.ops._backend_distribute import scale_loss_for_replicas
from keras_hsvae.ops.gaussian import gaussian_kl_to_standard_normal
from keras_hsvae.ops.graph import normalize_adjacency, sparse_normalized_adjacency

HEADS = ("dense", "kipf")


def graph_inputs(features, adjacency):
    """The model inputs of one graph: features and normalized adjacency.

    Args:
        features: `(N, F)` node features.
        adjacency: `(N, N)` symmetric 0/1 adjacency (no self-loops needed;
            `I` is added).

    Returns:
        `{"features": (1, N, F), "adjacency": (1, N, N)}`, float32 numpy
        arrays, the adjacency normalized as `D^-1/2 (A + I) D^-1/2`.

    Example:

    >>> import numpy as np
    >>> inputs = graph_inputs(np.eye(3), np.ones((3, 3)) - np.eye(3))
    >>> inputs["adjacency"][0].astype(float).round(3).tolist()[0]
    [0.333, 0.333, 0.333]
    """
    features = np.asarray(features, np.float32)
    adjacency = np.asarray(adjacency, np.float32)
    normalized = ops.convert_to_numpy(normalize_adjacency(adjacency))
    return {
        "features": features[None],
        "adjacency": np.asarray(normalized, np.float32)[None],
    }


def sparse_graph_inputs(features, edges):
    """`graph_inputs` with a sparse normalized adjacency (TensorFlow, JAX).

    The adjacency is built from the edge list without a dense `(N, N)`
    matrix (`keras_hsvae.ops.graph.sparse_normalized_adjacency`); the model
    computes the same embeddings as from `graph_inputs` (float tolerance).
    The reconstruction target stays dense: the decoder scores every pair.

    Args:
        features: `(N, F)` node features.
        edges: `(E, 2)` undirected links, each once, no self-loops (a
            `Graph`'s `edges`, an `EdgeSplit`'s `train_edges`).

    Returns:
        `{"features": (1, N, F) float32 numpy, "adjacency": (1, N, N)
        sparse tensor}`.

    Raises:
        ValueError: on the PyTorch backend (no sparse tensors in Keras).
    """
    features = np.asarray(features, np.float32)
    adjacency = sparse_normalized_adjacency(edges, features.shape[0], batch=True)
    return {"features": features[None], "adjacency": adjacency}


def reconstruction_target(adjacency):
    """The target of one graph: `A + I`, shape `(1, N, N)`, float32."""
    adjacency = np.asarray(adjacency, np.float32)
    return (adjacency + np.eye(adjacency.shape[-1], dtype=np.float32))[None]


def weighted_edge_cross_entropy(target, logits):
    """Kipf & Welling's reconstruction loss, per graph: shape `(B,)`.

        norm * mean_ij [ w * A_ij * -log sigmoid(l_ij)
                         + (1 - A_ij) * -log(1 - sigmoid(l_ij)) ]

    with `E = sum_ij A_ij - trace(A)` the links of the target without its
    diagonal (both directions), `w = (N^2 - E) / E` the weight of a link
    and `norm = N^2 / (2 (N^2 - E))`: what their `gae` code computes from
    the training adjacency before adding the self-loops to the target.

    Args:
        target: `(..., N, N)` 0/1 adjacency (with self-loops).
        logits: `(..., N, N)` decoder logits.
    """
    logits = ops.convert_to_tensor(logits)
    target = ops.cast(target, logits.dtype)
    n = ops.cast(ops.shape(logits)[-1], logits.dtype)
    eye = ops.eye(ops.shape(logits)[-1], dtype=logits.dtype)
    edges = ops.sum(target, axis=(-2, -1)) - ops.sum(target * eye, axis=(-2, -1))
    # A graph without links: weight 1 instead of a division by zero.
    safe = ops.where(edges > 0, edges, ops.ones_like(edges))
    pos_weight = ops.where(edges > 0, (n * n - edges) / safe, ops.ones_like(edges))
    norm = n * n / (2.0 * (n * n - edges))
    # -log sigmoid(l) = softplus(-l); -log(1 - sigmoid(l)) = softplus(l).
    per_entry = pos_weight[..., None, None] * target * ops.softplus(-logits) + (
        1.0 - target
    ) * ops.softplus(logits)
    return norm * ops.mean(per_entry, axis=(-2, -1))


class _LogScaleGaussianPosterior(GaussianPosterior):
    """The Gaussian heads of Kipf & Welling's VGAE: `sigma = exp(head)`.

    Their `gae` code reads the scale head as `log sigma`;
    `GaussianPosterior` reads it through a softplus. Only that reading
    differs: the distribution, the sampler and the KL are the parent's.
    Not registered: `GraphVAE(heads="kipf")` builds it.
    """

    def parameters(self, features):
        mean, log_scale = self._heads(features)
        return {"mean": mean, "stddev": ops.exp(log_scale)}

    def _distribution_and_kl(self, features):
        mean, log_scale = self._heads(features)
        params = {"mean": mean, "stddev": ops.exp(log_scale)}
        # Half precision loses the KL's small differences: float32 at least.
        dtype = _loss_dtype(mean.dtype)
        # log sigma^2 = 2 log sigma, exactly: nothing to underflow.
        kl = gaussian_kl_to_standard_normal(
            ops.cast(mean, dtype), 2.0 * ops.cast(log_scale, dtype)
        )
        return params, self.distribution_from(params), kl


def _unpack(inputs):
    if isinstance(inputs, dict):
        return inputs["features"], inputs["adjacency"]
    features, adjacency = inputs
    return features, adjacency


@keras.saving.register_keras_serializable(package="keras_hsvae")
class GraphVAE(keras.Model):
    """A variational graph auto-encoder with any registered posterior.

    Encoder: `H = relu(A_hat X W_0)` (a `GraphConvolution` of
    `hidden_dim` units), then the propagation `A_hat H`, on which the
    posterior's dense heads compute its parameters (so the heads are the
    second GCN layer: `A_hat (H W) = (A_hat H) W`, plus a bias). Decoder:
    logits `z_i . z_j` for every pair of nodes. Loss (Kipf & Welling):

        weighted_edge_cross_entropy(A + I, logits)
            + (beta / N) * mean_nodes KL(q(z_i | X, A) || p(z_i))

    Logs `loss`, `reconstruction`, `kl` (mean over nodes) and, for
    spherical posteriors, `concentration`.

    Args:
        input_dim: int, the number of node features F.
        latent_dim: int, the latent size (ambient size m for spherical
            posteriors: codes on S^(m-1)).
        hidden_dim: int, units of the first graph convolution (32).
        posterior: a registered posterior name (`"gaussian"`, `"vmf"`,
            `"power_spherical"`, ...).
        beta: float >= 0, KL weight (1: the VGAE's ELBO).
        dropout: float in [0, 1), dropout on the inputs of both graph
            convolutions in training (0 in Kipf & Welling's link
            prediction).
        heads: how the posterior's dense heads (the second GCN layer)
            read the node features. `"dense"` (default): the posterior's
            own heads, with a bias (a Gaussian's scale is
            `softplus(head)`). `"kipf"`: as in Kipf & Welling's `gae`
            code: no bias in the heads and a Gaussian's scale is
            `exp(head)` (the head is `log sigma`); a spherical posterior
            keeps its concentration `softplus(head) + offset`.
        seed: int or None, seeds the posterior's sampler and the dropout.
        **kwargs: base `keras.Model` arguments (`name`, `dtype`, ...).

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import NVGAE, graph_inputs, reconstruction_target
    >>> a = np.zeros((6, 6), "float32")
    >>> a[[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]] = 1
    >>> a = a + a.T
    >>> model = NVGAE(input_dim=6, latent_dim=3, hidden_dim=8, seed=0)
    >>> model.compile(optimizer="adam")
    >>> inputs = graph_inputs(np.eye(6), a)
    >>> history = model.fit(inputs, reconstruction_target(a), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['kl', 'loss', 'reconstruction']
    >>> tuple(model.embed(inputs).shape)
    (1, 6, 3)

    Reference:
        Kipf & Welling, "Variational Graph Auto-Encoders" (2016);
        Davidson et al., "Hyperspherical Variational Auto-Encoders" (UAI
        2018), section 5.4.
    """

    SPHERICAL = None  # None: any posterior; True / False: only those.
    DEFAULT_POSTERIOR = "gaussian"

    def __init__(
        self,
        input_dim,
        latent_dim=16,
        hidden_dim=32,
        posterior=None,
        beta=1.0,
        dropout=0.0,
        heads="dense",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dim = check_int("input_dim", input_dim, 1)
        self.latent_dim = check_int("latent_dim", latent_dim, 1)
        self.hidden_dim = check_int("hidden_dim", hidden_dim, 1)
        self.beta = check_beta(beta)
        self.dropout = dropout
        self.seed = check_seed(seed)
        posterior = self.DEFAULT_POSTERIOR if posterior is None else posterior
        choices = list_posteriors(spherical=self.SPHERICAL)
        if posterior not in choices:
            raise ValueError(
                f"`posterior` must be one of {choices} for {type(self).__name__}. "
                f"Received: posterior={posterior!r}"
            )
        self.posterior_name = posterior
        if heads not in HEADS:
            raise ValueError(
                f"`heads` must be one of {list(HEADS)}. Received: heads={heads!r}"
            )
        self.heads = heads
        self.hidden = GraphConvolution(
            self.hidden_dim,
            activation="relu",
            dropout=dropout,
            seed=self.seed,
            dtype=self.dtype_policy,
            name="graph_convolution",
        )
        dropout_seed = None if self.seed is None else self.seed + 1
        self.propagate = GraphConvolution(
            None,
            dropout=dropout,
            seed=dropout_seed,
            dtype=self.dtype_policy,
            name="propagation",
        )
        posterior_kwargs = dict(
            dim=self.latent_dim,
            beta=self.beta,
            seed=self.seed,
            dtype=self.dtype_policy,
            name="posterior",
        )
        if heads == "kipf" and posterior == "gaussian":
            self.posterior = _LogScaleGaussianPosterior(**posterior_kwargs)
        else:
            self.posterior = get_posterior(posterior, **posterior_kwargs)
        if heads == "kipf":
            # Kipf & Welling's second GCN layer has no bias: nor have the
            # heads that compute it (set before they are built).
            dense = [
                layer
                for layer in self.posterior._flatten_layers(include_self=False)
                if isinstance(layer, keras.layers.Dense)
            ]
            for layer in dense:
                layer.use_bias = False
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        logged = ("kl",) + tuple(self.posterior.TERMS)
        self.term_trackers = [keras.metrics.Mean(name=name) for name in logged]

    def build(self, input_shape=None):
        """Create the weights from `input_dim` (the input shape is not needed)."""
        # Idempotent: deserialization may have built the model already.
        shapes = (
            (self.hidden, [(None, None, self.input_dim), (None, None, None)]),
            (self.propagate, [(None, None, self.hidden_dim), (None, None, None)]),
            (self.posterior, (None, None, self.hidden_dim)),
        )
        for layer, shape in shapes:
            if not layer.built:
                layer.build(shape)
        self.built = True

    # -- the parts -----------------------------------------------------------
    def node_features(self, inputs, training=None):
        """`A_hat relu(A_hat X W_0)`: what the posterior heads see."""
        features, adjacency = _unpack(inputs)
        h = self.hidden([features, adjacency], training=training)
        return self.propagate([h, adjacency], training=training)

    @staticmethod
    def inner_product(z):
        """Decoder logits `z_i . z_j`, `(..., N, N)`."""
        return ops.matmul(z, ops.swapaxes(z, -1, -2))

    def call(self, inputs, training=None):
        terms = dict(
            self.posterior(
                self.node_features(inputs, training=training),
                training=training,
                return_terms=True,
            )
        )
        z = terms.pop("z")
        return {"logits": self.inner_product(z), **terms}

    # -- training ------------------------------------------------------------
    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} needs the adjacency to reconstruct as the "
                "target: fit(inputs, reconstruction_target(adjacency))."
            )
        logits = y_pred["logits"]
        # Mixed precision: the loss in float32 at least.
        dtype = _loss_dtype(logits.dtype)
        logits = ops.cast(logits, dtype)
        recon = ops.mean(weighted_edge_cross_entropy(y, logits))
        # beta * mean_nodes KL, added by the posterior; / N as Kipf & Welling.
        added = super().compute_loss(
            x=x, y=None, y_pred=None, sample_weight=sample_weight, training=training
        )
        n = ops.cast(ops.shape(logits)[-1], dtype)
        # Under tf.distribute: / replicas, as Keras scales `added`.
        return scale_loss_for_replicas(recon) + ops.cast(added, dtype) / n

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        logits = y_pred["logits"]
        dtype = _loss_dtype(logits.dtype)
        recon = weighted_edge_cross_entropy(y, ops.cast(logits, dtype))
        self.reconstruction_tracker.update_state(recon)
        for tracker in self.term_trackers:
            tracker.update_state(y_pred[tracker.name])
        return super().compute_metrics(x, y, y_pred, sample_weight)

    # -- user API ------------------------------------------------------------
    def encode(self, inputs):
        """The posterior parameters of every node: a dict of `(B, N, ...)`."""
        return self.posterior.parameters(self.node_features(inputs, training=False))

    def posterior_distribution(self, inputs):
        """`q(z | X, A)` of every node, a distribution of batch `(B, N)`."""
        return self.posterior.distribution_from(self.encode(inputs))

    def prior_distribution(self):
        """The prior `p(z)` of one node."""
        return self.posterior.prior()

    def embed(self, inputs):
        """Node embeddings: the posterior mode (mean / mean direction)."""
        return self.posterior_distribution(inputs).mode()

    def decode(self, z):
        """Link probabilities `sigmoid(z_i . z_j)` for codes `z` `(..., N, m)`."""
        return ops.sigmoid(self.inner_product(ops.convert_to_tensor(z)))

    def score_edges(self, inputs, edges):
        """`sigmoid(z_i . z_j)` of the embeddings for pairs `edges` `(E, 2)`.

        `inputs` hold one graph (`B = 1`); `edges` is an integer array or
        tensor; returns shape `(E,)`.
        """
        z = self.embed(inputs)[0]
        edges = ops.reshape(ops.cast(ops.convert_to_tensor(edges), "int32"), (-1, 2))
        left = ops.take(z, edges[:, 0], axis=0)
        right = ops.take(z, edges[:, 1], axis=0)
        return ops.sigmoid(ops.sum(left * right, axis=-1))

    # -- presets and config ----------------------------------------------------
    @classmethod
    def from_preset(cls, preset, **kwargs):
        """Load a model from a built-in preset name or a preset folder."""
        return presets.load_preset(preset, expected_class=cls, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "latent_dim": self.latent_dim,
                "hidden_dim": self.hidden_dim,
                "posterior": self.posterior_name,
                "beta": self.beta,
                "dropout": self.dropout,
                "heads": self.heads,
                "seed": self.seed,
            }
        )
        return config


GraphVAE.presets = _PresetsDescriptor()


@keras.saving.register_keras_serializable(package="keras_hsvae")
class NVGAE(GraphVAE):
    """The Gaussian VGAE of Kipf & Welling (N-VGAE): `N(mu, sigma^2)`, `N(0, I)`.

    See `GraphVAE` for the arguments (`posterior` is `"gaussian"`).
    """

    SPHERICAL = False
    DEFAULT_POSTERIOR = "gaussian"


@keras.saving.register_keras_serializable(package="keras_hsvae")
class SVGAE(GraphVAE):
    """The hyperspherical VGAE (S-VGAE): a spherical posterior, uniform prior.

    Codes lie on S^(latent_dim - 1); link logits are cosine similarities
    in [-1, 1]. `posterior` is any registered spherical posterior (`"vmf"`
    by default, `"power_spherical"`). See `GraphVAE` for the arguments.
    """

    SPHERICAL = True
    DEFAULT_POSTERIOR = "vmf"
