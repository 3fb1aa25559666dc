"""The one clock that every time cap (``max_seconds``) reads.

Typing, differentiation and simplification compare ``now()`` with a
deadline made by ``deadline_after``.  Reading the time through this module
lets the tests replace the clock by one that counts its readings, so a test
of a cap decides pass or fail by the amount of work done, never by how fast
the machine is.
"""
from __future__ import annotations

import time

now = time.monotonic


def deadline_after(seconds: float | None) -> float | None:
    """The deadline ``seconds`` from now, or None for no cap."""
    return now() + seconds if seconds else None


def expired(deadline: float | None) -> bool:
    """Whether a deadline made by ``deadline_after`` has passed."""
    return deadline is not None and now() > deadline
