"""The ASGI application: ``convplan.app:app``, or ``create_app(settings)``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from convplan import __version__
from convplan.api.body_guard import BodyGuardMiddleware
from convplan.api.direct_routes import DirectRoutesMiddleware, direct_handlers
from convplan.api.docs import install_docs
from convplan.api.handlers import install_exception_handlers
from convplan.api.openapi import DESCRIPTION, install_openapi
from convplan.api.page import install_page
from convplan.api.response_cache import ResponseCache, ResponseCacheMiddleware
from convplan.api.routes import load_routers
from convplan.api.routes.import_onnx import IMPORT_ONNX_PATH
from convplan.api.security_headers import SecurityHeadersMiddleware
from convplan.api.symbolic import close_symbolic_pool, get_pool
from convplan.settings import Settings, get_settings
from convplan.shapes.prefix_memo import PrefixMemo
from convplan.shapes.templates import StackTemplates

__all__ = ["app", "create_app"]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Symbolic workers are processes: start them before the first request and
    # stop them on shutdown. (In-process clients that skip the lifespan still
    # work: the pool is created on first use.)
    if app.state.settings.symbolic_warm_up:
        get_pool(app).warm()
    # Everything imported so far (SymPy, NumPy, Pydantic's schemas: a few
    # hundred thousand objects) lives as long as the process: move it out of
    # the collector's reach, so that a full collection under load does not
    # stall every request in flight while it walks them all.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        close_symbolic_pool(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="convplan",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # replaced by offline pages (install_docs)
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=_lifespan,
        # FastAPI's native OpenTelemetry asks its providers at every request, configured or not (a third of a
        # small request's time here): on only where a deployment asks for it.
        telemetry={"tracing": settings.telemetry, "metrics": settings.telemetry, "logs": settings.telemetry,
                   "operation_spans": settings.telemetry},
    )
    app.state.settings = settings
    app.state.shapes_memo = PrefixMemo(settings.shapes_memo_layers)
    app.state.shapes_templates = StackTemplates(settings.shapes_template_layers)
    routers = load_routers()
    for router in routers:
        app.include_router(router)
    install_docs(app)
    install_page(app)
    install_openapi(app)
    install_exception_handlers(app)

    # Middleware added last runs first: CORS wraps the cache and the body guard, so its
    # 413/415 refusals carry CORS headers and browsers can read them.
    # Innermost: the JSON-body routes, called directly under the guard (a third of a numeric answer's time
    # was FastAPI's router and wrappers around it). With telemetry on, FastAPI's router runs them: its spans
    # and metrics name the route.
    if not settings.telemetry:
        app.add_middleware(DirectRoutesMiddleware, handlers=direct_handlers(routers),
                           exception_handlers=app.exception_handlers)
    app.add_middleware(
        BodyGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        binary_paths={IMPORT_ONNX_PATH: (settings.max_model_bytes, "max_model_bytes")},
    )
    # Outside the guard: a repeated question is answered before its body is checked again.
    app.add_middleware(ResponseCacheMiddleware, cache=ResponseCache(settings.response_cache_bytes),
                       max_request_bytes=settings.response_cache_max_request_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type"],
            expose_headers=["Allow"],
            max_age=600,
        )
    # Outermost: every response, refusals of the guard and CORS preflights included.
    app.add_middleware(SecurityHeadersMiddleware)
    return app


app = create_app()
