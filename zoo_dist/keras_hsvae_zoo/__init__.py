"""The trained presets and FID classifiers of keras-hsvae (data only).

`keras_hsvae.presets` finds this package's folder with `importlib.resources`:
`<folder>/<preset name>/` holds a preset, `<folder>/fid_classifiers/<dataset>/`
an FID classifier. Nothing here needs importing by users.
"""

from pathlib import Path

__version__ = "0.1.0"

ZOO_DIR = Path(__file__).resolve().parent
