"""Symbolic work under a time budget, in worker processes.

SymPy can run for minutes on an unlucky expression and cannot be
interrupted from another thread, so every symbolic request runs in a
separate process (``python -m convplan._symbolic_worker``); one that
overruns its budget is killed and replaced, and only that request gets a
422. Workers are plain subprocesses (not multiprocessing), so nothing of
the parent's ``__main__`` is re-imported, and they are warmed at start-up so
the budget does not pay for imports.
"""

from __future__ import annotations

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
from convplan.errors import ErrorItem, SymbolicTimeout

__all__ = ["SymbolicPool", "SymbolicWorkerBug", "call_entry"]


class SymbolicWorkerBug(RuntimeError):
    """An exception inside a worker that is not a refusal: a bug, with the worker's traceback."""

_READY_SECONDS = 60.0  # a cold worker imports SymPy, NumPy and the Pydantic models
_HEADER = struct.Struct(">I")


def call_entry(entry: str, payload: Any, limits: Any) -> Any:
    """Import ``module:function`` and call it; shared by workers and inline use."""
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)(payload, limits)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]

    def send(self, obj: Any) -> None:
        from convplan._symbolic_worker import write_frame

        assert self.process.stdin is not None
        write_frame(self.process.stdin, obj)  # type: ignore[arg-type]

    def receive(self, seconds: float) -> Any:
        """The next reply, or None when none arrives within ``seconds``."""
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
                return None  # the worker died
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


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
    if worker.receive(_READY_SECONDS) != "ready":
        worker.kill()
        raise RuntimeError("symbolic worker did not start")
    return worker


class SymbolicPool:
    """At most ``workers`` symbolic requests at once; each gets ``budget`` seconds."""

    def __init__(self, workers: int, budget: float) -> None:
        self.budget = budget
        self._workers = workers
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.Semaphore(workers)
        self._closed = False

    def warm(self) -> None:
        """Start the workers ahead of the first request, in a background thread."""

        def start() -> None:
            for _ in range(self._workers):
                try:
                    self._release(_spawn())
                except Exception:  # pragma: no cover - best effort; run() spawns on demand
                    return

        threading.Thread(target=start, name="convplan-symbolic-warm", daemon=True).start()

    def run(self, entry: str, payload: Any, limits: Any) -> Any:
        """Blocking: ``entry(payload, limits)`` in a worker, within the budget."""
        with self._slots:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _spawn()
            started = time.monotonic()
            try:
                worker.send((entry, payload, limits))
                reply = worker.receive(self.budget)
            except (BrokenPipeError, OSError):
                reply = None
            if reply is None:
                worker.kill()
                elapsed = time.monotonic() - started
                raise SymbolicTimeout(
                    f"symbolic computation stopped after {elapsed:.1f} s (budget {self.budget:g} s); "
                    "simplify the expressions or use numbers",
                    [ErrorItem(("body",), "symbolic computation over its time budget", "limit.symbolic_time")],
                )
            self._release(worker)
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "bug":
            raise SymbolicWorkerBug(f"symbolic worker failed on {entry}:\n{reply[1]}")
        _, name, detail, items, extra = reply
        cls = getattr(errors, name, errors.InvalidRequest)
        located = [ErrorItem(tuple(i["loc"]), i["msg"], i["type"], i["layer"], i["axis"]) for i in items]
        raise cls(detail, located, extra=extra)

    def _release(self, worker: _Worker) -> None:
        """Back to the idle queue, or gone if the pool closed meanwhile."""
        if self._closed:
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
