"""The app's worker pool (see ``convplan.symbolic``) and the queue in front of it.

Numeric requests run inline on the event loop under a short budget
(``inline_work_seconds``, ``convplan.budget``); symbolic requests, and
numeric ones that outgrow that budget, run in a worker process under the
full budget. In front of the workers is a bounded queue: at most
``max_queued_requests`` wait, each at most ``max_queue_wait_seconds``;
beyond that a 503 with ``Retry-After``. A client that disconnects has its
queued work dropped and its running work stopped (the worker is killed and
replaced).
"""

from __future__ import annotations

import math
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Receive

from convplan import budget
from convplan.api.locations import HttpErrorItem
from convplan.api.responses import DataResponse
from convplan.errors import (
    BudgetExhausted,
    OverBudget,
    ServiceBusy,
    SymbolicTimeout,
    WorkTimeout,
)
from convplan.ops import NeedsSymbolic
from convplan.symbolic import Job, JobCancelled, SymbolicPool

__all__ = ["CLIENT_GONE", "close_symbolic_pool", "get_pool", "numeric_first", "numeric_first_result", "symbolic_pool"]

_lock = threading.Lock()

# nginx's "client closed request": the answer to a request whose client left (nobody reads it).
CLIENT_GONE = 499


def symbolic_pool(request: Request) -> SymbolicPool:
    """The pool of this app, created on first use (and warmed by the lifespan)."""
    return get_pool(request.app)


def get_pool(app: FastAPI) -> SymbolicPool:
    pool = getattr(app.state, "symbolic_pool", None)
    if pool is None:
        with _lock:
            pool = getattr(app.state, "symbolic_pool", None)
            if pool is None:
                settings = app.state.settings
                pool = SymbolicPool(settings.symbolic_workers, settings.symbolic_timeout_seconds)
                app.state.symbolic_pool = pool
    return pool


def close_symbolic_pool(app: FastAPI) -> None:
    pool = getattr(app.state, "symbolic_pool", None)
    if pool is not None:
        pool.close()
        app.state.symbolic_pool = None


async def numeric_first(
    request: Request, body: BaseModel, settings: Any, run: Callable[..., dict[str, Any]], entry: str
) -> Response:
    """Run ``run(body, settings, symbolic=False)`` inline (plain integers, fast) within the inline budget;
    when a value turns out symbolic, or the budget runs out, run ``entry`` in a worker under the full budget."""
    result = await numeric_first_result(request, body, settings, run, entry)
    return Response(status_code=CLIENT_GONE) if result is None else DataResponse(result)


async def numeric_first_result(
    request: Request, body: BaseModel, settings: Any, run: Callable[..., dict[str, Any]], entry: str,
    *, inline: bool = True, payload: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """``numeric_first``'s result as the dict, for routes that answer it in another format (SVG); None when the
    client went away while its work waited or ran in a worker. ``inline=False``: work the route knows will
    outgrow the inline budget goes to a worker at once, not after an inline attempt that is thrown away.
    ``payload``: the plain data ``body`` was validated from, when the route built it itself (a worker validates
    it again: no dump of ``body`` needed)."""
    seconds, error = settings.work_timeout_seconds, WorkTimeout
    if inline:
        try:
            with budget.limit(settings.inline_work_seconds):
                return run(body, settings, symbolic=False)
        except NeedsSymbolic:
            seconds, error = settings.symbolic_timeout_seconds, SymbolicTimeout
        except BudgetExhausted:
            pass
    if payload is None:
        payload = body.model_dump(mode="json", exclude_unset=True)
    return await _in_worker(request, entry, payload, settings, seconds, error)


async def _in_worker(request: Request, entry: str, payload: dict[str, Any], settings: Any, seconds: float,
                     error: type[OverBudget]) -> dict[str, Any] | None:
    """``entry(payload)`` in a worker: queued, and dropped or stopped when the client disconnects."""
    job = Job()
    outcome: list[Any] = []
    async with anyio.create_task_group() as group:
        group.start_soon(_cancel_on_disconnect, request.receive, job, group.cancel_scope)
        try:
            async with _queue(request.app).turn():
                outcome.append(await anyio.to_thread.run_sync(
                    lambda: symbolic_pool(request).run(entry, payload, settings, seconds=seconds, error=error,
                                                       job=job),
                    limiter=_threads(request.app)))
        except JobCancelled:
            pass
        except Exception as exc:  # raised below, outside the task group (which would wrap it in a group)
            outcome.append(exc)
        group.cancel_scope.cancel()  # stop watching
    if not outcome:  # cancelled: queued work dropped, or running work stopped
        return None
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]  # type: ignore[no-any-return]


async def _cancel_on_disconnect(receive: Receive, job: Job, scope: anyio.CancelScope) -> None:
    """Wait for the client to go away; then stop the job (kills its worker) and leave the queue."""
    # The first message may be the body again (the body guard replays it); servers block until disconnect.
    while (await receive())["type"] != "http.disconnect":
        pass
    job.cancel()
    scope.cancel()


class _WorkQueue:
    """At most ``workers`` requests in the workers, ``max_queued`` waiting, each at most ``max_wait`` seconds."""

    def __init__(self, workers: int, max_queued: int, max_wait: float, retry_after: int) -> None:
        self._running = anyio.CapacityLimiter(workers)
        self._waiting = 0
        self.max_queued = max_queued
        self.max_wait = max_wait
        self.retry_after = retry_after

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        try:
            self._running.acquire_nowait()
        except anyio.WouldBlock:
            await self._wait()
        try:
            yield
        finally:
            self._running.release()

    async def _wait(self) -> None:
        if self._waiting >= self.max_queued:
            raise self._busy(f"all workers are busy and {self._waiting} requests are queued (the most allowed)",
                             "max_queued_requests", self.max_queued)
        self._waiting += 1
        try:
            with anyio.move_on_after(self.max_wait) as waited:
                await self._running.acquire()
        finally:
            self._waiting -= 1
        if waited.cancelled_caught:
            raise self._busy(f"no worker became free within {self.max_wait:g} s", "max_queue_wait_seconds",
                             self.max_wait)

    def _busy(self, why: str, limit: str, value: float) -> ServiceBusy:
        return ServiceBusy(f"{why}; retry after {self.retry_after} s",
                           [HttpErrorItem(("body",), why, "service_busy")], retry_after=self.retry_after,
                           extra={"limit": limit, "value": value})


def _queue(app: FastAPI) -> _WorkQueue:
    queue = getattr(app.state, "work_queue", None)
    if queue is None:
        s = app.state.settings
        # A worker frees up within one budget; at most that long is a fair wait.
        retry = max(1, math.ceil(max(s.symbolic_timeout_seconds, s.work_timeout_seconds)))
        queue = app.state.work_queue = _WorkQueue(s.symbolic_workers, s.max_queued_requests,
                                                  s.max_queue_wait_seconds, retry)
    return queue


def _threads(app: FastAPI) -> anyio.CapacityLimiter:
    """One thread per worker, outside the default thread pool, where waiting requests would starve the
    compute requests of threads under load (the queue admits no more than that)."""
    limiter = getattr(app.state, "symbolic_limiter", None)
    if limiter is None:
        limiter = app.state.symbolic_limiter = anyio.CapacityLimiter(app.state.settings.symbolic_workers)
    return limiter
