"""POST /v1/compute/{op}: run one op on a small tensor (a thin router).

The body is read as raw JSON, not as a Pydantic model: the domain service
counts the tensors' elements before any model or array is built, so an
oversized tensor is a 413 without the cost of validating it. The per-op
request bodies are still documented, inline, as a ``oneOf``.
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from convplan.api.body_guard import PARSED_BODY
from convplan.api.deps import SettingsDep
from convplan.api.examples import COMPUTE_EXAMPLES, openapi_examples
from convplan.api.locations import HttpErrorItem
from convplan.api.problems import problem_response, problem_responses
from convplan.api.responses import array_response
from convplan.api.svg import FORMAT_PARAMETER, SVG_CONTENT, render_svg, wants_svg
from convplan.compute import REQUESTS, run_compute
from convplan.errors import InvalidRequest

router = APIRouter(prefix="/v1", tags=["compute"])

_OPS = list(REQUESTS)
_LISTED = ", ".join(f"`{op}`" for op in _OPS[:-1]) + f" or `{_OPS[-1]}`"


def _request_schema() -> dict[str, Any]:
    variants = []
    for op, model in REQUESTS.items():
        schema = model.model_json_schema()
        schema["title"] = f"{op} request"
        variants.append(schema)
    return {
        "parameters": [FORMAT_PARAMETER],
        "requestBody": {
            "required": True,
            "description": "The op's parameters (numbers only) and its tensors; the variant is chosen by `op` in "
                           "the path.",
            "content": {"application/json": {"schema": {"oneOf": variants},
                                             "examples": openapi_examples(COMPUTE_EXAMPLES)}},
        }
    }


class ComputeResponse(BaseModel):
    output: list[Any] = Field(description="The result, nested lists, in the input's layout.")
    shape: list[int] = Field(description="The result's shape.")
    indices: list[Any] | None = Field(None, description="max_pool: flat per-plane indices of each maximum.")
    explain: dict[str, Any] | None = Field(
        None, description="conv_transpose with explain: zero_inserted, padded, equivalent_conv, conv_matrix, "
                          "conv_matrix_is_forward_conv, conv_matrix_omitted.")


@router.post(
    "/compute/{op}",
    operation_id="compute",
    summary="Run one op on a small tensor",
    description=(
        f"Computes {_LISTED} in float64 on nested-list tensors, agreeing with PyTorch (relative 1e-9). "
        "Batched `(N, C, *spatial)`, or unbatched `(C, *spatial)` when "
        "the rank is known. `explain: true` on conv_transpose adds its zero-inserted input, padding, equivalent "
        "convolution and convolution matrix. Tensors over `max_input_elements` or results over "
        "`max_output_elements` are a 413. `?format=svg` (or `Accept: image/svg+xml`) on conv_transpose implies "
        "`explain` and draws it as convolution-arithmetic panels, one per output position up to `svg_panels`; "
        "on other ops it is a 422."
    ),
    response_model=None,
    responses={200: {"model": ComputeResponse, "description": "The result (JSON), or for conv_transpose its "
                                                              "drawing (SVG).", "content": SVG_CONTENT},
               **problem_responses(400, 404, 413, 415, 422)},
    openapi_extra=_request_schema(),
)
async def compute(
    request: Request,
    settings: SettingsDep,
    op: str = Path(description=f"The op: {', '.join(_OPS)}; any other is a 404.", json_schema_extra={"enum": _OPS},
                   # Examples named as the body's: pick the same name in both.
                   openapi_examples={op: {"summary": summary, "value": op}
                                     for op, (summary, _) in COMPUTE_EXAMPLES.items()}),
) -> Response:
    if PARSED_BODY in request.scope:
        body = request.scope[PARSED_BODY]  # parsed (and checked) once, by the body guard
    else:
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            try:
                body = json.loads(raw)  # what only the stdlib takes, e.g. a lone surrogate in a string
            except ValueError as exc:
                return problem_response(400, f"malformed JSON: {exc}",
                                        error_items=[HttpErrorItem(("body",), str(exc), "json_invalid").as_dict()])
    svg = wants_svg(request)
    if svg:
        if op != "conv_transpose" and op in REQUESTS:  # an unknown op stays a 404
            raise InvalidRequest(f"format svg draws conv_transpose only, not {op!r}",
                                 [HttpErrorItem(("query", "format"), "svg is drawn for conv_transpose only", "enum")])
        if isinstance(body, dict):
            body = {**body, "explain": True}
    result = await anyio.to_thread.run_sync(run_compute, op, body, settings)
    if svg:
        return await render_svg("conv_transpose", result, body, settings)
    return array_response(result)
