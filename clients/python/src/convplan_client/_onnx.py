"""``import_onnx``: the request of ``POST /v1/import/onnx`` from a path or bytes and the query fields."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pydantic import Field

from convplan_client._models import Model

__all__ = ["OnnxImportResult", "onnx_request"]

IMPORT_ONNX_PATH = "/v1/import/onnx"


class OnnxImportResult(Model):
    """``model`` (opset, producer, inputs), ``graph`` (a /v1/graph body), ``analysis`` (its response, or
    None with ``analyse=False``) and the import's ``warnings``."""

    model: dict[str, Any]
    graph: dict[str, Any]
    analysis: dict[str, Any] | None = None
    warnings: list[str] = Field(default_factory=list)


def onnx_request(path_or_bytes: str | os.PathLike[str] | bytes, query: dict[str, Any]) -> tuple[str, bytes]:
    """The path with its query string and the model's bytes. ``input`` may be one string or a sequence;
    booleans are sent as ``true``/``false``; None fields are left out."""
    data = bytes(path_or_bytes) if isinstance(path_or_bytes, bytes | bytearray) else Path(path_or_bytes).read_bytes()
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str) or not isinstance(value, Sequence) else list(value)
        for item in values:
            pairs.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return IMPORT_ONNX_PATH + (f"?{urlencode(pairs)}" if pairs else ""), data
