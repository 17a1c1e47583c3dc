"""POST /v1/graph: any network as a graph (residual adds, attention gates, FPN, UNet++)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from convplan.api.drawn import json_or_svg
from convplan.api.parsed_body import ParsedBodyRoute
from convplan.api.problems import problem_responses
from convplan.api.svg import FORMAT_PARAMETER, SVG_CONTENT
from convplan.graph.schema import GraphRequest
from convplan.render.graph_schema import GraphResponse
from convplan.run.graph import run_graph

router = APIRouter(prefix="/v1", tags=["graph"], route_class=ParsedBodyRoute)

_SYMBOLIC_ENTRY = "convplan.run.graph:run_graph_json"


@router.post(
    "/graph",
    operation_id="graph",
    summary="Check any network given as a graph: sizes, merges, culprits, valid input sizes",
    description=(
        "Evaluates `nodes` (each an op with PyTorch-named parameters plus `id` and `inputs`, in any order) on "
        "`inputs` (numbers or expressions) once, in a stable topological order, and reports every node's sizes, "
        "channels, section-3 layer fields and coordinate `map`; every merge (`concat`, `add`, `mul`) with its "
        "sizes, offsets, registration, the fixes per input (`crop`, `pad`, `output_padding`), the applied "
        "`align` fix and the `culprit` (the layer whose rounding made the paths differ); the first `mismatch`; "
        "and per axis of the first input three exact sets of `valid_input_sizes`: `runs` (PyTorch executes "
        "it), `clean` (nothing dropped, every merge registered) and `same_size` (outputs keep the input's "
        "size). A node PyTorch would refuse at these sizes makes `ok` false (`failure` names it); a malformed "
        "graph (unknown name, cycle, wrong number of inputs) is a 422 naming the node. `?format=svg` (or `Accept: "
        "image/svg+xml`) draws the graph as a layered DAG, the mismatched merge and its culprit in red."
    ),
    response_model=None,
    responses={200: {"model": GraphResponse, "description": "The analysed graph (JSON), or its drawing (SVG).",
                     "content": SVG_CONTENT},
               **problem_responses(400, 413, 415, 422, 503)},
    openapi_extra={"parameters": [FORMAT_PARAMETER]},
)
async def graph(body: GraphRequest, request: Request) -> Response:
    return await json_or_svg(request, body, run_graph, _SYMBOLIC_ENTRY, "graph")
