"""``convplan serve``: run the HTTP service under uvicorn."""

from __future__ import annotations

import argparse
from typing import get_args

from convplan.settings import LogLevel


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP service",
        description=(
            "Serve convplan.app:app with uvicorn. Limits, timeouts and CORS come from CONVPLAN_* variables "
            "(GET /v1/limits lists them): CONVPLAN_MAX_HEADER_BYTES, CONVPLAN_REQUEST_TIMEOUT_SECONDS, "
            "CONVPLAN_KEEP_ALIVE_TIMEOUT_SECONDS, CONVPLAN_MAX_CONNECTIONS, CONVPLAN_SHUTDOWN_GRACE_SECONDS."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: %(default)s)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: 1; in containers prefer one process per replica)",
    )
    parser.add_argument(
        "--log-level", choices=get_args(LogLevel), default=None, help="default: CONVPLAN_LOG_LEVEL or info"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from convplan.commands._http_protocol import GuardedHttpToolsProtocol
    from convplan.settings import get_settings

    settings = get_settings()
    uvicorn.run(
        "convplan.app:app",  # an import string, so --workers can spawn processes
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level or settings.log_level,
        # The request timer and head limit live in the protocol (uvicorn has neither for httptools).
        http=GuardedHttpToolsProtocol,
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        limit_concurrency=settings.max_connections,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    return 0
