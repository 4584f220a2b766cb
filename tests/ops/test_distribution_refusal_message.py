"""On PyTorch, `check_fit_distribution` refuses a set `keras.distribution`
with its one documented line, word for word."""

import keras
import pytest

from keras_hsvae.ops._backend_distribute import check_fit_distribution


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch only")
def test_torch_refusal_message():
    # `list_devices` has no PyTorch implementation: name two CPU devices.
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    )
    try:
        with pytest.raises(RuntimeError) as info:
            check_fit_distribution(None)
    finally:
        keras.distribution.set_distribution(None)
    assert str(info.value) == (
        "Keras' PyTorch trainer has no data-parallel `fit`: the distribution "
        "DataParallel would be ignored (one device). Unset it, or train with "
        "torch.distributed (docs/DISTRIBUTED.md), or use JAX "
        "(keras.distribution) or TensorFlow (MirroredStrategy)."
    )
