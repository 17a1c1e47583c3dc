"""Exception handlers: every error leaves as a problem document.

- ``ConvplanError`` (domain) -> its own status, type and title;
- ``RequestValidationError`` -> 422 with one located item per Pydantic error
  (400 when FastAPI reports the body as unparseable JSON);
- ``HTTPException`` (404 unknown path, 405 wrong method, ...) -> its status;
- anything else -> a 500 problem and a logged traceback (a bug: the contract
  promises no 500s, but if one slips it is still JSON).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from convplan.api.locations import route_parts
from convplan.api.problems import domain_problem_response, problem_response
from convplan.api.responses import ProblemResponse
from convplan.errors import ConvplanError, InvalidRequest
from convplan.errors import ErrorItem as DomainErrorItem
from convplan.ops import unknown_op_message

__all__ = ["body_loc", "infer_layer_axis", "install_exception_handlers"]

logger = logging.getLogger("convplan.api")

# Parameters that take one value per spatial axis: an index right after one
# of these names in a location is the axis.
PER_AXIS_NAMES = frozenset(
    {
        "input_size",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "output_padding",
        "output_size",
        "scale_factor",
        "size",
        "crop",
        "padding_resolved",
    }
)


def infer_layer_axis(loc: Sequence[str | int]) -> tuple[int | None, int | None]:
    """``(layer, axis)`` for a location such as ``["body", "layers", 3, "padding", 1]``.

    ``layer`` is N when the location starts ``["body", "layers", N]``; ``axis``
    is the first index after a per-axis parameter name (Pydantic's union tags
    in between are skipped, so ``padding, 1, 0`` gives axis 1 of a pair).
    """
    layer = loc[2] if len(loc) > 2 and loc[0] == "body" and loc[1] == "layers" and _is_index(loc[2]) else None
    axis = None
    for position, part in enumerate(loc):
        if isinstance(part, str) and part in PER_AXIS_NAMES:
            axis = next((p for p in loc[position + 1 :] if _is_index(p)), None)
            if axis is not None:
                break
    return layer, axis  # type: ignore[return-value]


def body_loc(loc: Sequence[str | int], body: Any) -> list[str | int]:
    """``loc`` without Pydantic's union tags, which are not keys of the body.

    Walks the body along ``loc``: a part that neither indexes the current
    value nor is the last part (a missing field's name) is a tag
    (``"conv"`` of a discriminated union, ``"list[int]"``...) and is dropped.
    """
    if not loc or loc[0] != "body" or body is None:
        return list(loc)
    out: list[str | int] = ["body"]
    current = body
    last = len(loc) - 1
    for position, part in enumerate(loc[1:], start=1):
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            current = current[part]
        elif isinstance(current, list) and _is_index(part) and -len(current) <= part < len(current):  # type: ignore[operator]
            current = current[part]  # type: ignore[index]
        elif position == last and isinstance(current, dict):
            current = None  # the name of a missing or unexpected field
        else:
            continue
        out.append(part)
    return out


def _is_index(part: object) -> bool:
    return isinstance(part, int) and not isinstance(part, bool)


def _message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, but for an unknown op: what it likely meant (``Conv2d``: ``conv``), not every tag."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "union_tag_invalid" and ctx.get("discriminator") == "'op'":
        return unknown_op_message(str(ctx.get("tag")), re.findall(r"'([^']+)'", str(ctx.get("expected_tags", ""))))
    return str(error.get("msg", ""))


def validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    items = []
    for error in exc.errors():
        loc = body_loc(tuple(error.get("loc", ())), exc.body)
        layer, axis = infer_layer_axis(loc)
        items.append(DomainErrorItem(tuple(loc), _message(error), str(error.get("type", "")), layer, axis).as_dict())
    return items


async def _on_domain_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ConvplanError)
    return domain_problem_response(exc, route_parts(request.scope))


async def _on_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    items = validation_items(exc)
    if any(item["type"] == "json_invalid" for item in items):
        reasons = [e.get("ctx", {}).get("error", "JSON decode error") for e in exc.errors()]
        return problem_response(400, f"malformed JSON: {reasons[0]}", error_items=items)
    first = items[0] if items else None
    detail = f"{len(items)} validation error{'s' if len(items) != 1 else ''}"
    if first is not None:
        detail += f"; first at {'.'.join(map(str, first['loc']))}: {first['msg']}"
    return problem_response(422, detail, slug=InvalidRequest.slug, title=InvalidRequest.title, error_items=items)


async def _on_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))


async def _on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal error; the traceback is in the service log")


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ConvplanError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    # Starlette runs the ``Exception`` handler in its outermost middleware,
    # then re-raises so a server can log too.
    app.add_exception_handler(Exception, _on_unexpected)
