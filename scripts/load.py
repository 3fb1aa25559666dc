#!/usr/bin/env python3
"""Load test of matdiff's web API: N concurrent clients POST /api/derivative for T seconds.

    .venv/bin/python scripts/load.py                     # starts `matdiff serve` on a free
                                                         # loopback port, 20 clients, 30 s
    .venv/bin/python scripts/load.py --clients 5 --seconds 10
    .venv/bin/python scripts/load.py --url http://127.0.0.1:8000   # a server already running

Loopback only: any --url whose host is not a loopback address is refused.  Bounded in
time (--seconds, at most 600) and in count (--max-requests).  Prints the throughput, the
latency percentiles (p50, p90, p99, max) and the error count; the exit status is 1 when
any request failed.  Needs the web extra (httpx).
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

REQUESTS = [
    {"expression": "tr(X*A*X')", "wrt": "X"},
    {"expression": "x'*A*x", "wrt": "x"},
    {"expression": "logdet(X)", "wrt": "X"},
    {"expression": "A*tanh(B*x)", "wrt": "x"},
    {"expression": "inv(X)", "wrt": "X"},
    {"expression": "tr(X*A*X')", "wrt": "X", "layout": "numerator",
     "vars": {"X": "matrix symmetric"}},
    {"expression": "x'*A*x", "wrt": "x", "order": 2},
    {"expression": "norm2(A*x - b)^2", "wrt": "x"},
]
MAX_SECONDS = 600


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "matdiff", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    import httpx
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"load: the server did not start:\n{err}")
        try:
            if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("load: the server did not answer within 60 s")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


async def run_load(url: str, clients: int, seconds: float, max_requests: int, timeout: float):
    import httpx
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sent = 0
    stop_at = time.monotonic() + seconds

    async def client(k: int, http: httpx.AsyncClient):
        nonlocal sent
        i = k
        while time.monotonic() < stop_at and sent < max_requests:
            sent += 1
            body = REQUESTS[i % len(REQUESTS)]
            i += 1
            t = time.perf_counter()
            try:
                r = await http.post(url + "/api/derivative", json=body)
                dt = time.perf_counter() - t
                if r.status_code == 200:
                    latencies.append(dt)
                else:
                    key = f"HTTP {r.status_code}"
                    errors[key] = errors.get(key, 0) + 1
            except httpx.HTTPError as e:
                key = type(e).__name__
                errors[key] = errors.get(key, 0) + 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(k, http) for k in range(clients)))
        wall = time.perf_counter() - t0
    return latencies, errors, wall


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="a running server (loopback only); default: start one")
    p.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    p.add_argument("--seconds", type=float, default=30.0, help="duration (default 30, max 600)")
    p.add_argument("--max-requests", type=int, default=100_000,
                   help="stop after this many requests (default 100000)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the server this script starts")
    p.add_argument("--timeout", type=float, default=60.0, help="per-request timeout (s)")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 1000:
        p.error("--clients must be from 1 to 1000")
    if not 0 < args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be in (0, {MAX_SECONDS}]")
    if args.max_requests < 1:
        p.error("--max-requests must be positive")
    try:
        import httpx  # noqa: F401
    except ImportError:
        p.error("needs httpx: pip install -e '.[web]'")

    proc = None
    if args.url:
        host = urlsplit(args.url).hostname or ""
        if not loopback(host):
            p.error(f"refusing {args.url}: load tests only target the loopback address "
                    f"(127.0.0.1, ::1, localhost)")
        url = args.url.rstrip("/")
    else:
        proc, url = start_server(args.workers)
    try:
        print(f"load: {args.clients} clients, {args.seconds:g} s, POST {url}/api/derivative "
              f"({os.cpu_count()} CPUs here)", flush=True)
        lat, errors, wall = asyncio.run(run_load(url, args.clients, args.seconds,
                                                 args.max_requests, args.timeout))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat.sort()
    n_err = sum(errors.values())
    total = len(lat) + n_err
    print(f"requests:   {total} in {wall:.1f} s ({len(lat)} ok, {n_err} errors)")
    print(f"throughput: {len(lat) / wall:.1f} ok requests/s")
    if lat:
        ms = [1000 * x for x in lat]
        print(f"latency:    p50 {percentile(ms, 50):.0f} ms, p90 {percentile(ms, 90):.0f} ms, "
              f"p99 {percentile(ms, 99):.0f} ms, max {ms[-1]:.0f} ms")
    if errors:
        print("errors:     " + ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())))
    return 1 if n_err else 0


if __name__ == "__main__":
    sys.exit(main())
