"""`POST /v1/graph` as a library call: build, evaluate once, analyse, render."""

from __future__ import annotations

from typing import Any

from convplan.analyses.merges import analyse_merges
from convplan.analyses.size_conditions import keep_inside, outside_warnings
from convplan.analyses.valid_sizes import valid_input_sizes
from convplan.frontends.graph_body import graph_from_request
from convplan.graph.evaluate import evaluate, resolve_inputs
from convplan.graph.schema import GraphRequest
from convplan.render.graph_json import render_graph
from convplan.render.json_bytes import json_bytes
from convplan.shapes.engine import make_resolver

__all__ = ["run_graph", "run_graph_json", "run_graph_json_bytes"]


def run_graph(request: GraphRequest, limits: Any = None, *, symbolic: bool = True) -> dict[str, Any]:
    """With ``symbolic=False`` a symbolic value raises ``NeedsSymbolic`` (the service re-runs the request in a
    worker under the symbolic time budget)."""
    graph = graph_from_request(request, limits)
    resolver = make_resolver(request.symbols, limits, symbolic=symbolic)
    resolver.training = request.training  # type: ignore[attr-defined]
    inputs = resolve_inputs(graph, resolver)
    result = evaluate(graph, resolver, inputs, strict=False)
    merges = analyse_merges(result)
    valid = reasons = None
    if request.valid_sizes:
        def numeric_resolver() -> Any:
            r = make_resolver(request.symbols, limits, symbolic=False)
            r.training = request.training  # type: ignore[attr-defined]
            return r

        raw = {spec.name: list(spec.size) for spec in graph.inputs}
        valid, reasons = valid_input_sizes(graph, numeric_resolver, inputs, raw, limits=limits)
        valid, reasons = keep_inside(valid, reasons, request.inputs[0].where or (), limits)
    out = render_graph(result, resolver, merges, valid, reasons, *(() if limits is None else (limits.rf_period,)))
    first = request.inputs[0]
    out["warnings"] += outside_warnings(first.name, first.size, first.where or ())
    return out


def run_graph_json(payload: dict[str, Any], limits: Any = None) -> dict[str, Any]:
    """Entry point of the symbolic worker processes (plain data in and out)."""
    return run_graph(GraphRequest.model_validate(payload), limits)


def run_graph_json_bytes(payload: dict[str, Any], limits: Any = None) -> bytes:
    """``run_graph_json``'s answer as JSON bytes, rendered in the worker: pickling the result dict there and
    unpickling it in the service cost more than rendering it (unet_300 in benchmarks/onnx_import.py: a 150 kB
    pickle, 8 ms both ways, against 1 ms for the JSON)."""
    return json_bytes(run_graph_json(payload, limits))
