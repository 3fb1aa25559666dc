"""The web page and JSON API of matdiff: ``matdiff serve`` (needs the ``web`` extra).

    pip install 'matdiff[web]'
    matdiff serve                    # http://127.0.0.1:8000/
    python -c "from matdiff.web import create_app"   # the FastAPI app, for tests or ASGI servers

This package imports FastAPI only when the app is built, so ``matdiff serve --help``
works without it.
"""
from __future__ import annotations

import argparse
import ipaddress
import sys

__all__ = ["create_app", "serve_main"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def __getattr__(name):
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(name)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _port(text: str) -> int:
    try:
        p = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= p <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: 0 to 65535")
    return p


def _positive(kind):
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}") from None
        if v <= 0:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: must be positive")
        return v
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matdiff serve",
        description="Start matdiff's web page and JSON API (FastAPI under uvicorn). It listens "
                    "on the loopback address only, unless --host says otherwise.",
        epilog="API: POST /api/parse, /api/derivative, /api/check, /api/evaluate, "
               "/api/gradcheck; schema at "
               "/openapi.json. Needs the web extra: pip install 'matdiff[web]'.")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}, this machine only)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--workers", type=_positive(int), default=None,
                   help="worker processes for derivations (default: CPU count, at most 4)")
    p.add_argument("--max-seconds", type=_positive(float), default=10.0,
                   help="time cap of one request in seconds (default 10)")
    p.add_argument("--max-body", type=_positive(int), default=10_000,
                   help="largest request body in bytes (default 10000)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn's log level (default info)")
    return p


def serve_main(argv: list[str]) -> int:
    """``matdiff serve [--host H] [--port P] ...``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0
    try:
        import uvicorn

        from .app import create_app
    except ImportError as e:
        print(f"matdiff: error: 'matdiff serve' needs the web extra ({e.name or e} is missing): "
              f"pip install 'matdiff[web]'", file=sys.stderr)
        return 2
    if not _is_loopback(args.host):
        print(f"matdiff serve: warning: listening on {args.host}, not only this machine; "
              f"anyone who can reach it can use the server", file=sys.stderr)
    app = create_app(max_seconds=args.max_seconds, max_body=args.max_body, workers=args.workers)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"matdiff serve: http://{host}:{args.port}/  (Ctrl-C stops it)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
