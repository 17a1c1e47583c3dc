"""The app's symbolic worker pool (see ``convplan.symbolic``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from pydantic import BaseModel

from convplan.api.responses import DataResponse
from convplan.ops import NeedsSymbolic
from convplan.symbolic import SymbolicPool

__all__ = ["close_symbolic_pool", "get_pool", "numeric_first", "numeric_first_result", "symbolic_pool"]

_lock = threading.Lock()


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
) -> DataResponse:
    """Run ``run(body, settings, symbolic=False)`` inline (plain integers, fast);
    when a value turns out symbolic, run ``entry`` in a worker under the budget."""
    return DataResponse(await numeric_first_result(request, body, settings, run, entry))


async def numeric_first_result(
    request: Request, body: BaseModel, settings: Any, run: Callable[..., dict[str, Any]], entry: str
) -> dict[str, Any]:
    """``numeric_first``'s result as the dict, for routes that answer it in another format."""
    try:
        result = run(body, settings, symbolic=False)
    except NeedsSymbolic:
        payload = body.model_dump(mode="json", exclude_unset=True)
        result = await anyio.to_thread.run_sync(symbolic_pool(request).run, entry, payload, settings,
                                                limiter=_symbolic_limiter(request.app))
    return result


def _symbolic_limiter(app: FastAPI) -> anyio.CapacityLimiter:
    """At most one thread per symbolic worker: requests beyond that wait here, in
    the event loop, not in threads of the default pool, where they would
    starve the compute requests of threads under load."""
    limiter = getattr(app.state, "symbolic_limiter", None)
    if limiter is None:
        limiter = app.state.symbolic_limiter = anyio.CapacityLimiter(app.state.settings.symbolic_workers)
    return limiter
