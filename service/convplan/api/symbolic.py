"""The app's symbolic worker pool (see ``convplan.symbolic``)."""

from __future__ import annotations

import threading

from fastapi import FastAPI, Request

from convplan.symbolic import SymbolicPool

__all__ = ["close_symbolic_pool", "get_pool", "symbolic_pool"]

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
