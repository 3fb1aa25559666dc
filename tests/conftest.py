import os
import sys

# Let test modules import the helpers next to them (corpus_check, ...) whatever
# pytest's import mode.
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
