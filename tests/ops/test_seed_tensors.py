"""`seed=` takes a backend seed tensor (issue 13): a draw can be compiled
with its seed as an argument, e.g. a JAX key under `jax.jit`."""

import keras
import numpy as np
import pytest
from backend_utils import backend, to_numpy

from keras_hsvae import distributions as hd
from keras_hsvae.models import SVAE, mlp_decoder, mlp_encoder

RNG = np.random.default_rng(0)
MU = RNG.normal(size=(4, 5)).astype("float32")
MU /= np.linalg.norm(MU, axis=-1, keepdims=True)
KAPPA = np.array([0.5, 3.0, 40.0, 900.0], "float32")

DISTRIBUTIONS = {
    "vmf": lambda: hd.VonMisesFisher(MU, KAPPA),
    "power_spherical": lambda: hd.PowerSpherical(MU, KAPPA),
    "uniform": lambda: hd.HypersphericalUniform(5),
    "normal": lambda: hd.Normal(np.zeros(5, "float32"), np.ones(5, "float32")),
}


def _seed_tensor(words):
    return keras.ops.convert_to_tensor(np.array(words, "int32"))


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_a_seed_tensor_draws_what_the_same_int_seed_draws(name):
    # `seed=5` starts the stream at [5, 0], as `keras.random` does: the
    # tensor [5, 0] must give the very same numbers; [6, 0] others.
    dist = DISTRIBUTIONS[name]()
    by_int = to_numpy(dist.sample((30,), seed=5))
    by_tensor = to_numpy(dist.sample((30,), seed=_seed_tensor([5, 0])))
    np.testing.assert_array_equal(by_tensor, by_int)
    other = to_numpy(dist.sample((30,), seed=_seed_tensor([6, 0])))
    assert not np.allclose(other, by_int)


@pytest.mark.parametrize("name", ["vmf", "power_spherical"])
def test_compiled_draw_with_the_seed_as_an_argument(name):
    # JAX: a key traced by `jax.jit`; TensorFlow: a tensor argument of a
    # `tf.function`. Each key compiles nothing new and draws as eagerly.
    def draw(seed):
        return DISTRIBUTIONS[name]().sample((30,), seed=seed)

    if backend() == "jax":
        import jax

        compiled = jax.jit(draw)
        keys = [jax.random.PRNGKey(1), jax.random.PRNGKey(2)]
    elif backend() == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(draw)
        keys = [tf.constant([1, 0]), tf.constant([2, 0])]
    else:
        pytest.skip("PyTorch draws eagerly")
    first, second = (to_numpy(compiled(k)) for k in keys)
    np.testing.assert_allclose(first, to_numpy(draw(keys[0])), atol=1e-6)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(np.linalg.norm(first, axis=-1), 1.0, atol=1e-5)


def test_typed_jax_keys_are_taken_by_their_words():
    if backend() != "jax":
        pytest.skip("typed keys are JAX's")
    import jax

    dist = DISTRIBUTIONS["vmf"]()
    typed = to_numpy(dist.sample((10,), seed=jax.random.key(7)))
    legacy = to_numpy(dist.sample((10,), seed=jax.random.PRNGKey(7)))
    np.testing.assert_array_equal(typed, legacy)


def test_models_generate_from_a_seed_tensor():
    model = SVAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3, seed=0)
    model(np.zeros((1, 6), "float32"))
    by_int = to_numpy(model.generate(4, seed=9))
    by_tensor = to_numpy(model.generate(4, seed=_seed_tensor([9, 0])))
    np.testing.assert_array_equal(by_tensor, by_int)


@pytest.mark.parametrize(
    "words, dtype", [([1, 2, 3], "int32"), ([1.0, 2.0], "float32"), ([[1, 2]], "int32")]
)
def test_a_tensor_that_is_not_a_seed_is_refused(words, dtype):
    bad = keras.ops.convert_to_tensor(np.array(words, dtype))
    with pytest.raises(ValueError, match="seed tensor must hold two integers"):
        DISTRIBUTIONS["vmf"]().sample((3,), seed=bad)
    with pytest.raises(ValueError, match="seed tensor must hold two integers"):
        DISTRIBUTIONS["normal"]().sample((3,), seed=bad)
