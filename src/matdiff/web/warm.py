"""Imported once by the worker processes' forkserver (``pool.PRELOAD``): loads the modules a
request needs and runs one small request of each kind, so that every worker forked from it
answers its first request as fast as its later ones."""
from __future__ import annotations


def warm() -> None:
    from . import service
    for name, req in (
        ("parse", {"expression": "tr(X*A*X') + x'*inv(B)*x"}),
        ("derivative", {"expression": "tr(X*A*X')", "wrt": "X"}),
        ("derivative", {"expression": "A*tanh(B*x)", "wrt": "x"}),
        ("derivative", {"expression": "inv(X)", "wrt": "X"}),
        ("evaluate", {"expression": "x'*x", "values": {"x": [1.0, 2.0]}}),
    ):
        try:
            service.run(name, req, 10.0)
        except Exception:  # noqa: BLE001 - warming up is best effort
            pass


warm()
