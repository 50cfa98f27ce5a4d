"""``python -m simulations SCENARIO [options]``; see ``simulations/cli.py``."""

import sys

from .cli import main

sys.exit(main())
