"""A pip user's install: both distributions, a fresh environment, no checkout.

Builds the wheels of `keras-hsvae` and `keras-hsvae-zoo` (`pip wheel
--no-deps`, from copies of the sources so no build files land in the
checkout), installs them with `--no-deps --no-index` into a new virtual
environment, and from a directory outside the checkout, with no zoo setting
in the environment, loads every built-in preset (outputs checked against its
shipped `golden.npz`), finds the FID classifiers, and runs `hsvae presets`,
`hsvae sample NAME`, `hsvae demo` and `hsvae evaluate` (FID included, when a
local copy of binarized MNIST is at hand).

The new environment borrows the third-party packages (Keras, the backends)
of the running interpreter through a `.pth` line instead of downloading them:
a plain path in a `.pth` file is appended to `sys.path` without running the
`.pth` hooks found there, so the checkout's editable install stays out.
"""

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DATA = Path(
    os.environ.get("KERAS_HSVAE_TEST_DATA", REPO.parent / "shared" / "datasets")
)
SCRUBBED = (
    "PYTHONPATH",
    "KERAS_HSVAE_ZOO",
    "KERAS_HSVAE_FID_CLASSIFIERS",
    "KERAS_HSVAE_PRESET_URL",
    "KERAS_HSVAE_DATA",
)

CHECK = """
import json, os, sys
from pathlib import Path
import numpy as np
import keras
import keras_hsvae, keras_hsvae_zoo
from keras_hsvae import evaluation, presets

prefix = Path(sys.prefix).resolve()
zoo = Path(keras_hsvae_zoo.__file__).resolve().parent
report = {
    "library": keras_hsvae.__file__,
    "zoo_package": str(zoo),
    "zoo_roots": [str(r) for r in presets.zoo_roots()],
    "in_prefix": [
        Path(m.__file__).resolve().is_relative_to(prefix)
        for m in (keras_hsvae, keras_hsvae_zoo)
    ],
    "zoo_version": keras_hsvae_zoo.__version__,
    "library_version": keras_hsvae.__version__,
    "presets": {},
    "classifiers": {},
}
for name in presets.PRESETS:
    folder = presets.get_preset_dir(name)
    model = keras_hsvae.from_preset(name)
    golden = np.load(folder / "golden.npz")
    if "adjacency" in golden.files:  # a graph preset: features + adjacency
        x = {"features": golden["features"], "adjacency": golden["adjacency"]}
    else:
        x = golden["images"]
    z = keras.ops.convert_to_numpy(model.embed(x))
    x_z = keras.ops.convert_to_numpy(model.decode(z))
    x_latents = keras.ops.convert_to_numpy(model.decode(golden["latents"]))
    diffs = [
        np.abs(z - golden["embed"]).max(),
        np.abs(x_z - golden["decode_embed"]).max(),
        np.abs(x_latents - golden["decode_latents"]).max(),
    ]
    report["presets"][name] = {
        "folder": str(folder),
        "class": type(model).__name__,
        "max_abs_diff": float(max(diffs)),
    }
for dataset in ("mnist", "fashion_mnist"):
    extractor = evaluation.get_feature_extractor("classifier:" + dataset)
    report["classifiers"][dataset] = evaluation.describe_feature_extractor(
        extractor
    )["path"]
print("REPORT " + json.dumps(report))
"""


def _run(args, cwd, env, timeout=600):
    result = subprocess.run(
        [os.fspath(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{args} failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
        f"{result.stderr[-4000:]}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def pip_install(tmp_path_factory):
    """Wheels built, installed into a fresh venv; returns (venv, workdir, env)."""
    tmp = tmp_path_factory.mktemp("install_zoo")
    src, dist, venv = tmp / "src", tmp / "dist", tmp / "venv"
    ignore = shutil.ignore_patterns(
        "__pycache__", "build", "*.egg-info", ".pytest_cache"
    )
    shutil.copytree(REPO / "keras_hsvae", src / "keras_hsvae", ignore=ignore)
    shutil.copytree(REPO / "zoo_dist", src / "zoo_dist", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    build_env = {**env, "KERAS_HSVAE_ZOO_SOURCE": os.fspath(REPO / "zoo")}
    pip = [sys.executable, "-m", "pip"]
    for project in (src, src / "zoo_dist"):
        _run(
            [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q"]
            + ["-w", dist, project],
            cwd=tmp,
            env=build_env,
        )
    wheels = sorted(dist.glob("*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == ["keras_hsvae", "keras_hsvae_zoo"]

    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=env)
    python = venv / "bin" / "python"
    _run(
        [*pip, "--python", python, "install", "--no-deps", "--no-index", "-q"] + wheels,
        cwd=tmp,
        env=env,
    )
    purelib = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=tmp,
        env=env,
    ).strip()
    outer = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    outer = list(dict.fromkeys(p for p in outer if os.path.isdir(p)))
    Path(purelib, "_borrowed_site_packages.pth").write_text("\n".join(outer) + "\n")
    workdir = tmp / "elsewhere"
    workdir.mkdir()
    return venv, workdir, env, wheels


def test_zoo_wheel_ships_presets_and_classifiers_only(pip_install):
    import zipfile

    from keras_hsvae import presets

    names = zipfile.ZipFile(pip_install[3][1]).namelist()
    data = [n for n in names if n.startswith("keras_hsvae_zoo/")]
    assert not [n for n in data if n.startswith("keras_hsvae_zoo/runs/")]
    assert [n for n in data if n.endswith(".py")] == ["keras_hsvae_zoo/__init__.py"]
    for name in presets.PRESETS:
        for fname in (*presets.PRESET_FILES, "golden.npz"):
            assert f"keras_hsvae_zoo/{name}/{fname}" in data
    for dataset in ("mnist", "fashion_mnist"):
        assert f"keras_hsvae_zoo/fid_classifiers/{dataset}/classifier.keras" in data
    library = zipfile.ZipFile(pip_install[3][0]).namelist()
    assert "keras_hsvae/presets/io.py" in library
    assert not [n for n in library if n.startswith(("zoo/", "keras_hsvae_zoo/"))]


def test_every_preset_loads_outside_the_checkout(pip_install):
    venv, workdir, env, _ = pip_install
    out = _run([venv / "bin" / "python", "-c", CHECK], cwd=workdir, env=env)
    report = json.loads(out.split("REPORT ", 1)[1])
    from keras_hsvae import presets

    assert report["in_prefix"] == [True, True], report
    assert report["zoo_roots"] == [report["zoo_package"]]
    assert report["zoo_version"] == report["library_version"]
    assert sorted(report["presets"]) == sorted(presets.PRESETS)
    for name, entry in report["presets"].items():
        assert entry["folder"] == os.path.join(report["zoo_package"], name)
        assert entry["class"] == presets.PRESETS[name]["model"]
        assert entry["max_abs_diff"] <= 1e-5, (name, entry)
    for path in report["classifiers"].values():
        assert path.startswith(report["zoo_package"])


def test_cli_outside_the_checkout(pip_install):
    venv, workdir, env, _ = pip_install
    from keras_hsvae import presets

    hsvae = venv / "bin" / "hsvae"
    listing = _run([hsvae, "presets"], cwd=workdir, env=env)
    for name in presets.PRESETS:
        assert name in listing
        if presets.PRESETS[name]["dataset"] in ("cora", "citeseer", "pubmed"):
            continue  # graph models decode links, not images: nothing to sample
        _run([hsvae, "sample", name, "--output", f"{name}.png"], cwd=workdir, env=env)
        assert (workdir / f"{name}.png").stat().st_size > 1000
    out = _run([hsvae, "demo", "--output", "demo.png"], cwd=workdir, env=env)
    assert "Sample grid written to" in out
    assert (workdir / "demo.png").stat().st_size > 1000
    if not (DATA / "binarized-mnist").is_dir():
        pytest.skip(f"binarized MNIST not found under {DATA}: evaluate not run")
    _run(
        [hsvae, "evaluate", "svae_mnist_10d", "--data-dir", DATA]
        + ["--max-examples", "200", "--num-importance-samples", "5"]
        + ["--metrics", "elbo,fid", "--output", "metrics.json"],
        cwd=workdir,
        env=env,
    )
    metrics = json.loads((workdir / "metrics.json").read_text())
    assert "fid" in metrics, metrics.get("skipped")
    assert metrics["fid"]["feature_extractor"]["name"] == "classifier:mnist"
    assert metrics["fid"]["feature_extractor"]["path"].startswith(
        os.fspath(venv.resolve())
    )
