"""A JSON document as bytes: what the service answers, and what a worker sends back already rendered."""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["json_bytes"]


def json_bytes(content: Any) -> bytes:
    """JSON bytes: orjson, or the stdlib for integers beyond 64 bits (which orjson
    refuses). ``allow_nan=False``: a body must stay valid JSON."""
    try:
        return orjson.dumps(content)  # str keys only: a third faster than with OPT_NON_STR_KEYS
    except TypeError:
        pass
    try:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, default=str).encode()
