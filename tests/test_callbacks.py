"""Tests for `keras_hsvae.callbacks`: BetaSchedule, TerminateOnNonFiniteLoss."""

import math

import keras
import numpy as np
import pytest
from conftest import make_tiny_model, tiny_data

from keras_hsvae.callbacks import BetaSchedule, NonFiniteLossError
from keras_hsvae.layers import GaussianPosterior


def test_schedule_values():
    linear = BetaSchedule("linear", start=0.0, end=2.0, epochs=4)
    assert [linear.beta(e) for e in range(6)] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
    sqrt_up = BetaSchedule("sqrt", epochs=100)
    assert sqrt_up.beta(25) == pytest.approx(0.5)
    assert sqrt_up.beta(300) == 1.0
    sqrt_down = BetaSchedule("sqrt", epochs=100, direction="decrease")
    assert sqrt_down.beta(0) == 1.0
    assert sqrt_down.beta(25) == pytest.approx(0.5)
    assert sqrt_down.beta(200) == 0.0
    cyc = BetaSchedule("cyclical", cycle_length=4, ratio=0.5)
    assert [cyc.beta(e) for e in range(8)] == [0, 0.5, 1, 1, 0, 0.5, 1, 1]
    assert BetaSchedule("constant", end=0.3).beta(7) == 0.3


def test_config_round_trip():
    cb = BetaSchedule("cyclical", start=0.1, end=0.9, cycle_length=6, ratio=0.25)
    again = BetaSchedule.from_config(cb.get_config())
    assert again.get_config() == cb.get_config()
    assert [again.beta(e) for e in range(10)] == [cb.beta(e) for e in range(10)]


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"schedule": "cosine"}, "schedule='cosine'"),
        ({"direction": "up"}, "direction='up'"),
        ({"start": -1.0}, "start=-1.0"),
        ({"end": float("nan")}, "end=nan"),
        ({"epochs": 0}, "epochs=0"),
        ({"epochs": 2.5}, "epochs=2.5"),
        ({"cycle_length": 0}, "cycle_length=0"),
        ({"ratio": 0.0}, "ratio=0.0"),
    ],
)
def test_bad_arguments(kwargs, text):
    with pytest.raises(ValueError, match=text.replace("(", r"\(")):
        BetaSchedule(**kwargs)


def test_sets_beta_during_fit():
    # The only loss is beta * KL; with learning rate 0 the KL is constant, so
    # the logged loss of each epoch must be beta(epoch) * KL.
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    posterior = GaussianPosterior(3, beta=1.0, seed=1)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, posterior(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0))
    kl = float(np.mean(keras.ops.convert_to_numpy(posterior.kl(x))))
    schedule = BetaSchedule("sqrt", start=0.0, end=2.0, epochs=4)
    history = model.fit(
        x, epochs=5, batch_size=8, shuffle=False, verbose=0, callbacks=[schedule]
    )
    expected = [2.0 * math.sqrt(min(e / 4, 1.0)) * kl for e in range(5)]
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5, atol=1e-6)
    assert float(keras.ops.convert_to_numpy(posterior.beta_weight)) == 2.0


def test_no_beta_layer_is_an_error():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="no layer with a `beta_weight`"):
        model.fit(
            np.zeros((2, 2)),
            np.zeros((2, 1)),
            epochs=1,
            verbose=0,
            callbacks=[BetaSchedule()],
        )


def test_non_finite_loss_stops_fit_naming_batch_and_terms():
    # Issue #10: one NaN pixel turned every weight into NaN without a word.
    # Arrays are refused by `fit` up front; a generator is caught at the
    # first NaN loss, with the batch and the non-finite terms named.
    model = make_tiny_model("vmf")
    model.compile(optimizer="adam")
    x = tiny_data(32)
    x[20, 0, 0, 0] = np.nan

    def batches():
        for start in range(0, 32, 8):
            yield (x[start : start + 8],)

    with pytest.raises(NonFiniteLossError, match=r"epoch 1, batch 3\. ") as info:
        model.fit(batches(), epochs=1, verbose=0, shuffle=False)
    message = str(info.value)
    assert (
        "reconstruction=nan" in message and "NaN or Inf values in the data" in message
    )
    assert len(message.splitlines()) == 1
    assert model.stop_training
