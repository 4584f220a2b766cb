"""`DynamicBinarization` and `binarize`: seeded Bernoulli pixels per epoch."""

import numpy as np
import pytest
from scipy import stats

from keras_hsvae.data import TEST_BINARIZATION_SEED, DynamicBinarization, binarize


def _grey(n=40, seed=0):
    # Grey levels covering [0, 1], with exact 0s and 1s.
    grey = np.random.default_rng(seed).random((n, 5, 5, 1)).astype("float32")
    grey[:, 0, 0, 0] = 0.0
    grey[:, 0, 1, 0] = 1.0
    return grey


def _epoch(data):
    """All batches of the current epoch, in order, and the images' order."""
    return np.concatenate([data[i] for i in range(len(data))]), data.order()


def test_pixel_means_match_grey_levels():
    # Each pixel is Bernoulli(grey): over 4000 epochs of one image, the count
    # of ones per pixel is Binomial(4000, grey). Two-sided binomial tests at
    # a Bonferroni-corrected level over the 25 pixels.
    grey = _grey(n=1)
    data = DynamicBinarization(grey, batch_size=1, seed=3, shuffle=False)
    ones = np.zeros(grey.shape[1:])
    epochs = 4000
    for epoch in range(epochs):
        data.epoch = epoch
        ones += data[0][0]
    p_values = [
        stats.binomtest(int(k), epochs, float(p)).pvalue
        for k, p in zip(ones.ravel(), grey[0].ravel())
        if 0.0 < p < 1.0
    ]
    assert min(p_values) > 1e-3 / len(p_values)
    # Grey 0 is never drawn as 1, grey 1 always is.
    assert ones[0, 0, 0] == 0 and ones[0, 1, 0] == epochs


def test_binarize_pixel_means_match_grey_levels():
    grey = np.full((20000, 3), [0.1, 0.5, 0.93], "float32")
    x = binarize(grey, seed=TEST_BINARIZATION_SEED)
    assert set(np.unique(x)) <= {0.0, 1.0} and x.dtype == np.float32
    for column, p in enumerate((0.1, 0.5, 0.93)):
        k = int(x[:, column].sum())
        assert stats.binomtest(k, len(x), p).pvalue > 1e-3
    np.testing.assert_array_equal(x, binarize(grey, seed=0))
    assert not np.array_equal(x, binarize(grey, seed=1))


def test_epochs_differ_and_same_seed_epoch_is_equal():
    grey = _grey()
    first = DynamicBinarization(grey, batch_size=16, seed=7)
    second = DynamicBinarization(grey, batch_size=16, seed=7)
    x0, order0 = _epoch(first)
    np.testing.assert_array_equal(x0, _epoch(second)[0])
    first.on_epoch_end()  # `_epoch` read every batch: on to epoch 1
    assert first.epoch == 1
    x1, order1 = _epoch(first)
    assert not np.array_equal(order0, order1)
    # Same images in the same order, still different draws.
    assert not np.array_equal(x0, x1[np.argsort(order1)][order0])
    other_seed = DynamicBinarization(grey, batch_size=16, seed=8)
    assert not np.array_equal(x0, _epoch(other_seed)[0])
    # Each epoch visits every image exactly once.
    assert sorted(order1) == list(range(len(grey)))


def test_resume_sees_the_same_batches():
    grey = _grey()
    uninterrupted = DynamicBinarization(grey, batch_size=16, seed=1)
    for _ in range(3):  # epochs 0, 1, 2
        _epoch(uninterrupted)
        uninterrupted.on_epoch_end()
    resumed = DynamicBinarization(grey, batch_size=16, seed=1, epoch=3)
    assert resumed.epoch == uninterrupted.epoch == 3
    np.testing.assert_array_equal(_epoch(uninterrupted)[0], _epoch(resumed)[0])
    # Batches do not depend on the order they are read in.
    np.testing.assert_array_equal(resumed[2], _epoch(resumed)[0][32:])


def test_batch_shapes_and_no_shuffle():
    grey = _grey(n=40)
    data = DynamicBinarization(grey, batch_size=16, seed=0, shuffle=False)
    assert len(data) == 3
    assert [data[i].shape for i in range(3)] == [(16, 5, 5, 1)] * 2 + [(8, 5, 5, 1)]
    np.testing.assert_array_equal(data.order(), np.arange(40))
    with pytest.raises(IndexError):
        data[3]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"epoch": -2}, "epoch"),
        ({"x": np.full((3, 2), 1.5, "float32")}, "grey levels"),
    ],
)
def test_bad_arguments_are_quoted(kwargs, match):
    arguments = {"x": _grey(n=4), "batch_size": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        DynamicBinarization(**arguments)


def test_fit_draws_one_epoch_per_pass():
    from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder

    grey = _grey(n=32).reshape(32, 25)

    class Recorded(DynamicBinarization):
        def __getitem__(self, index):
            seen.append((self.epoch, index))
            return super().__getitem__(index)

    seen = []
    data = Recorded(grey, batch_size=8, seed=0, epoch=5)
    model = BetaVAE(mlp_encoder((25,), (8,)), mlp_decoder(2, (25,), (8,)), 2, seed=0)
    model.compile(optimizer="adam")
    history = model.fit(data, epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.all(np.isfinite(history.history["loss"]))
    # Epochs 5 and 6, batches in order (Keras may peek at batch 0 first).
    assert seen[-8:] == [(5, i) for i in range(4)] + [(6, i) for i in range(4)]
    assert data.epoch == 7
    model.fit(data, epochs=1, shuffle=False, verbose=0)
    assert seen[-4:] == [(7, i) for i in range(4)] and data.epoch == 8
