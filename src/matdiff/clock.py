"""The one clock that every time cap (``max_seconds``) reads.

Typing, differentiation and simplification compare ``now()`` with a
deadline made by ``deadline_after``.  Printing a result (text, LaTeX, steps,
generated code) runs inside ``capped``: the printers call ``tick()`` as they
go, which stops them with a ``LimitError`` once the cap has passed.  Reading
the time through this module lets the tests replace the clock by one that
counts its readings, so a test of a cap decides pass or fail by the amount
of work done, never by how fast the machine is.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

now = time.monotonic

# (deadline, seconds, what) of the printing under way, or None: what ``tick`` checks
_printing: list = [None]


def deadline_after(seconds: float | None) -> float | None:
    """The deadline ``seconds`` from now, or None for no cap."""
    return now() + seconds if seconds else None


def expired(deadline: float | None) -> bool:
    """Whether a deadline made by ``deadline_after`` has passed."""
    return deadline is not None and now() > deadline


@contextmanager
def capped(seconds: float | None, what: str):
    """Run a printing of ``what`` (e.g. "the LaTeX of the result (1,234 symbols)") under a
    time cap of ``seconds`` (None or 0: none).  Inside a printing already capped, the outer
    cap rules (a printing that prints its parts is one printing)."""
    if _printing[0] is not None or not seconds:
        yield
        return
    _printing[0] = (deadline_after(seconds), seconds, what)
    try:
        yield
    finally:
        _printing[0] = None


def tick() -> None:
    """Called by the printers as they work: a LimitError once the printing's cap has passed."""
    cap = _printing[0]
    if cap is not None and now() > cap[0]:
        from .errors import LimitError
        raise LimitError(f"printing {cap[2]} takes too long (over the time limit of "
                         f"{cap[1]:g} s); raise max_seconds to allow it")
