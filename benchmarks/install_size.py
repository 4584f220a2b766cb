"""What `pip install keras-hsvae` adds, before and after the extras split.

Builds two wheels: the working tree's, and that of `--old-ref` (default
`OLD_REF`, the last commit that required TensorFlow, TFP, tf-keras,
tensorflow-datasets and matplotlib; taken with `git archive`). For each, in
fresh virtual environments under a temporary folder:

1. over TensorFlow-CPU: `pip install "tensorflow-cpu==2.21.*"`, measure
   site-packages, `pip install <wheel>`, measure again, and list the
   TensorFlow distributions (a second one means pip installed the full
   `tensorflow` wheel next to tensorflow-cpu, in the same `tensorflow/`
   folder); for the new wheel also `pip install "<wheel>[data,plots]"`;
2. in an empty environment: `pip install <wheel>`, measure site-packages.

Sizes are the apparent bytes of the files under site-packages (symbolic
links not followed). Writes `results/install_size.json`. Needs network
access to PyPI (or a warm pip cache) and a few GB in the temporary folder;
takes minutes.

    python benchmarks/install_size.py [--old-ref REF] [--keep]
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
TF_CPU = "tensorflow-cpu==2.21.*"
# Before the extras split (issue #8): every optional package was required.
OLD_REF = "721328e"
TF_DISTS = {
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-intel",
    "tensorflow-macos",
    "tf-nightly",
    "tf-nightly-cpu",
}
PIP = ["-m", "pip", "--disable-pip-version-check", "--no-input"]


def run(cmd, **kwargs):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def tree_bytes(folder):
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_size
    return total


def copy_working_tree(dest):
    """Tracked and untracked, not ignored files of the working tree."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, names):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def export_ref(ref, dest):
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    archive_path = dest.parent / f"{dest.name}.tar"
    archive_path.write_bytes(archive)
    dest.mkdir(parents=True)
    with tarfile.open(archive_path) as tar:
        tar.extractall(dest, filter="data")


def build_wheel(source, out):
    run([sys.executable, *PIP, "wheel", "--quiet", "--no-deps", "-w", out, source])
    (wheel,) = Path(out).glob("*.whl")
    return wheel


class Venv:
    def __init__(self, path):
        run([sys.executable, "-m", "venv", path])
        self.python = Path(path) / "bin" / "python"
        # The same, current pip in every environment (not counted below).
        run([self.python, *PIP, "install", "--quiet", "--upgrade", "pip"])
        self.pip_version = subprocess.run(
            [self.python, *PIP, "--version"], check=True, capture_output=True, text=True
        ).stdout.split()[1]
        self.site = Path(
            subprocess.run(
                [
                    self.python,
                    "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        self.path = Path(path)

    def install(self, *requirements):
        start = time.perf_counter()
        run([self.python, *PIP, "install", "--quiet", *requirements])
        return round(time.perf_counter() - start, 1)

    def state(self):
        listing = subprocess.run(
            [self.python, *PIP, "list", "--format=json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        # Normalized names (PEP 503): pip lists tensorflow-cpu as tensorflow_cpu.
        dists = {
            re.sub(r"[-_.]+", "-", d["name"]).lower(): d["version"]
            for d in json.loads(listing)
        }
        return tree_bytes(self.site), dists


def _step(before, after, seconds, command):
    (size0, dists0), (size1, dists1) = before, after
    tf = {name: version for name, version in dists1.items() if name in TF_DISTS}
    return {
        "command": command,
        "seconds": seconds,
        "site_packages_bytes_before": size0,
        "site_packages_bytes_after": size1,
        "increase_bytes": size1 - size0,
        "increase_mb": round((size1 - size0) / 1e6, 1),
        "added": {n: v for n, v in sorted(dists1.items()) if n not in dists0},
        "tensorflow_distributions": tf,
        "second_tensorflow": len(tf) > 1,
    }


def measure(wheel, work, label, extras=None):
    result = {"wheel": wheel.name, "wheel_bytes": wheel.stat().st_size}
    env = Venv(work / f"venv-{label}-tfcpu")
    result["pip"] = env.pip_version
    empty = env.state()
    seconds = env.install(TF_CPU)
    with_tf = env.state()
    result["tensorflow_cpu"] = _step(empty, with_tf, seconds, f'pip install "{TF_CPU}"')
    seconds = env.install(str(wheel))
    after = env.state()
    result["over_tensorflow_cpu"] = _step(
        with_tf, after, seconds, f"pip install {wheel.name}"
    )
    if extras:
        seconds = env.install(f"{wheel}[{extras}]")
        result[f"over_tensorflow_cpu_plus_{extras.replace(',', '_')}"] = _step(
            after, env.state(), seconds, f'pip install "{wheel.name}[{extras}]"'
        )
    shutil.rmtree(env.path)
    env = Venv(work / f"venv-{label}-fresh")
    empty = env.state()
    seconds = env.install(str(wheel))
    result["fresh"] = _step(empty, env.state(), seconds, f"pip install {wheel.name}")
    shutil.rmtree(env.path)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-ref", default=OLD_REF, help="commit of the old wheel")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="install_size_"))
    try:
        old_ref = subprocess.run(
            ["git", "rev-parse", args.old_ref],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        copy_working_tree(work / "newsrc")
        export_ref(old_ref, work / "oldsrc")
        new_wheel = build_wheel(work / "newsrc", work / "wheel-new")
        old_wheel = build_wheel(work / "oldsrc", work / "wheel-old")
        pip_version = subprocess.run(
            [sys.executable, *PIP, "--version"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[1]
        payload = {
            "benchmark": "site-packages growth of `pip install keras-hsvae`",
            "environment": {
                "python": platform.python_version(),
                "pip": pip_version,
                "platform": platform.platform(),
            },
            "old": {"ref": old_ref, **measure(old_wheel, work, "old")},
            "new": {
                "ref": "working tree",
                **measure(new_wheel, work, "new", extras="data,plots"),
            },
        }
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "install_size.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
    for label in ("old", "new"):
        over, fresh = payload[label]["over_tensorflow_cpu"], payload[label]["fresh"]
        print(
            f"{label}: over tensorflow-cpu +{over['increase_mb']} MB, "
            f"TensorFlow dists {over['tensorflow_distributions']}; "
            f"fresh env {fresh['increase_mb']} MB"
        )


if __name__ == "__main__":
    main()
