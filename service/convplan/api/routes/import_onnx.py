"""POST /v1/import/onnx: an ONNX model as a /v1/graph body, and its analysis (contract section 8)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from convplan.api.locations import HttpErrorItem
from convplan.api.problems import problem_response, problem_responses
from convplan.api.responses import DataResponse, dumps
from convplan.api.svg import FORMAT_PARAMETER, SVG_CONTENT, render_svg, wants_svg
from convplan.api.symbolic import CLIENT_GONE, numeric_first_result
from convplan.errors import InvalidRequest, NotOnnx
from convplan.frontends.onnx import ModelLimits, OnnxImport, import_onnx
from convplan.frontends.onnx.example import example_model
from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from convplan.settings import Settings

__all__ = ["IMPORT_ONNX_PATH", "router"]

IMPORT_ONNX_PATH = "/v1/import/onnx"
_EXAMPLE_PATH = "/v1/import/onnx/example.onnx"
_SYMBOLIC_ENTRY = "convplan.run.graph:run_graph_json"
#: The JSON answer's entry: the worker renders the analysis itself (``run_graph_json_bytes``).
_JSON_ENTRY = "convplan.run.graph:run_graph_json_bytes"
#: Larger imported graphs go straight to a worker for their valid-size analysis: exported networks of 35 to
#: 300 nodes take 30-250 ms there (benchmarks/onnx_import.py), so an inline attempt would mostly run out of
#: the 50 ms inline budget and be thrown away.
_INLINE_NODES = 32

router = APIRouter(tags=["import"])

_BODY_DOC = {
    "required": True,
    "description": (
        "The model: the `.onnx` file's bytes (`curl --data-binary @model.onnx -H 'Content-Type: "
        "application/octet-stream'`), or a `multipart/form-data` upload with the file in field `model`. "
        f"A tiny working example: `GET {_EXAMPLE_PATH}`."
    ),
    "content": {
        "application/octet-stream": {
            "schema": {"type": "string", "format": "binary"},
            "examples": {"tiny": {"summary": "conv, pool, upsample to the input's size, concat",
                                  "externalValue": _EXAMPLE_PATH}},
        },
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["model"],
                       "properties": {"model": {"type": "string", "format": "binary"}}},
        },
    },
}


def _limits(settings: Settings) -> ModelLimits:
    return ModelLimits(max_nodes=settings.max_model_nodes, max_nesting=settings.max_model_nesting,
                       max_size=settings.max_size)


async def _model_bytes(request: Request, settings: Settings) -> bytes | Response:
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=8, max_part_size=settings.max_model_bytes)
        except Exception as exc:
            raise NotOnnx(f"malformed multipart body: {exc}",
                          [HttpErrorItem(("body",), "malformed multipart", "multipart")]) from None
        try:
            upload = form.get("model")
            if upload is None or isinstance(upload, str):
                raise NotOnnx("multipart body without a file in field `model`",
                              [HttpErrorItem(("body", "model"), "missing file", "missing")])
            return await upload.read()
        finally:
            await form.close()  # the spooled temporary files
    if media not in ("application/octet-stream", "application/onnx", "application/x-protobuf"):
        return problem_response(415, f"expected the model as application/octet-stream or multipart/form-data, got "
                                     f"{media or 'no Content-Type'}")
    return await request.body()


def _graph_request(graph: dict[str, Any]) -> GraphRequest:
    """The imported body as the /v1/graph request model; a body the schema refuses is a 422 located in
    ``graph`` (it would be an importer bug or a value over a limit, e.g. a size above ``max_size``)."""
    try:
        return GraphRequest.model_validate(graph)
    except ValidationError as exc:
        items = [HttpErrorItem(("graph", *e["loc"]), e["msg"], e["type"]) for e in exc.errors()]
        raise InvalidRequest(f"the imported graph is not a valid /v1/graph body: {items[0].msg}", items) from None


async def _analyse(request: Request, graph: dict[str, Any], settings: Settings, *,
                   svg: bool) -> dict[str, Any] | bytes | None:
    """The /v1/graph response for ``graph`` exactly as POST /v1/graph computes it: numeric inline under the
    inline budget, symbolic or heavy work queued for a worker (None: the client went away meanwhile). From a
    worker, the JSON answer's analysis comes as its JSON bytes; the drawing reads the dict."""
    body = await run_in_threadpool(_graph_request, graph)
    inline = not body.valid_sizes or len(body.nodes) <= _INLINE_NODES
    entry = _SYMBOLIC_ENTRY if svg else _JSON_ENTRY
    # The importer's dict is plain data already: the worker gets it as it is (unet_300: 0.8 ms of model_dump).
    return await numeric_first_result(request, body, settings, run_graph, entry, inline=inline, payload=graph)


def _answer(result: OnnxImport, analysis: dict[str, Any] | bytes | None) -> Response:
    """The JSON answer; an analysis already rendered (bytes from a worker) is spliced in as it is."""
    if not isinstance(analysis, bytes):
        return DataResponse({"model": result.model, "graph": result.graph, "analysis": analysis,
                             "warnings": result.warnings})
    return Response(b"".join((b'{"model":', dumps(result.model), b',"graph":', dumps(result.graph), b',"analysis":',
                              analysis, b',"warnings":', dumps(result.warnings), b"}")),
                    media_type="application/json")


@router.post(
    IMPORT_ONNX_PATH,
    operation_id="import_onnx",
    summary="Import an ONNX model: its graph and every size, merge and valid input size",
    description=(
        "Parses the model with the `onnx` package (nothing is executed, no external data is read, weights "
        "are read by their dims only, so stripped models work; local functions are inlined) and answers "
        "`model` (opset, producer, inputs with their declared shapes), `graph` (a /v1/graph request body "
        "that round-trips: posting it to /v1/graph gives the same analysis) and, with `analyse` (default), "
        "`analysis` (the /v1/graph response). Inputs are read as `(N, C, *spatial)` (or NHWC through their "
        "only consumer, a Transpose); a `dim_param` becomes a symbol. Computations on shapes (Shape, Gather, "
        "Slice, Concat, Cast, Div...) are evaluated symbolically: `F.interpolate(x, size=y.shape[2:])` "
        "becomes `upsample` with `size_of: y`, centre crops and pads to a computed size `crop`/`pad` with "
        "`size_of`. A model with unsupported ops is a 422 listing every such op with its nodes; bytes "
        "that are not ONNX: 422; over `max_model_bytes`, `max_model_nodes` or `max_model_nesting`: 413."
    ),
    response_model=None,
    openapi_extra={"requestBody": _BODY_DOC, "parameters": [FORMAT_PARAMETER]},
    responses={200: {"description": "`model`, `graph`, `analysis` and the import's `warnings` (JSON), or the "
                                    "analysed graph's drawing (SVG).", "content": SVG_CONTENT},
               **problem_responses(400, 413, 415, 422, 503)},
)
async def import_onnx_model(
    request: Request,
    analyse: Annotated[bool, Query(description="Also analyse the graph (the /v1/graph response).")] = True,
    align: Annotated[Literal["none", "crop", "pad"], Query(description="The graph's `align`.")] = "none",
    training: Annotated[bool, Query(description="The graph's `training`.")] = False,
    input: Annotated[list[str] | None, Query(
        description="Repeatable: `SHAPE` for the first input or `NAME:SHAPE`, `x`-separated integers or names "
                    "(`1x3xHxW`); rank, batch and channels must match the model's.",
        examples=["1x3xHxW"])] = None,
) -> Response:
    settings: Settings = request.app.state.settings
    data = await _model_bytes(request, settings)
    if isinstance(data, Response):
        return data
    # The frontend locates errors in the model (``["model", "graph", "node", name]``) and the ``input``
    # shapes: ``ROUTE_PARTS`` places them in the body and the query.
    result = await run_in_threadpool(import_onnx, data, limits=_limits(settings), inputs=input or (),
                                     align=align, training=training)
    svg = wants_svg(request)
    analysis = await _analyse(request, result.graph, settings, svg=svg) if analyse or svg else None
    if (analyse or svg) and analysis is None:
        return Response(status_code=CLIENT_GONE)
    if svg:
        answer = {"model": result.model, "graph": result.graph, "analysis": analysis, "warnings": result.warnings}
        return await render_svg("onnx", answer, None, settings)
    return _answer(result, analysis)


@router.get(
    _EXAMPLE_PATH,
    operation_id="import_onnx_example",
    summary="A tiny ONNX model to try POST /v1/import/onnx with",
    description="A 5-node model (conv, max pool, upsample to the input's size, concat) built with onnx.helper.",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                     "description": "The model's bytes."}},
)
async def import_onnx_example() -> Response:
    return Response(example_model(), media_type="application/octet-stream")
