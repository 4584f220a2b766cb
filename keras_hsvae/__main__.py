"""`python -m keras_hsvae ...`: see `keras_hsvae.cli`."""

import sys

from keras_hsvae.cli import main

if __name__ == "__main__":
    sys.exit(main())
