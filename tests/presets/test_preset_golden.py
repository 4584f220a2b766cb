"""Every built-in preset reproduces its recorded outputs on this backend.

`zoo/<name>/golden.npz` holds 8 test images (graph presets: an 8-node
subgraph), their `embed` and
`decode(embed)`, and `decode` of 4 fixed latent vectors, recorded by
`zoo/make_golden.py` from the code that trained the preset (for
`svae_mnist_10d`: commit 721328e, before the model refactor). A refactor that
changes what a shipped preset computes fails here. The file carries its own
images, so no dataset is needed. Skipped outside a checkout (no `zoo/`).
"""

from pathlib import Path

import keras
import numpy as np
import pytest

from keras_hsvae import presets

ZOO = Path(__file__).resolve().parents[2] / "zoo"
ATOL = 1e-5

pytestmark = pytest.mark.skipif(
    not ZOO.is_dir(), reason="no zoo/ folder (not a repository checkout)"
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.fixture(autouse=True)
def _checkout_zoo(monkeypatch):
    """Resolve the built-in names to this checkout's zoo/, nothing else."""
    monkeypatch.setenv("KERAS_HSVAE_ZOO", str(ZOO))


@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_preset_reproduces_golden_outputs(name):
    golden_path = ZOO / name / "golden.npz"
    assert golden_path.is_file(), (
        f"{golden_path} is missing: record it with "
        f"`python zoo/make_golden.py --only {name}` from the code that trained it."
    )
    golden = np.load(golden_path)
    model = presets.load_preset(name)
    if "adjacency" in golden.files:
        # A graph preset: an 8-node subgraph (features, normalized adjacency).
        images = {"features": golden["features"], "adjacency": golden["adjacency"]}
        assert images["adjacency"].shape == (1, 8, 8)
    else:
        images = golden["images"]
        assert images.shape[0] == 8
    assert golden["latents"].shape[0] == 4

    embedded = _np(model.embed(images))
    np.testing.assert_allclose(embedded, golden["embed"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(
        _np(model.decode(model.embed(images))),
        golden["decode_embed"],
        rtol=0,
        atol=ATOL,
    )
    np.testing.assert_allclose(
        _np(model.decode(golden["latents"])),
        golden["decode_latents"],
        rtol=0,
        atol=ATOL,
    )
