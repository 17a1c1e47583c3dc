"""POST /v1/plan: encoder/decoder stacks whose skip connections must line up."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from convplan.api.drawn import json_or_svg
from convplan.api.examples import PLAN_EXAMPLES, openapi_examples
from convplan.api.parsed_body import ParsedBodyRoute
from convplan.api.problems import problem_responses
from convplan.api.svg import FORMAT_PARAMETER, SVG_CONTENT
from convplan.plan import PlanRequest, run_plan
from convplan.plan.schema import PlanResponse

router = APIRouter(prefix="/v1", tags=["plan"], route_class=ParsedBodyRoute)

_SYMBOLIC_ENTRY = "convplan.plan.runner:run_plan_json"


@router.post(
    "/plan",
    operation_id="plan",
    summary="Plan or check an encoder/decoder stack (U-Net, FCN, SegNet, hourglass, FPN)",
    description=(
        "Runs encoder stages, decoder stages (`up`, then the skip through `skip_layers`, the merge, `layers`) "
        "and a head on `input_size` (numbers or expressions), or a `template` (`unet`, `fcn`) expanded to that "
        "form (`expanded`). For every skip it reports the sizes, the exact coordinate relation (`scale`, "
        "`offset`, composed from each layer's coordinate map as Caffe's coord_map does), whether the maps are "
        "`aligned` (sizes) and `registered` (positions), and every fix (crop, pad, crop_decoder, pad_skip, "
        "output_padding); `align` chooses the fix applied. `valid_input_sizes` lists per axis every input size "
        "the stack takes cleanly, as residues modulo a minimal period above a minimum, with the nearest valid "
        "sizes around the requested one and the output size as an expression in `i`. With `align: \"none\"` "
        "the first mismatch stops the walk (200, `ok: false`, `mismatch` names the skip and the layer whose "
        "rounding caused it). Bad stacks are 422s located in the body. `?format=svg` (or `Accept: image/svg+xml`) "
        "draws the plan as the U-Net paper's figure: a box per feature map, the skips with their fixes, the "
        "mismatch and its culprit in red."
    ),
    response_model=None,
    responses={200: {"model": PlanResponse, "description": "The plan (JSON), or its drawing (SVG).",
                     "content": SVG_CONTENT},
               **problem_responses(400, 413, 415, 422, 503)},
    openapi_extra={"parameters": [FORMAT_PARAMETER],
                   "requestBody": {"content": {"application/json": {"examples": openapi_examples(PLAN_EXAMPLES)}}}},
)
async def plan(body: PlanRequest, request: Request) -> Response:
    return await json_or_svg(request, body, run_plan, _SYMBOLIC_ENTRY, "plan", draw_request=True)
