"""POST /v1/compare/upsamplers: one input through every upsampler (a thin router)."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response

from convplan.api.parsed_body import ParsedBodyRoute
from convplan.api.problems import problem_responses
from convplan.api.responses import array_response
from convplan.compare import (
    CompareUpsamplersRequest,
    CompareUpsamplersResponse,
    compare_upsamplers,
)

router = APIRouter(prefix="/v1", tags=["compare"], route_class=ParsedBodyRoute)


@router.post(
    "/compare/upsamplers",
    operation_id="compare_upsamplers",
    summary="Upsamplers side by side on one input",
    description=(
        "Upsamples `input` `(N, C, *spatial)` by the integer `scale_factor` with `nearest`, `bilinear` and "
        "`bilinear_align_corners` (the rank's linear mode), `bicubic` (2-D only), `conv_transpose` (stride `f`, "
        "the given `weight` or FCN's bilinear initialisation, padded to give `f*i`) and `max_unpool` (the input "
        "at the indices of `max_pool(pooled_from, f)`), in float64, agreeing with PyTorch (relative 1e-9). "
        "conv_transpose also reports `coverage` (how many (input pixel, tap) pairs reach each output) and "
        "`overlap` per axis, with the checkerboard warning when the overlap is uneven. Limits are the compute "
        "endpoint's (`max_input_elements`, `max_output_elements` counting every output, `max_compute_work`)."
    ),
    response_model=None,
    responses={200: {"model": CompareUpsamplersResponse, "description": "Every method's output."},
               **problem_responses(400, 413, 415, 422)},
)
async def compare(body: CompareUpsamplersRequest, request: Request) -> Response:
    result = await anyio.to_thread.run_sync(compare_upsamplers, body, request.app.state.settings)
    return array_response(result.as_dict())
