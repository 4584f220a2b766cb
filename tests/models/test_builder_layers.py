"""The encoder/decoder builders: layers, parameter counts and names by hand."""

import keras
import numpy as np

from keras_hsvae.models import conv_decoder, mlp_decoder, resnet_decoder


def test_mlp_decoder_matches_numpy_forward_pass():
    decoder = mlp_decoder(3, (2, 2), hidden=(5,))
    z = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    kernel0, bias0, kernel1, bias1 = decoder.get_weights()
    # Non-zero biases: the relu must cut negative pre-activations.
    bias0 = np.linspace(-1.0, 1.0, 5).astype("float32")
    decoder.set_weights([kernel0, bias0, kernel1, bias1])
    hidden = np.maximum(z @ kernel0 + bias0, 0.0)
    expected = (hidden @ kernel1 + bias1).reshape(4, 2, 2)
    got = keras.ops.convert_to_numpy(decoder(z))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_conv_decoder_parameter_count_and_name():
    decoder = conv_decoder(4, (28, 28, 1), filters=(64, 32), name="images")
    assert decoder.name == "images"
    dense = 4 * 7 * 7 * 64 + 7 * 7 * 64
    # 3x3 transposed convolutions, then a 3x3 conv to one channel.
    up = (3 * 3 * 64 * 64 + 64) + (3 * 3 * 64 * 32 + 32)
    out = 3 * 3 * 32 * 1 + 1
    assert decoder.count_params() == dense + up + out
    assert conv_decoder(4).name == "decoder"


def test_resnet_decoder_layer_names():
    decoder = resnet_decoder(2, (28, 28, 1), filters=(8, 4))
    block = ["bn0", "relu0", "conv0", "bn1", "relu1", "conv1", "add"]
    expected = ["project"]
    for stage in range(2):
        # Each transposed conv gives the block its filters: no projection.
        expected += [f"up{stage}"] + [f"stage{stage}_block0_{p}" for p in block]
    expected += ["final_bn", "final_relu", "output"]
    # The input and the reshape keep Keras' generated names.
    names = [layer.name for layer in decoder.layers[1:]]
    assert names[1].startswith("reshape")
    assert names[:1] + names[2:] == expected
