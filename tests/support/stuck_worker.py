"""A web worker process (``matdiff.web.pool``'s ``_worker_main``) that never answers one request.

A test puts ``main`` in place of ``pool._worker_main``: the workers it starts behave as usual,
except that a request for the expression ``NEVER_ENDS`` blocks for ever, a workload that
certainly runs past any time cap.  Importable in the worker because pytest's ``sys.path``
travels to the processes that multiprocessing starts.
"""
from __future__ import annotations

import threading

NEVER_ENDS = "never_ends(x)"


def main(conn) -> None:
    from matdiff.web import pool, service
    real = service.run

    def run(name, req, max_seconds, emit=None):
        if req.get("expression") == NEVER_ENDS:
            threading.Event().wait()         # nothing sets it: the worker is killed at the cap
        return real(name, req, max_seconds, emit=emit)

    service.run = run
    pool._worker_main(conn)
