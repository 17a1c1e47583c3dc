"""POST /v1/shapes: output sizes of a stack of layers, numeric or symbolic."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response

from convplan.api.examples import SHAPES_EXAMPLES, openapi_examples
from convplan.api.parsed_body import ParsedBodyRoute
from convplan.api.problems import problem_responses
from convplan.api.symbolic import numeric_first
from convplan.shapes import ShapesRequest, run_shapes
from convplan.shapes.schema import ShapesResponse

router = APIRouter(prefix="/v1", tags=["shapes"], route_class=ParsedBodyRoute)

_SYMBOLIC_ENTRY = "convplan.shapes.engine:run_shapes_json"


@router.post(
    "/shapes",
    operation_id="shapes",
    summary="Output sizes of a stack of layers",
    description=(
        "Applies the layers in order to an input of `input_size` (numbers or expressions such as `\"16*n\"`) "
        "and reports every layer's output size, padding as applied, formula, unread rows, ceil-mode "
        "overhang, parameters and MACs, exactly as PyTorch computes them. A layer PyTorch would refuse is a "
        "422 naming the layer, the axis and the reason, with the layers computed before it."
    ),
    response_model=None,
    openapi_extra={"requestBody": {"content": {"application/json": {"examples": openapi_examples(SHAPES_EXAMPLES)}}}},
    responses={200: {"model": ShapesResponse, "description": "Sizes after every layer."},
               **problem_responses(400, 413, 415, 422, 503)},
)
async def shapes(body: ShapesRequest, request: Request) -> Response:
    # answered inline, on the event loop: one thread
    run = partial(run_shapes, memo=request.app.state.shapes_memo, templates=request.app.state.shapes_templates)
    return await numeric_first(request, body, request.app.state.settings, run, _SYMBOLIC_ENTRY)
