"""Worker processes for the web API, each request under a wall-clock cap.

Every request the web page makes runs :func:`matdiff.web.service.run` in one
of a few worker processes (forked from a ``forkserver`` that has matdiff
imported, so a new worker starts in milliseconds).  A worker handles one
request at a time.  When a request runs past its time cap the worker is
killed and replaced: a runaway derivation can never hold the server.  The
derivation itself also gets the API's ``max_seconds``, so it usually stops
on its own first with a clear message.

A derivative is sent back in two messages: the result as soon as it is known,
then the result with its extras (steps, generated code, vec form).  If the
extras do not finish in time the result is answered without them.

``mode="thread"`` runs requests in a thread pool instead (no processes; a
timed-out request is answered at once but its thread runs on until the API's
own ``max_seconds`` stops it).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import threading
import time

from . import service

PRELOAD = ["matdiff", "matdiff.web.service", "latex2mathml.converter", "matdiff.web.warm"]


WORKER_START_SECONDS = 60.0


class Busy(Exception):
    """No worker became free in time."""


class TimedOut(Exception):
    """The request ran past its time cap."""


class WorkerLost(Exception):
    """The worker process died while handling the request."""


# ---- inside a worker process ------------------------------------------------------------

def _worker_main(conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server, which stops us
    try:
        conn.send(("ready", 0, None))
    except OSError:
        return
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        name, req, max_seconds = msg

        def emit(body, _conn=conn):
            _conn.send(("partial", 200, body))

        status, body = service.run(name, req, max_seconds, emit=emit)
        try:
            conn.send(("final", status, body))
        except (BrokenPipeError, OSError):
            return
        except Exception as e:  # noqa: BLE001 - e.g. something not picklable
            conn.send(("final", 500, service.error_payload(e)))


# ---- in the server ----------------------------------------------------------------------

class _Worker:
    __slots__ = ("process", "conn", "started")

    def __init__(self, process, conn):
        self.process = process
        self.conn = conn
        self.started = time.monotonic()

    def kill(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        p = self.process
        if p.is_alive():
            p.kill()
        p.join(timeout=5)


class WorkerPool:
    """``await pool.run(name, req, timeout)`` -> (HTTP status, JSON body)."""

    def __init__(self, size: int | None = None, mode: str = "process", queue_timeout: float = 30.0):
        if mode not in ("process", "thread"):
            raise ValueError(f"unknown worker mode {mode!r} (use process or thread)")
        self.size = max(1, size or min(4, os.cpu_count() or 1))
        self.mode = mode
        self.queue_timeout = queue_timeout
        self._lock = threading.RLock()
        self._started = False
        self._closed = False
        self._ctx = None
        self._workers: set[_Worker] = set()
        self._busy: set[_Worker] = set()
        self._loop = None
        self._queue: asyncio.Queue | None = None
        self._threads: concurrent.futures.ThreadPoolExecutor | None = None
        self.replaced = 0  # workers killed and replaced after a timeout (for tests and logs)

    # -- life cycle --
    def start(self) -> None:
        """Start the workers (blocking; idempotent)."""
        with self._lock:
            if self._started:
                return
            self._closed = False
            if self.mode == "thread":
                self._threads = concurrent.futures.ThreadPoolExecutor(
                    self.size, thread_name_prefix="matdiff-web")
            else:
                import multiprocessing as mp
                try:
                    self._ctx = mp.get_context("forkserver")
                    self._ctx.set_forkserver_preload(PRELOAD)
                except ValueError:  # no forkserver on this platform
                    self._ctx = mp.get_context("spawn")
                for _ in range(self.size):
                    self._spawn()
            self._started = True

    def _spawn(self) -> _Worker:
        """Start a worker and wait until it is ready for requests (blocking): its start-up
        never counts against a request's time cap."""
        parent, child = self._ctx.Pipe(duplex=True)
        p = self._ctx.Process(target=_worker_main, args=(child,), daemon=True,
                              name="matdiff-web-worker")
        p.start()
        child.close()
        w = _Worker(p, parent)
        try:
            if not parent.poll(WORKER_START_SECONDS) or parent.recv()[0] != "ready":
                raise RuntimeError("a worker process did not start")
        except (EOFError, OSError):
            w.kill()
            raise RuntimeError("a worker process did not start") from None
        except RuntimeError:
            w.kill()
            raise
        with self._lock:
            self._workers.add(w)
        return w

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._threads is not None:
                self._threads.shutdown(wait=False, cancel_futures=True)
            for w in list(self._workers):
                try:
                    w.conn.send(None)
                except OSError:
                    pass
            for w in list(self._workers):
                w.process.join(timeout=1)
                w.kill()
            self._workers.clear()
            self._busy.clear()
            self._queue = None
            self._started = False

    def _gate(self) -> asyncio.Queue:
        """The queue of idle workers (process mode) or of free slots (thread mode), bound to
        the running event loop (tests may run several loops in turn)."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop:
            self._loop = loop
            self._queue = asyncio.Queue()
            if self.mode == "thread":
                for _ in range(self.size):
                    self._queue.put_nowait(None)
            else:
                with self._lock:
                    workers = list(self._workers)
                for w in workers:
                    if w not in self._busy:
                        self._queue.put_nowait(w)
        return self._queue

    # -- a request --
    async def run(self, name: str, req: dict, timeout: float | None) -> tuple[int, dict]:
        """Run ``service.run(name, req)`` under ``timeout`` seconds (None: no cap).

        Raises Busy (no worker free within ``queue_timeout``), TimedOut, WorkerLost."""
        if not self._started:
            await asyncio.get_running_loop().run_in_executor(None, self.start)
        gate = self._gate()
        try:
            w = await asyncio.wait_for(gate.get(), self.queue_timeout)
        except asyncio.TimeoutError:
            raise Busy() from None
        if self.mode == "thread":
            try:
                return await self._run_thread(name, req, timeout)
            finally:
                gate.put_nowait(None)
        return await self._run_process(w, gate, name, req, timeout)

    async def _run_thread(self, name, req, timeout):
        loop = asyncio.get_running_loop()
        partial: list = []
        fut = loop.run_in_executor(self._threads, lambda: service.run(name, req, timeout,
                                                                      emit=partial.append))
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            if partial:
                return 200, service.without_extras(partial[-1])
            raise TimedOut() from None

    async def _run_process(self, w: _Worker, gate: asyncio.Queue, name, req, timeout):
        loop = asyncio.get_running_loop()
        self._busy.add(w)
        healthy = False
        try:
            if not w.process.is_alive():
                raise WorkerLost()
            try:
                w.conn.send((name, req, timeout))
            except (OSError, ValueError):
                raise WorkerLost() from None
            deadline = None if timeout is None else loop.time() + timeout
            partial = None
            while True:
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    break
                if not await self._readable(w.conn, remaining):
                    break
                try:
                    kind, status, body = w.conn.recv()
                except (EOFError, OSError):
                    raise WorkerLost() from None
                if kind == "final":
                    healthy = True
                    return status, body
                partial = body
            # over time: the worker is stopped (and replaced below)
            if partial is not None:
                return 200, service.without_extras(partial)
            raise TimedOut()
        finally:
            self._busy.discard(w)
            if healthy:
                gate.put_nowait(w)
            else:
                self._replace(w, gate)

    @staticmethod
    async def _readable(conn, timeout) -> bool:
        if conn.poll(0):
            return True
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        fd = conn.fileno()

        def ready():
            if not fut.done():
                fut.set_result(True)
        loop.add_reader(fd, ready)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            return False
        finally:
            loop.remove_reader(fd)

    def _replace(self, w: _Worker, gate: asyncio.Queue) -> None:
        """Kill ``w`` and put a fresh worker in its place, off the event loop; the new one
        joins the idle queue when it is up."""
        with self._lock:
            self._workers.discard(w)
        self.replaced += 1
        loop = asyncio.get_running_loop()

        def swap():
            w.kill()
            for attempt in range(5):
                if self._closed:
                    return
                try:
                    new = self._spawn()
                    break
                except Exception:  # noqa: BLE001 - try again a little later
                    time.sleep(0.5 * (attempt + 1))
            else:
                return
            if self._closed:
                new.kill()
                return
            if gate is self._queue:
                try:
                    loop.call_soon_threadsafe(gate.put_nowait, new)
                except RuntimeError:  # the loop has closed
                    pass

        threading.Thread(target=swap, name="matdiff-web-respawn", daemon=True).start()
