"""Clocks that a test controls, so that no test decides pass or fail by how fast the machine is.

* ``frozen``: what ``matdiff.clock.now`` reads in every test (conftest.py): a time cap
  (``max_seconds``) never expires, whatever the machine's speed.
* ``CountingClock``: for the tests *of* the caps; each reading is one second later than the
  last, so a cap of ``max_seconds=k`` allows a fixed amount of work on any machine.
* ``ManualClockLoop``: an asyncio event loop whose clock jumps forward when the test says so,
  for the web server's own cap (which reads the event loop's clock).
"""
from __future__ import annotations

import asyncio


def frozen() -> float:
    """A clock that never moves."""
    return 0.0


class CountingClock:
    """Stands in for ``matdiff.clock.now``: each reading is one second later than the last."""

    def __init__(self):
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        return float(self.readings)


class ManualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is the real time plus what ``advance`` added: a timer
    (``asyncio.wait_for``'s timeout) fires when the test moves the clock past it, from any
    thread, and not before unless the real time gets there first."""

    def __init__(self):
        super().__init__()
        self._offset = 0.0

    def time(self) -> float:
        return super().time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move this loop's clock ``seconds`` forward (safe to call from another thread)."""
        def jump():
            self._offset += seconds
        self.call_soon_threadsafe(jump)
