"""``python -m fzgeo``: the same as the ``fzgeo`` console script."""

import sys

from fzgeo.cli import main

sys.exit(main())
