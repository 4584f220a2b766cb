"""The import-time warning about jaxlib 0.10.2's CPU miscompile."""

from keras_hsvae._jax_check import FLAG, miscompile_warning


def test_warns_for_the_bad_jaxlib_unless_the_fusion_is_off():
    message = miscompile_warning("0.10.2", None)
    assert "jax-ml/jax#39103" in message and FLAG in message
    assert miscompile_warning("0.10.2", "--foo=1") == message
    assert miscompile_warning("0.10.2", f"--foo=1 {FLAG}") is None
    assert miscompile_warning("0.10.1", None) is None
    assert miscompile_warning("0.11.1", "") is None
