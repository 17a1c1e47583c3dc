"""A route class for the JSON-body routes (shapes, plan): one parse, no
dependency solving on the hot path.

The body guard has already parsed the body (``PARSED_BODY`` in the scope) to
check it; this route validates that parse straight into the endpoint's
Pydantic model and calls the endpoint. FastAPI still reads the endpoint's
signature, so the OpenAPI document (request body, components) is unchanged,
and validation errors are the same ``RequestValidationError`` FastAPI raises.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from convplan.api.body_guard import PARSED_BODY, check_json_body

__all__ = ["ParsedBodyRoute"]

_MISSING = object()


class ParsedBodyRoute(APIRoute):
    """An ``APIRoute`` whose endpoint takes ``(body: SomeModel, request: Request)``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        hints = typing.get_type_hints(endpoint)
        body_name, model = next(
            (name, hint) for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, BaseModel)
        )
        # Volume limits (layers, stages) counted on the raw JSON, before validating every item.
        check_volume = getattr(model, "check_raw_volume", None)

        async def handler(request: Request) -> Response:
            parsed = request.scope.get(PARSED_BODY, _MISSING)
            if parsed is _MISSING:  # the guard parses every non-empty JSON body; this is an empty one
                raw = await request.body()
                if not raw:  # not JSON at all: the contract's 400 for unparseable JSON
                    raise RequestValidationError([{"type": "json_invalid", "loc": ("body", 0), "input": {},
                                                   "msg": "JSON decode error", "ctx": {"error": "empty body"}}])
                parsed = check_json_body(raw, request.app.state.settings.max_json_depth)
            if check_volume is not None:
                check_volume(parsed, request.app.state.settings)
            try:
                body = model.model_validate(parsed)
            except ValidationError as exc:
                errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
                raise RequestValidationError(errors, body=parsed) from None
            return await endpoint(**{body_name: body, "request": request})

        return handler
