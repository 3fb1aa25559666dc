"""Fixtures for every test.  The helpers themselves live in tests/support/."""
import pytest
from hypothesis import HealthCheck, settings

from support.backends import backend, dense_backend  # noqa: F401  (fixtures over the code backends)
from support.clocks import CountingClock, frozen

# Hypothesis must not fail an example for being slow (its default deadline is 200 ms).
settings.register_profile("matdiff", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("matdiff")


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch):
    """No test passes or fails by the machine's speed: the engine's time caps read a clock
    that never moves.  The tests of the caps ask for ``counting_clock`` instead."""
    from matdiff import clock
    monkeypatch.setattr(clock, "now", frozen)


@pytest.fixture
def counting_clock(monkeypatch):
    """``matdiff.clock.now`` counts its readings: a cap of ``max_seconds=k`` allows k readings."""
    from matdiff import clock
    fake = CountingClock()
    monkeypatch.setattr(clock, "now", fake)
    return fake
