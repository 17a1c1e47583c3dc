"""The JSON-body routes called directly, under the body guard, past FastAPI's router.

``POST /v1/shapes``, ``/v1/plan``, ``/v1/graph`` and ``/v1/compare/upsamplers`` are ``ParsedBodyRoute``s: their
handler takes the guard's parse and needs nothing FastAPI's router adds (no path parameters, no dependencies).
FastAPI's router, its exception middleware and its per-route wrappers cost as much again as a numeric
``/v1/shapes`` answer (benchmarks/load.py against bare Starlette), so this middleware, the innermost, calls
those handlers itself and renders what they raise with the app's own exception handlers, as Starlette's
exception middleware does (by the exception's class, nearest first). An exception with no handler of its own
goes on up to the outermost middleware, as it would from the router: the 500 problem document. Every other
request goes to the app. Not installed with ``CONVPLAN_TELEMETRY`` on: FastAPI's spans name the route it ran.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from convplan.api.body_guard import PARSED_BODY
from convplan.api.parsed_body import ParsedBodyRoute

__all__ = ["DirectRoutesMiddleware", "direct_handlers"]

Handler = Callable[[Request], Awaitable[Response]]


def direct_handlers(routers: Iterable[APIRouter]) -> dict[tuple[str, str], Handler]:
    """``(method, path) -> handler`` for the ``ParsedBodyRoute`` routes of ``routers`` (included without a
    prefix of their own: their paths are the app's)."""
    out = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, ParsedBodyRoute):
                handler = route.get_route_handler()
                for method in route.methods:
                    out[(method, route.path)] = handler
    return out


class DirectRoutesMiddleware:
    def __init__(self, app: ASGIApp, *, handlers: dict[tuple[str, str], Handler],
                 exception_handlers: dict[Any, Callable[..., Any]]) -> None:
        self.app = app
        self.handlers = handlers
        self.exception_handlers = exception_handlers  # the app's own dict

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.handlers.get((scope.get("method"), scope.get("path"))) if PARSED_BODY in scope else None
        if handler is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            response = await handler(request)
        except Exception as exc:
            render = self._handler_for(exc)
            if render is None:
                raise
            response = render(request, exc)
            if not isinstance(response, Response):
                response = await response  # an async handler
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Callable[..., Any] | None:
        for kind in type(exc).__mro__:
            if kind is Exception:
                return None  # the outermost middleware's: logged, and the 500 problem document
            if kind in self.exception_handlers:
                return self.exception_handlers[kind]
        return None
