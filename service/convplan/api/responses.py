"""Response classes.

Normal responses need no custom class: FastAPI 0.163 serializes a route's
``response_model`` / return type straight to JSON bytes with pydantic-core
(``ORJSONResponse`` is deprecated there). Problem documents are built as
dicts by the handlers, so they get a small orjson-rendered class.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from starlette.responses import JSONResponse, Response

from convplan.render.json_bytes import json_bytes as dumps  # the problem documents' and the routes' JSON

__all__ = ["PROBLEM_MEDIA_TYPE", "DataResponse", "ProblemResponse", "array_response", "dumps"]

PROBLEM_MEDIA_TYPE = "application/problem+json"




class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return dumps(content)


class DataResponse(JSONResponse):
    """A result the domain built as plain dicts (already JSON-ready): no model
    re-validation on the hot path; the route documents the schema."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


def _array_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):  # orjson serialises C-contiguous arrays itself; this is the rest
        return np.ascontiguousarray(value).tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError


def array_response(content: Any) -> Response:
    """A JSON response whose content holds NumPy arrays (the compute endpoints' results)."""
    return Response(orjson.dumps(content, default=_array_default, option=orjson.OPT_SERIALIZE_NUMPY),
                    media_type="application/json")
