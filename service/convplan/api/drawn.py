"""The answer of a route that draws its result on request: JSON, or with ``?format=svg`` the same result drawn.

Both come from one run (``numeric_first_result``: inline, or in a worker when symbolic or heavy), so the
picture always shows what the JSON says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from convplan.api.svg import Drawing, render_svg, wants_svg
from convplan.api.symbolic import CLIENT_GONE, numeric_first, numeric_first_result

__all__ = ["json_or_svg"]


async def json_or_svg(request: Request, body: BaseModel, run: Callable[..., dict[str, Any]], entry: str,
                      drawing: Drawing, *, draw_request: bool = False) -> Response:
    """``draw_request``: the drawing also reads the request as sent (a plan's figure labels its layers)."""
    settings = request.app.state.settings
    if not wants_svg(request):
        return await numeric_first(request, body, settings, run, entry)
    result = await numeric_first_result(request, body, settings, run, entry)
    if result is None:
        return Response(status_code=CLIENT_GONE)
    sent = body.model_dump(mode="json", exclude_unset=True) if draw_request else None
    return await render_svg(drawing, result, sent, settings)
