"""The one backend adapter for data parallelism: replicas, sums and seeds.

Keras trains data-parallel in two ways, and they need different things:

- `tf.distribute` (TensorFlow backend, e.g. `MirroredStrategy`): every
  replica runs the step on its shard of the global batch; Keras divides the
  losses it knows by the number of replicas and sums the gradients. A
  statistic of the global batch needs an explicit cross-replica sum, and
  every replica must draw its own noise (the seed state is mirrored, so all
  replicas would otherwise draw the same numbers).
- `keras.distribution` (JAX backend, `DataParallel`, one or many
  processes): the step is one program over the global batch, sharded by the
  compiler. Batch statistics are already global and one draw covers the
  global batch: nothing to do here.

PyTorch has no data-parallel path through Keras' `fit` (see
`keras_hsvae.training.distribute`). Nothing else in the library asks which
replica it runs on.
"""

import keras
from keras import backend

# Replica r > 0 draws from the seed `[s + r * 2^32, c]` instead of `[s, c]`:
# distinct from every other replica and from every 32-bit user seed, and
# replica 0 keeps the one-device stream.
_REPLICA_SEED_STRIDE = 2**32


def _tf_replica_context():
    """The `tf.distribute` replica context of a step with > 1 replica, or None."""
    if backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync < 2:
        return None
    return context


def num_replicas_in_sync():
    """The number of replicas whose gradients Keras sums (1 without them).

    The count Keras uses to scale its own losses under `tf.distribute`
    (`keras.src.losses.loss.scale_loss_for_distribution`); 1 on JAX, whose
    `keras.distribution` computes one loss over the global batch.
    """
    if backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def scale_loss_for_replicas(loss):
    """`loss / num_replicas_in_sync()`, as Keras scales its own losses.

    Under `tf.distribute` Keras divides compiled and added losses by the
    number of replicas and sums the replicas' gradients, so that one step
    equals the one-device step on the global batch; a loss computed
    outside Keras' loss classes needs the same division.
    """
    replicas = num_replicas_in_sync()
    if replicas > 1:
        loss = keras.ops.multiply(loss, keras.ops.cast(1.0 / replicas, loss.dtype))
    return loss


def cross_replica_sum():
    """A callable summing a tensor over the replicas, or None when not needed.

    Under `tf.distribute` with > 1 replica, the replica context's
    `all_reduce(SUM)`, whose gradient is again a cross-replica sum, so a
    loss built from global sums has the global gradient. None elsewhere
    (one replica, or `keras.distribution`, whose batch is already global).
    """
    context = _tf_replica_context()
    if context is None:
        return None
    import tensorflow as tf

    return lambda value: context.all_reduce(tf.distribute.ReduceOp.SUM, value)


class _ReplicaSeedStream(keras.random.SeedGenerator):
    """The seeds of `generator`, offset by the replica id (see the stride).

    Advances `generator` exactly as drawing from it would; no state of its
    own (no `super().__init__`: that would create a variable in a step).
    """

    def __init__(self, generator, replica_id):
        self._generator = generator
        self._replica_id = replica_id
        self.name = f"{generator.name}_replica"

    def next(self, ordered=True):
        seed = self._generator.next(ordered=ordered)
        replica = keras.ops.cast(self._replica_id, seed.dtype)
        offset = keras.ops.stack(
            [replica * _REPLICA_SEED_STRIDE, keras.ops.zeros_like(replica)]
        )
        return keras.ops.add(seed, offset)


def replica_seed(generator):
    """`generator`, or a stream of its seeds folded with the replica id.

    Outside a multi-replica `tf.distribute` step this is `generator` itself
    (the one-device stream, unchanged). Inside one, replica 0 draws the
    one-device seeds and replica r the seed `[s + r * 2^32, c]`: every
    replica draws its own noise, and reproducibly (a function of the
    generator's seed, its position and the replica id).

    Args:
        generator: a `keras.random.SeedGenerator` (a layer's).

    Returns:
        A `keras.random.SeedGenerator` to pass as `seed=`.
    """
    context = _tf_replica_context()
    if context is None:
        return generator
    return _ReplicaSeedStream(generator, context.replica_id_in_sync_group)


def check_fit_distribution(model):
    """Raise where Keras' `fit` would not train data-parallel as asked.

    - PyTorch with a `keras.distribution` set: Keras' torch trainer ignores
      it and trains on one device.
    - TensorFlow, `model` built under a `MultiWorkerMirroredStrategy` of
      more than one worker: Keras 3's TensorFlow trainer fails inside `fit`
      (`strategy.reduce` of its scalar metrics), for every model (a plain
      Keras model with `add_loss` too). One worker trains.

    Args:
        model: the `keras.Model` about to `fit`.

    Raises:
        RuntimeError: one line naming the limitation and what works.
    """
    name = backend.backend()
    if name == "torch" and keras.distribution.distribution() is not None:
        raise RuntimeError(
            "Keras' PyTorch trainer has no data-parallel `fit`: the "
            f"distribution {type(keras.distribution.distribution()).__name__} "
            "would be ignored (one device). Unset it, or train with "
            "torch.distributed (docs/DISTRIBUTED.md), or use JAX "
            "(keras.distribution) or TensorFlow (MirroredStrategy)."
        )
    if name == "tensorflow":
        import tensorflow as tf

        # The strategy the model was built under (Keras' `fit` uses it).
        strategy = getattr(model, "distribute_strategy", None)
        if (
            isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and _num_workers(strategy) > 1
        ):
            raise RuntimeError(
                f"Keras {keras.__version__}'s TensorFlow trainer cannot `fit` "
                "under MultiWorkerMirroredStrategy (it fails in "
                "`strategy.reduce` of the scalar metrics, for any model); "
                "use MirroredStrategy on one host or JAX "
                "keras.distribution across hosts (docs/DISTRIBUTED.md)."
            )


def _num_workers(strategy):
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return max(len(cluster.get("worker", [])) + len(cluster.get("chief", [])), 1)
