"""The web API's limits: the request size cap, the time cap (a runaway worker stopped, the
server going on), internal errors as JSON, and ``matdiff serve``'s options."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest

from support import stuck_worker, web
from support.clocks import ManualClockLoop
from support.web import TestClient, assert_error

from matdiff.web import pool, service
from matdiff.web.app import BodyLimit, create_app

client = pytest.fixture(scope="module")(web.client)

# ---- the size cap -------------------------------------------------------------------------------

def test_size_cap_by_content_length(client):
    big = {"expression": "x'*x" + " + x'*x" * 2000, "wrt": "x"}
    assert len(json.dumps(big)) > 10_000
    body = assert_error(client.post("/api/derivative", json=big), 413, contains="10000 bytes")
    assert body["position"] is None


def test_size_cap_by_actual_body_without_content_length(client):
    chunks = [b'{"expression": "' + b"x" * 4000, b"x" * 4000, b"x" * 4000 + b'", "wrt": "x"}']
    r = client.post("/api/parse", content=iter(chunks), headers={"content-type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_error(r, 413)


def test_size_cap_when_content_length_lies():
    """A body longer than its Content-Length says is counted, not trusted."""
    sent = []

    async def app(scope, receive, send):  # never reached
        raise AssertionError("the app must not see an oversized body")

    async def main():
        chunks = [{"type": "http.request", "body": b"a" * 6000, "more_body": True},
                  {"type": "http.request", "body": b"a" * 6000, "more_body": False}]

        async def receive():
            return chunks.pop(0)

        async def send(msg):
            sent.append(msg)
        scope = {"type": "http", "method": "POST", "path": "/api/parse",
                 "headers": [(b"content-length", b"100"), (b"content-type", b"application/json")]}
        await BodyLimit(app, 10_000)(scope, receive, send)
    asyncio.run(main())
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"].startswith("the request is larger")


def test_a_body_at_the_cap_is_accepted(client):
    expr = "x'*x"
    payload = {"expression": expr, "wrt": "x"}
    base = len(json.dumps(payload).encode())
    payload["expression"] = expr + " " * (10_000 - base)
    data = json.dumps(payload).encode()
    assert len(data) == 10_000
    r = client.post("/api/derivative", content=data, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


# ---- the time cap -------------------------------------------------------------------------------

# No test here waits on a clock: a request that must run past the cap blocks until the test
# has its answer (or for ever), and the derivation's own cap counts clock readings.

def test_time_cap_stops_a_runaway_worker_and_the_server_goes_on(monkeypatch):
    """A request that never ends is answered 408 at the cap; its worker is killed and
    replaced, and the server goes on."""
    monkeypatch.setattr(pool, "_worker_main", stuck_worker.main)
    app = create_app(max_seconds=0.05, workers=1, queue_timeout=600)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/derivative", json={"expression": stuck_worker.NEVER_ENDS, "wrt": "x"})
        body = assert_error(r, 408, position=None, contains="time limit of 0.05 s")
        assert body["type"] == "LimitError"
        assert app.state.pool.replaced == 1          # the busy worker was killed and replaced
        # the server (and a fresh worker) still answer
        r = c.post("/api/derivative", json={"expression": "x'*x", "wrt": "x"})
        assert r.status_code == 200 and r.json()["text"] == "2*x"


def test_a_derivation_stops_itself_at_the_cap(counting_clock):
    """The derivation gets the API's own max_seconds and stops itself with a clear 422 (here
    after 100 readings of the counting clock)."""
    app = create_app(max_seconds=100, mode="thread", workers=1)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/derivative", json={"expression": "alpha" + "*alpha" * 1000, "wrt": "alpha"})
        body = assert_error(r, 422, contains="too long")
        assert body["type"] == "LimitError"
    assert counting_clock.readings > 100


def test_time_cap_in_thread_mode(monkeypatch):
    """A request whose work has not ended at the cap is answered 408 then, as clear JSON."""
    release = threading.Event()

    def stuck(name, req, max_seconds, emit=None):
        release.wait()                              # ends only after the answer is checked
        return 200, {}
    monkeypatch.setattr(service, "run", stuck)
    app = create_app(max_seconds=0.2, mode="thread", workers=1)
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.post("/api/derivative", json={"expression": "x'*x", "wrt": "x"})
            body = assert_error(r, 408, contains="time limit of 0.2 s")
            assert body["type"] == "LimitError"
    finally:
        release.set()


def test_extras_that_run_late_are_left_out(monkeypatch):
    """When the result is known but the steps and code are not done at the cap, the result
    is answered without them.  The cap is reached when the test moves the server's clock,
    after the result is out and while the extras still run."""
    real = service.derivative
    loops = []
    release = threading.Event()

    def slow_extras(req, max_seconds=None, extras=True, emit=None):
        out = real(req, max_seconds, extras=False)
        emit(out)
        loops[0].advance(600)                      # the cap is reached now
        release.wait()                             # the extras end only after the answer
        return out
    monkeypatch.setattr(service, "derivative", slow_extras)
    monkeypatch.setitem(service.ENDPOINTS, "derivative", slow_extras)
    app = create_app(max_seconds=600, mode="thread", workers=1)

    def new_loop():
        loops.append(ManualClockLoop())
        return loops[-1]
    try:
        with TestClient(app, raise_server_exceptions=False,
                        backend_options={"loop_factory": new_loop}) as c:
            r = c.post("/api/derivative", json={"expression": "x'*A*x", "wrt": "x"})
            assert r.status_code == 200, r.text
            assert r.json()["text"] == "(A + A')*x" and "extras" in r.json()["notes"]
    finally:
        release.set()


def test_internal_errors_are_json_not_tracebacks(monkeypatch):
    def boom(req, max_seconds=None, extras=True, emit=None):
        raise ZeroDivisionError("oops")
    monkeypatch.setitem(service.ENDPOINTS, "derivative", boom)
    app = create_app(mode="thread", workers=1)
    with TestClient(app, raise_server_exceptions=False) as c:
        body = assert_error(c.post("/api/derivative", json={"expression": "x", "wrt": "x"}), 500,
                            contains="internal error")
        assert "Traceback" not in json.dumps(body)


# ---- the command line ---------------------------------------------------------------------------

def test_serve_help_and_bad_options(capsys):
    from matdiff import cli
    assert cli.main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out and "127.0.0.1" in out
    assert cli.main(["serve", "--port", "notaport"]) == 2


def test_serve_defaults_to_loopback():
    from matdiff.web import _is_loopback, build_parser
    args = build_parser().parse_args([])
    assert args.host == "127.0.0.1" and args.port == 8000 and _is_loopback(args.host)
    assert _is_loopback("::1") and _is_loopback("localhost") and not _is_loopback("0.0.0.0")

