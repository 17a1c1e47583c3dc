"""SVG answers: ``?format=svg`` or an ``Accept`` preferring ``image/svg+xml`` (contract section 11).

Routes ask ``wants_svg(request)`` and answer ``svg_response(text)``; the
drawing is done by ``convplan.render.svg`` from the same result the JSON
answer carries, so both always agree. Errors stay problem+json (they are
raised before any drawing). ``render_svg(kind, result, request_body)`` is
the one entry for every drawn endpoint (``plan``, ``graph``, ``onnx``,
``conv_transpose``): a new route calls it and adds ``SVG_OPENAPI`` to its
documentation.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio.to_thread
from fastapi import Request
from starlette.responses import Response

from convplan.api.locations import HttpErrorItem
from convplan.errors import InvalidRequest
from convplan.render.svg import SVG_MEDIA_TYPE, conv_transpose_svg, graph_svg, plan_svg
from convplan.settings import Settings

__all__ = ["FORMAT_PARAMETER", "SVG_CONTENT", "Drawing", "render_svg", "svg_response", "wants_svg"]

Drawing = Literal["plan", "graph", "onnx", "conv_transpose"]

_JSON = "application/json"

FORMAT_PARAMETER: dict[str, Any] = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`svg` answers the result drawn as a standalone SVG 1.1 document (`image/svg+xml`), as does an "
                   "`Accept` header preferring `image/svg+xml`; `json` (default) the JSON result. Errors are "
                   "problem+json either way.",
    "schema": {"type": "string", "enum": ["json", "svg"], "default": "json"},
}

#: The 200 response's extra content entry.
SVG_CONTENT: dict[str, Any] = {
    SVG_MEDIA_TYPE: {"schema": {"type": "string", "description": "A standalone SVG 1.1 document."}},
}


def _quality(accept: str, media_type: str) -> float:
    """The q-value ``accept`` gives ``media_type`` (the most specific matching range wins)."""
    main = media_type.split("/")[0]
    best, specificity = 0.0, -1
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        kind = parts[0].lower()
        level = 2 if kind == media_type else 1 if kind == f"{main}/*" else 0 if kind == "*/*" else -1
        if level < 0 or level < specificity:
            continue
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        best, specificity = q, level
    return best


def wants_svg(request: Request) -> bool:
    """``?format=svg``, or ``Accept`` ranking ``image/svg+xml`` above JSON; ``?format=`` anything else is a 422."""
    value = request.query_params.get("format")
    if value is not None:
        if value not in ("json", "svg"):
            raise InvalidRequest(f"format must be json or svg, got {value!r}",
                                 [HttpErrorItem(("query", "format"), "format must be json or svg", "enum")])
        return value == "svg"
    accept = request.headers.get("accept")
    return bool(accept) and _quality(accept, SVG_MEDIA_TYPE) > _quality(accept, _JSON)


def svg_response(text: str) -> Response:
    return Response(text.encode("utf-8"), media_type=SVG_MEDIA_TYPE)


def _draw(kind: Drawing, result: dict[str, Any], body: Any, settings: Settings) -> str:
    if kind == "plan":
        return plan_svg(result, body if isinstance(body, dict) else None)
    if kind == "graph":
        return graph_svg(result)
    if kind == "onnx":
        return graph_svg(result.get("analysis") or {})
    return conv_transpose_svg(result, stride=body.get("stride", 1) if isinstance(body, dict) else 1,
                              panels=settings.svg_panels)


async def render_svg(kind: Drawing, result: dict[str, Any], body: Any, settings: Settings) -> Response:
    """The SVG answer for a computed ``result`` (drawn in a worker thread: big plans take milliseconds)."""
    text = await anyio.to_thread.run_sync(_draw, kind, result, body, settings)
    return svg_response(text)
