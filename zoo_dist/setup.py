"""Build `keras-hsvae-zoo`: the package plus the data collected from `zoo/`.

The data is copied into the build folder by `build_py`, never committed under
`zoo_dist/`. Collected from the zoo folder (`$KERAS_HSVAE_ZOO_SOURCE`, else
`../zoo` beside this folder):

- each preset folder `zoo/<name>/` that holds `config.json`,
  `model.weights.h5` and `metadata.json`: its top-level files (model card,
  evaluation, golden outputs included; no subfolders such as `backup/`);
- `zoo/fid_classifiers/<dataset>/`: its top-level files;
- `zoo/README.md`.

Left out: `zoo/runs/` (training checkpoints), the scripts `zoo/*.py`, recipes
and anything else at the top of `zoo/`.
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACKAGE = "keras_hsvae_zoo"
PRESET_FILES = ("config.json", "model.weights.h5", "metadata.json")
FID_CLASSIFIERS = "fid_classifiers"
SKIPPED_DIRS = ("runs", FID_CLASSIFIERS)


def _zoo_source():
    source = os.environ.get("KERAS_HSVAE_ZOO_SOURCE")
    zoo = Path(source) if source else Path(__file__).resolve().parent.parent / "zoo"
    if not zoo.is_dir():
        raise SystemExit(
            f"keras-hsvae-zoo: no zoo folder at {zoo}. Build the wheel from the "
            "repository (`pip wheel --no-deps zoo_dist`) or set "
            "KERAS_HSVAE_ZOO_SOURCE to the zoo folder."
        )
    return zoo


def _files(folder):
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
    )


def collect(zoo):
    """The (source file, path inside the package) pairs to ship."""
    pairs = []
    for folder in sorted(p for p in zoo.iterdir() if p.is_dir()):
        if folder.name in SKIPPED_DIRS or folder.name.startswith((".", "_")):
            continue
        if all((folder / f).is_file() for f in PRESET_FILES):
            pairs += [(f, Path(folder.name, f.name)) for f in _files(folder)]
    classifiers = zoo / FID_CLASSIFIERS
    if classifiers.is_dir():
        for folder in sorted(p for p in classifiers.iterdir() if p.is_dir()):
            pairs += [
                (f, Path(FID_CLASSIFIERS, folder.name, f.name)) for f in _files(folder)
            ]
    if (zoo / "README.md").is_file():
        pairs.append((zoo / "README.md", Path("README.md")))
    return pairs


class BuildWithZoo(build_py):
    """`build_py` that also copies the zoo's data into the package."""

    def run(self):
        target = Path(self.build_lib, PACKAGE)
        # A fresh copy: no file of an earlier build survives into this one.
        shutil.rmtree(target, ignore_errors=True)
        super().run()
        pairs = collect(_zoo_source())
        if not any(path.name == "model.weights.h5" for _, path in pairs):
            raise SystemExit("keras-hsvae-zoo: the zoo folder holds no preset.")
        for source, path in pairs:
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / path)


setup(cmdclass={"build_py": BuildWithZoo})
