"""The training data a likelihood can take, checked before or while `fit` reads it.

`AutoEncoder.fit` checks what it is given without changing what is trained:

- a numpy array whole (finite values, the likelihood's `data_range`);
- a `tf.data.Dataset` batch by batch, by a `map` that passes every batch on
  unchanged and fails on the first bad one (a min, a max and a finiteness
  test per batch; no random op, so shuffles and seeds are untouched);
- a `keras.utils.PyDataset` by its first batch (indexing has no side effects);
- a Python generator by its first batch, then the same batches in order.

Other inputs (a PyTorch `DataLoader`, whose iterator would draw from the
global random state) are passed on unchecked.
"""

import contextlib
import inspect
import re

import numpy as np

from keras_hsvae.models.likelihoods import NON_FINITE_DATA

# Marks the assertion of the dataset check in TensorFlow's error message.
_MARK = "keras_hsvae_data_check"


def checked_data(x, likelihood):
    """`x` checked (numpy, first batch) or wrapped to be checked as it is read."""
    if isinstance(x, np.ndarray):
        likelihood.check_data(x)
        return x
    if _is_tf_dataset(x):
        return _checked_tf_dataset(x, likelihood)
    if _is_py_dataset(x):
        if len(x):
            likelihood.check_data(_features(x[0]))
        return x
    if inspect.isgenerator(x):
        return _checked_generator(x, likelihood)
    return x


@contextlib.contextmanager
def data_errors(likelihood):
    """Turn the dataset check's TensorFlow error into one `ValueError`."""
    try:
        yield
    except Exception as error:
        message = str(error)
        if _MARK not in message:
            raise
        if f"{_MARK}:non_finite" in message:
            raise ValueError(NON_FINITE_DATA) from None
        bounds = re.search(rf"{_MARK}:range\]\s*\[([^\]]+)\]\s*\[([^\]]+)\]", message)
        low, high = (float(b) for b in bounds.groups()) if bounds else (None, None)
        raise ValueError(likelihood.range_error(low, high)) from None


def _features(batch):
    """The inputs of a batch: `x` of `x`, `(x,)`, `(x, y)` or `(x, y, w)`."""
    if isinstance(batch, (tuple, list)):
        return batch[0]
    return batch


def _is_tf_dataset(x):
    return type(x).__module__.startswith("tensorflow") and hasattr(x, "element_spec")


def _is_py_dataset(x):
    import keras

    return isinstance(x, keras.utils.PyDataset)


def _checked_generator(generator, likelihood):
    try:
        first = next(generator)
    except StopIteration:
        return generator
    likelihood.check_data(_features(first))

    def batches():
        yield first
        yield from generator

    return batches()


def _checked_tf_dataset(dataset, likelihood):
    import tensorflow as tf  # reached only with a tf.data.Dataset in hand

    def check(*element):
        x = element[0]
        if isinstance(x, dict):  # several inputs: leave them to the model
            return element
        values = tf.cast(x, tf.float32)
        checks = [
            tf.debugging.Assert(
                tf.reduce_all(tf.math.is_finite(values)), [f"{_MARK}:non_finite"]
            )
        ]
        if likelihood.data_range is not None:
            low, high = tf.reduce_min(values), tf.reduce_max(values)
            first, last = likelihood.data_range
            inside = tf.logical_and(low >= first, high <= last)
            # An empty batch has min +inf and max -inf: inside.
            checks.append(tf.debugging.Assert(inside, [f"{_MARK}:range", low, high]))
        with tf.control_dependencies(checks):
            return tf.nest.map_structure(tf.identity, element)

    def check_element(*element):
        out = check(*element)
        return out[0] if len(out) == 1 else out

    return dataset.map(check_element)
