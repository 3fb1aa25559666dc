"""``python -m matdiff ...`` runs the command line (see ``matdiff.cli``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
