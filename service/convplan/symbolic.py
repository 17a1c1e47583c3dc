"""Symbolic (and heavy numeric) work under a time budget, in worker processes.

SymPy can run for minutes on an unlucky expression and cannot be
interrupted from another thread, so every symbolic request runs in a
separate process (``python -m convplan._symbolic_worker``), as does numeric
work that outgrew its inline budget (``convplan.budget``). The worker stops
work at its budget where the work has check points; one that overruns it
anyway is killed and replaced, and only that request gets a 422. A worker
that dies (killed, out of memory) is replaced too: found dead before use,
silently; during a request, that request is retried once. Workers are plain
subprocesses (not multiprocessing), so nothing of the parent's ``__main__``
is re-imported, and they are warmed at start-up so the budget does not pay
for imports.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convplan import errors
from convplan.errors import OverBudget, SymbolicTimeout, WorkerCrashed

__all__ = ["Job", "JobCancelled", "SymbolicPool", "SymbolicWorkerBug", "call_entry"]


class SymbolicWorkerBug(RuntimeError):
    """An exception inside a worker that is not a refusal: a bug, with the worker's traceback."""


class JobCancelled(Exception):
    """The job was cancelled (its client went away): its worker was killed and is being replaced."""


class _Died(Exception):
    """The worker's pipe closed: the process is gone (killed, crashed, out of memory)."""


_READY_SECONDS = 60.0  # a cold worker imports SymPy, NumPy and the Pydantic models
# The worker stops itself at the budget (convplan.budget) where the work has check points;
# the parent kills it this long after, for work that has none (one long SymPy call).
_GRACE_SECONDS = 0.5
_HEADER = struct.Struct(">I")


def call_entry(entry: str, payload: Any, limits: Any) -> Any:
    """Import ``module:function`` and call it; shared by workers and inline use."""
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)(payload, limits)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, obj: Any) -> None:
        from convplan._symbolic_worker import write_frame

        assert self.process.stdin is not None
        try:
            write_frame(self.process.stdin, obj)  # type: ignore[arg-type]
        except OSError as exc:  # BrokenPipeError: it died since the last look
            raise _Died from exc

    def receive(self, seconds: float) -> Any:
        """The next reply, or None when none arrives within ``seconds``; ``_Died`` when the worker is gone."""
        import pickle

        deadline = time.monotonic() + seconds
        header = self._read(_HEADER.size, deadline)
        if header is None:
            return None
        body = self._read(_HEADER.unpack(header)[0], deadline + 5.0)
        return None if body is None else pickle.loads(body)

    def _read(self, size: int, deadline: float) -> bytes | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        chunks, got = [], 0
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, size - got)
            if not chunk:
                raise _Died
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def kill(self) -> int | None:
        """Stop (or reap) the process and close its pipes; its exit status (negative: the signal)."""
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            # A dead worker's stdin may still buffer a frame: the flush on close fails.
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        return self.process.returncode


def _spawn() -> _Worker:
    env = dict(os.environ)
    # The child must import this very convplan, wherever it was imported from.
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        [sys.executable, "-m", "convplan._symbolic_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    worker = _Worker(process)
    try:
        ready = worker.receive(_READY_SECONDS)
    except _Died:
        ready = None
    if ready != "ready":
        status = worker.kill()
        raise WorkerCrashed(f"a worker process did not start ({_died_text(status)})",
                            [errors.ErrorItem((), "worker process did not start", "worker_crashed")],
                            retry_after=1)
    return worker


class Job:
    """One request's turn in the pool; ``cancel()`` (from any thread) stops it, killing its worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self.cancelled = False

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            if self._worker is not None and self._worker.alive():
                self._worker.process.kill()  # the blocked receive() sees the pipe close

    def _attach(self, worker: _Worker) -> None:
        with self._lock:
            if self.cancelled:
                raise JobCancelled
            self._worker = worker

    def _detach(self) -> None:
        with self._lock:
            self._worker = None


def _died_text(status: int | None) -> str:
    return f"killed by signal {-status}" if status is not None and status < 0 else f"exit status {status}"


class SymbolicPool:
    """At most ``workers`` requests at once; each gets its budget (``budget`` seconds for symbolic work).

    A worker found dead before use is replaced; one that dies during a request
    is replaced and the request retried once on a fresh worker, then reported
    as ``WorkerCrashed``; a killed worker's replacement starts in the background."""

    def __init__(self, workers: int, budget: float) -> None:
        self.budget = budget
        self._workers = workers
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.Semaphore(workers)
        self._closed = False
        self._lock = threading.Lock()
        self._starting = 0  # workers being started in the background

    def warm(self) -> None:
        """Start the workers ahead of the first request, in a background thread."""
        self._start(self._workers)

    def _start(self, count: int) -> None:
        def start() -> None:
            try:
                for _ in range(count):
                    self._release(_spawn())
            except Exception:  # pragma: no cover - best effort; run() spawns on demand
                pass
            finally:
                with self._lock:
                    self._starting -= count

        with self._lock:
            self._starting += count
        threading.Thread(target=start, name="convplan-symbolic-warm", daemon=True).start()

    def run(self, entry: str, payload: Any, limits: Any, *, seconds: float | None = None,
            error: type[OverBudget] = SymbolicTimeout, job: Job | None = None) -> Any:
        """Blocking: ``entry(payload, limits)`` in a worker within ``seconds`` (default: the symbolic budget);
        over it, ``error`` (a refusal). ``JobCancelled`` when ``job`` was cancelled."""
        seconds = self.budget if seconds is None else seconds
        job = job or Job()
        with self._slots:
            reply = self._ask((entry, payload, limits, seconds, error.__name__), seconds, error, job)
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "bug":
            raise SymbolicWorkerBug(f"symbolic worker failed on {entry}:\n{reply[1]}")
        _, name, detail, items, extra = reply
        cls = getattr(errors, name, errors.InvalidRequest)
        located = [errors.ErrorItem(tuple(i["loc"]), i["msg"], i["type"], i["layer"], i["axis"]) for i in items]
        raise cls(detail, located, extra=extra)

    def _ask(self, frame: tuple[Any, ...], seconds: float, error: type[OverBudget], job: Job) -> Any:
        """The worker's reply to ``frame``: on a fresh worker once more if the first one died."""
        statuses: list[int | None] = []
        while True:
            worker = self._take()
            try:
                job._attach(worker)
            except JobCancelled:
                self._release(worker)
                raise
            started = time.monotonic()
            try:
                worker.send(frame)
                reply = worker.receive(seconds + _GRACE_SECONDS)
            except _Died:
                statuses.append(worker.kill())
                if job.cancelled:
                    self._start(1)
                    raise JobCancelled from None
                if len(statuses) == 2:
                    self._start(1)
                    raise WorkerCrashed(
                        f"the worker process running this request died ({_died_text(statuses[0])}), and so did "
                        f"the one it was retried on ({_died_text(statuses[1])})",
                        [errors.ErrorItem((), "worker process died", "worker_crashed")],
                        retry_after=1,
                    ) from None
                continue  # the retry spawns its worker in _take
            finally:
                job._detach()
            if reply is None:
                worker.kill()
                self._start(1)
                raise error.after(time.monotonic() - started, seconds)
            self._release(worker)
            return reply

    def _take(self) -> _Worker:
        """An idle worker that is still alive (dead ones are reaped); else the next one started in the
        background (starting another would only slow both down), else a new one."""
        while True:
            try:
                worker = self._idle.get(timeout=_READY_SECONDS) if self._starting else self._idle.get_nowait()
            except queue.Empty:
                return _spawn()
            if worker.alive():
                return worker
            worker.kill()

    def _release(self, worker: _Worker) -> None:
        """Back to the idle queue, or gone if the pool closed meanwhile or is full (a replacement raced)."""
        if self._closed or self._idle.qsize() >= self._workers:
            worker.kill()
        else:
            self._idle.put(worker)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return
