"""What the tests share: one module per job, imported as ``support.<module>``.

pytest puts ``tests/`` on ``sys.path`` (``pythonpath`` in pyproject.toml), so a
test writes ``from support import fd``; nothing edits ``sys.path`` by hand.
See tests/README.md for which test file holds what.
"""
