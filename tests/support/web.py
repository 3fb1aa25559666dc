"""What the web API's test modules share: a TestClient on an app without a wall-clock cap,
and the check that an error answer is one-line JSON that points at the place."""
from __future__ import annotations

import warnings

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
pytest.importorskip("httpx", reason="the web extra is not installed: pip install -e '.[web]'")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette may suggest httpx2 over httpx
    from fastapi.testclient import TestClient

from matdiff.web.app import create_app  # noqa: E402


def client():
    """A module's client (``client = pytest.fixture(scope="module")(web.client)``)."""
    app = create_app(max_seconds=None, workers=2)  # no wall-clock cap: the caps' tests make their own
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_error(r, status, *, position=..., field=..., contains=None):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) >= {"error", "position", "end"}
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in body["error"]
    if position is not ...:
        assert body["position"] == position, body
    if field is not ...:
        assert body["field"] == field, body
    if contains:
        assert contains.lower() in body["error"].lower(), body
    return body
