"""Names of a fixed sample of the generated mutants (docs/MUTATION.md).

Usage: python docs/mutation/sample.py PACKAGE:EVERY [PACKAGE:EVERY ...] [--dir D]

Prints, one per line, the mutants of `keras_hsvae.PACKAGE` whose name hashes
to 0 modulo EVERY (sha256 of the name): about one in EVERY, the same ones on
every machine and every run, independent of the order of generation. Needs
the mutants generated (`mutants/`, by a first `mutmut run`). For
`make mutation MUTANTS="$(python docs/mutation/sample.py ops:10)"`.
"""

import hashlib
import json
import pathlib
import sys


def sampled(name, every):
    return int(hashlib.sha256(name.encode()).hexdigest()[:12], 16) % every == 0


def main(argv):
    root = pathlib.Path("mutants")
    if "--dir" in argv:
        root = pathlib.Path(argv[argv.index("--dir") + 1])
        argv = argv[: argv.index("--dir")] + argv[argv.index("--dir") + 2 :]
    for spec in argv:
        package, every = spec.split(":")
        for meta in sorted((root / "keras_hsvae" / package).rglob("*.py.meta")):
            for name in json.loads(meta.read_text())["exit_code_by_key"]:
                if sampled(name, int(every)):
                    print(name)


if __name__ == "__main__":
    main(sys.argv[1:])
