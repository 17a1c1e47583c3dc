"""ONNX bytes to a checked ``ModelProto``: parsed, never executed, no external data read.

The protobuf decoder only builds messages; ``onnx.load_model_from_string``
reads no external data files (only ``onnx.load`` from a path would). Local
functions are inlined by ``onnx.inliner`` so that a model exported with
functions is one flat graph. Limits: the byte size is the route's (413
before parsing); here the node count and the nesting of graphs inside
attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx
import onnx.inliner
from google.protobuf.message import DecodeError

from convplan.errors import ErrorItem, InvalidModel, LimitExceeded, NotOnnx

__all__ = ["ModelLimits", "load_model"]


@dataclass(frozen=True, kw_only=True)
class ModelLimits:
    max_nodes: int = 20_000
    max_nesting: int = 16
    max_size: int = 1_000_000_000


def load_model(data: bytes, limits: ModelLimits) -> onnx.ModelProto:
    if not data:
        raise NotOnnx("empty body: expected an ONNX model", [ErrorItem(("model",), "empty", "not_onnx")])
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise NotOnnx(f"not an ONNX model: {exc}", [ErrorItem(("model",), "does not parse", "not_onnx")]) from None
    if not model.HasField("graph") or not model.opset_import:
        # Any protobuf with unknown fields parses as an (empty) ModelProto: a real one has a graph and opsets.
        raise NotOnnx("not an ONNX model: no graph or no opset_import",
                      [ErrorItem(("model",), "no graph or no opset_import", "not_onnx")])
    _check_nesting(model.graph, 0, limits.max_nesting)
    for function in model.functions:
        for node in function.node:
            for attr in node.attribute:
                for g in _subgraphs(attr):
                    _check_nesting(g, 1, limits.max_nesting)
    _check_count(model, limits.max_nodes)
    if model.functions:
        try:
            model = onnx.inliner.inline_local_functions(model)
        except Exception as exc:
            raise InvalidModel(f"local functions cannot be inlined: {exc}",
                               [ErrorItem(("model", "functions"), str(exc), "onnx_function")]) from None
        _check_count(model, limits.max_nodes)
    return model


def _subgraphs(attr: onnx.AttributeProto) -> list[onnx.GraphProto]:
    return ([attr.g] if attr.HasField("g") else []) + list(attr.graphs)


def _check_nesting(graph: onnx.GraphProto, depth: int, limit: int) -> None:
    # Iterative: a hostile nesting never costs Python stack.
    stack = [(graph, depth)]
    while stack:
        g, d = stack.pop()
        if d > limit:
            raise LimitExceeded(
                f"graphs nested deeper than {limit} levels in node attributes",
                [ErrorItem(("model", "graph"), f"nesting deeper than {limit}", "model_nesting")],
                extra={"limit": "max_model_nesting", "value": limit},
            )
        for node in g.node:
            for attr in node.attribute[:]:  # a slice: faster than iterating the protobuf container
                if attr.HasField("g") or attr.graphs:
                    stack.extend((sub, d + 1) for sub in _subgraphs(attr))


def _check_count(model: onnx.ModelProto, limit: int) -> None:
    count = len(model.graph.node) + sum(len(f.node) for f in model.functions)
    if count > limit:
        raise LimitExceeded(
            f"model has {count} nodes, more than {limit}",
            [ErrorItem(("model", "graph", "node"), f"{count} nodes, more than {limit}", "model_nodes")],
            extra={"limit": "max_model_nodes", "value": limit},
        )
