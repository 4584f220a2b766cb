"""Dynamic binarization: fresh Bernoulli pixels every epoch, seeded per epoch.

The S-VAE paper (002) trains on dynamically binarized MNIST: each pixel of
each image is redrawn as 1 with probability equal to its grey level on every
pass over the data (SPEC section 6). `DynamicBinarization` is a
`keras.utils.PyDataset` that does this with draws that depend only on
`(seed, epoch, batch index)`, so a run resumed at epoch `e` (set
`dataset.epoch = e`) sees exactly the batches of an uninterrupted run.
`binarize` gives one fixed, seeded draw for evaluation sets.
"""

import math

import keras
import numpy as np

from keras_hsvae._validation import check_int

# Seed of the fixed binarization used to evaluate on the 10,000 MNIST test
# images (file order): `binarize(x_test, seed=TEST_BINARIZATION_SEED)`.
TEST_BINARIZATION_SEED = 0


def _check_grey(x):
    x = np.asarray(x, dtype="float32")
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(
            "`x` must be a non-empty array of images `(N, ...)`. "
            f"Received: x.shape={x.shape}"
        )
    if not (np.all(x >= 0.0) and np.all(x <= 1.0)):
        raise ValueError(
            "`x` must hold grey levels in [0, 1]. Received: x with values in "
            f"[{float(np.min(x))}, {float(np.max(x))}]"
        )
    return x


def _check_seed(seed):
    return check_int("seed", seed, 0)


def _bernoulli(grey, rng):
    # u ~ U[0, 1): P(u < p) = p exactly, so grey 0 stays 0 and grey 1 stays 1.
    return (rng.random(grey.shape, dtype=np.float32) < grey).astype("float32")


def binarize(x, seed=TEST_BINARIZATION_SEED):
    """One fixed Bernoulli draw of every pixel, with probability its grey level.

    The draw is `np.random.default_rng(seed).random(x.shape, float32) < x`:
    the same `x` and `seed` always give the same binary images. The fixed
    test binarization of the zoo is `binarize(x_test)` with
    `seed=TEST_BINARIZATION_SEED` (0) over the 10,000 MNIST test images in
    the order of the original files.

    Args:
        x: array `(N, ...)` of grey levels in [0, 1].
        seed: integer >= 0.

    Returns:
        A float32 array of 0s and 1s with the shape of `x`.

    Example:

    >>> import numpy as np
    >>> x = np.full((2, 3), 0.5, "float32")
    >>> bool(np.array_equal(binarize(x, seed=1), binarize(x, seed=1)))
    True
    >>> binarize(np.array([[0.0, 1.0]]), seed=7)
    array([[0., 1.]], dtype=float32)
    """
    x = _check_grey(x)
    return _bernoulli(x, np.random.default_rng(_check_seed(seed)))


class DynamicBinarization(keras.utils.PyDataset):
    """Batches of images binarized afresh every epoch, seeded per epoch.

    Batch `i` of epoch `e` holds the images `order[i * batch_size:(i + 1) *
    batch_size]`, where `order` is `np.random.default_rng([seed, e])
    .permutation(N)` (or `arange(N)` with `shuffle=False`), and each of its
    pixels is 1 when a uniform draw of `np.random.default_rng([seed, e, i +
    1])` falls below its grey level. Draws depend on `(seed, epoch, i)` only:
    batches can be read in any order, twice, or after a restart.

    `on_epoch_end` (which `fit` calls after every epoch) advances `epoch`
    by one once every batch of the epoch has been read since the epoch was
    set or last advanced; Keras also calls it after peeking at one batch or
    when it resets an iterator, and those calls leave `epoch` unchanged. So
    `fit(data, epochs=n)` draws epochs `epoch, ..., epoch + n - 1`, and so do
    `n` calls of `fit(data, epochs=1)`. To resume a run at epoch `e`, pass
    `epoch=e` or set `data.epoch = e` before `fit`. Pass `shuffle=False` to
    `fit`: the batches are already in this epoch's order, and
    `fit(shuffle=True)` would reorder them with Python's global `random`.

    Args:
        x: array `(N, ...)` of grey levels in [0, 1] (e.g. MNIST / 255).
        batch_size: integer >= 1; the last batch may be smaller.
        seed: integer >= 0.
        shuffle: whether each epoch visits the images in a new (seeded)
            order.
        epoch: integer >= 0, the epoch the next pass draws.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`,
            `use_multiprocessing`, `max_queue_size`).

    Example:

    >>> import numpy as np
    >>> grey = np.full((10, 4), 0.5, "float32")
    >>> data = DynamicBinarization(grey, batch_size=4, seed=0)
    >>> len(data), data[2].shape
    (3, (2, 4))
    >>> batches = [data[i] for i in range(len(data))]
    >>> data.on_epoch_end()  # every batch was read: on to epoch 1
    >>> data.epoch, bool(np.array_equal(batches[0], data[0]))
    (1, False)
    >>> data.on_epoch_end()  # only batch 0 was read: still epoch 1
    >>> data.epoch
    1
    """

    def __init__(self, x, batch_size, seed, shuffle=True, epoch=0, **kwargs):
        super().__init__(**kwargs)
        self.x = _check_grey(x)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.seed = _check_seed(seed)
        self.shuffle = bool(shuffle)
        self.epoch = epoch
        self._order = None

    @property
    def epoch(self):
        """The epoch whose draws the batches hold (integer >= 0).

        Setting it makes the next pass draw that epoch.
        """
        return self._epoch

    @epoch.setter
    def epoch(self, value):
        self._epoch = check_int("epoch", value, 0)
        self._order = None
        # Batch indices read at this epoch: `on_epoch_end` advances only
        # after a full pass (not after Keras' peek at batch 0).
        self._read = set()

    def order(self):
        """The indices of `x` in the order epoch `epoch` visits them."""
        if self._order is None:
            n = self.x.shape[0]
            if self.shuffle:
                rng = np.random.default_rng([self.seed, self._epoch])
                self._order = rng.permutation(n)
            else:
                self._order = np.arange(n)
        return self._order

    def __len__(self):
        return math.ceil(self.x.shape[0] / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(
                f"Batch index out of range [0, {len(self)}). Received: index={index}"
            )
        rows = self.order()[index * self.batch_size : (index + 1) * self.batch_size]
        # index + 1: SeedSequence pads entropy with zeros, so [seed, epoch, 0]
        # would replay the permutation's stream [seed, epoch].
        rng = np.random.default_rng([self.seed, self._epoch, index + 1])
        self._read.add(index)
        return _bernoulli(self.x[rows], rng)

    def on_epoch_end(self):
        if len(self._read) == len(self):
            self._epoch += 1
            self._order = None
        self._read = set()
