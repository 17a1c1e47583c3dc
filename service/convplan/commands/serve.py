"""``convplan serve``: run the HTTP service under uvicorn."""

from __future__ import annotations

import argparse
from typing import get_args

from convplan.settings import LogLevel


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP service",
        description="Serve convplan.app:app with uvicorn. Limits and CORS come from CONVPLAN_* variables.",
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

    from convplan.settings import get_settings

    uvicorn.run(
        "convplan.app:app",  # an import string, so --workers can spawn processes
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level or get_settings().log_level,
    )
    return 0
