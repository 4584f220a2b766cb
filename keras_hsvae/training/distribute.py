"""Data-parallel training by name: the `distribute` option of `train`.

- `"mirrored"` (TensorFlow backend): `tf.distribute.MirroredStrategy` over
  the local GPUs (without GPUs: the logical CPU devices). Keras splits
  every global batch of `batch_size` examples between the replicas.
- `"data_parallel"` (JAX backend): `keras.distribution.DataParallel` over
  the devices of every process. On several hosts, each process first joins
  the cluster (`keras.distribution.initialize`, i.e.
  `jax.distributed.initialize`, here from the `KERAS_DISTRIBUTION_*`
  environment variables) and trains on its share of every global batch
  (`process_shard`); see `docs/DISTRIBUTED.md` for a recipe.

Both train the same model as one device on the same global batch, to float
tolerance: the models scale their losses as Keras does and the HSC
regularizer uses global batch statistics. PyTorch has no data-parallel path
through Keras' `fit` (`keras_hsvae.models.AutoEncoder.fit` refuses a
distribution there instead of training on one device).
"""

import contextlib
import os

import keras
import numpy as np

DISTRIBUTIONS = (None, "mirrored", "data_parallel")

# The backend each distribution needs.
_BACKENDS = {"mirrored": "tensorflow", "data_parallel": "jax"}

# Set on every process of a multi-process JAX run (keras.distribution.initialize).
CLUSTER_ENV = "KERAS_DISTRIBUTION_JOB_ADDRESSES"


def check_distribute(distribute):
    """`distribute` if this backend can train with it, else a `ValueError`."""
    if distribute not in DISTRIBUTIONS:
        raise ValueError(
            f"`distribute` must be one of {DISTRIBUTIONS}. "
            f"Received: distribute={distribute!r}"
        )
    backend = keras.backend.backend()
    if distribute is not None and backend != _BACKENDS[distribute]:
        raise ValueError(
            f"distribute={distribute!r} needs the {_BACKENDS[distribute]} backend; "
            f"this process runs {backend}. Data parallelism: 'mirrored' on "
            "TensorFlow, 'data_parallel' on JAX; PyTorch has none through "
            "Keras' fit (docs/DISTRIBUTED.md)."
        )
    return distribute


def _join_cluster():
    """Join the JAX cluster named by the environment, once per process."""
    import jax

    if os.environ.get(CLUSTER_ENV) and not jax.distributed.is_initialized():
        keras.distribution.initialize()


def num_processes():
    """The number of processes that train together (1 without a cluster)."""
    if keras.backend.backend() != "jax":
        return 1
    import jax

    return jax.process_count()


@contextlib.contextmanager
def distribution_scope(distribute):
    """The scope in which `train` builds, fits and evaluates the model.

    Args:
        distribute: a name of `DISTRIBUTIONS` (None: no scope).

    Yields:
        The `tf.distribute.Strategy` or `keras.distribution.Distribution`
        (None for `distribute=None`).
    """
    distribute = check_distribute(distribute)
    if distribute is None:
        yield None
    elif distribute == "mirrored":
        import tensorflow as tf

        # The GPUs, else every (logical) CPU device: TensorFlow's default
        # would be one CPU replica.
        devices = tf.config.list_logical_devices("GPU") or (
            tf.config.list_logical_devices("CPU")
        )
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        with strategy.scope():
            yield strategy
    else:
        _join_cluster()
        distribution = keras.distribution.DataParallel(
            devices=keras.distribution.list_devices(),
            # Every process is fed its own shard (`process_shard`).
            auto_shard_dataset=False,
        )
        with distribution.scope():
            yield distribution


def process_shard(x, batch_size):
    """This process's rows of every global batch of `x`, in order.

    With P processes, process p trains on rows `[p b, (p + 1) b)` of each
    global batch (`b = batch_size / P`), so the P processes together see
    the batches one process would; a last, partial global batch is split
    the same way (its smaller share per process). `x` unchanged for one
    process.

    Args:
        x: numpy array, the whole training split (the same on every
            process).
        batch_size: the global batch size, a multiple of the number of
            processes.

    Returns:
        `(shard, local_batch_size)`.
    """
    processes = num_processes()
    if processes == 1:
        return x, batch_size
    if batch_size % processes:
        raise ValueError(
            f"`batch_size` ({batch_size}) must be a multiple of the number of "
            f"processes ({processes}): every process takes an equal share of "
            "each global batch."
        )
    import jax

    local = batch_size // processes
    p = jax.process_index()
    full = (len(x) // batch_size) * batch_size
    steps = x[:full].reshape((-1, batch_size) + x.shape[1:])
    parts = [steps[:, p * local : (p + 1) * local].reshape((-1,) + x.shape[1:])]
    rest = x[full:]
    if len(rest):
        share = len(rest) // processes
        parts.append(rest[p * share : (p + 1) * share])
    return np.concatenate(parts), local
