"""Per-package counts of a mutmut run, from its result files (docs/MUTATION.md).

Usage: python docs/mutation/summarize.py [MUTANTS_DIR] [--survivors]

Reads `MUTANTS_DIR/keras_hsvae/**/*.py.meta` (default `mutants/`), where mutmut
stores each mutant's exit code, and prints one row per package: mutants
generated, checked, killed, timeout, survived, no tests (no selected test
reaches the mutated function) and the share surviving, `(survived + no tests)
/ checked`, against the target of issue #14. `--survivors` lists the names
of the surviving mutants instead (`mutmut show NAME` prints each diff).
"""

import collections
import json
import pathlib
import sys

# mutmut 3.8's exit code -> status (mutmut/stats.py, `status_by_exit_code`).
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "type check",
    None: "not checked",
}
PACKAGES = ("ops", "distributions", "layers", "models", "evaluation")
TARGET = {"ops": 5.0, "distributions": 5.0}  # percent surviving; 10 elsewhere
COLUMNS = ("killed", "timeout", "survived", "no tests")


def load(root):
    """`{package: {mutant name: status}}` from the `.meta` files under `root`."""
    results = collections.defaultdict(dict)
    for meta in sorted(pathlib.Path(root, "keras_hsvae").rglob("*.py.meta")):
        package = meta.relative_to(root).parts[1]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            results[package][name] = STATUS.get(code, "suspicious")
    return results


def main(argv):
    root = next((a for a in argv if not a.startswith("--")), "mutants")
    results = load(root)
    if "--survivors" in argv:
        for package in PACKAGES:
            for name, status in sorted(results[package].items()):
                if status in ("survived", "no tests", "suspicious"):
                    print(f"{status:9s} {name}")
        return
    header = ("package", "mutants", "checked", *COLUMNS, "% surviving", "target")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for package in PACKAGES:
        counts = collections.Counter(results[package].values())
        checked = sum(counts.values()) - counts["not checked"] - counts["skipped"]
        surviving = counts["survived"] + counts["no tests"] + counts["suspicious"]
        share = f"{100 * surviving / checked:.1f}" if checked else "-"
        row = (
            package,
            sum(counts.values()),
            checked,
            *(counts[c] for c in COLUMNS),
            share,
            f"<= {TARGET.get(package, 10.0):g}",
        )
        print("| " + " | ".join(str(x) for x in row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
