"""ONNX models to /v1/graph request bodies (contract section 8).

``import_onnx(data)`` parses the bytes with the ``onnx`` package (nothing is
executed, no external data is read, weights are read by their dims only),
walks the graph once and returns the model's metadata, a /v1/graph body and
the warnings of the translation. A model with ops that have no convplan
meaning is refused with every such op listed (``UnsupportedModel``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from convplan.errors import ErrorItem, InvalidRequest
from convplan.frontends.onnx._convert import Importer
from convplan.frontends.onnx._graphops import HANDLERS
from convplan.frontends.onnx._load import ModelLimits, load_model

__all__ = ["ModelLimits", "OnnxImport", "import_onnx", "parse_input_option"]

_TOKEN = re.compile(r"[0-9]{1,18}|[A-Za-z_][A-Za-z0-9_]{0,31}")


@dataclass(frozen=True, kw_only=True)
class OnnxImport:
    model: dict[str, Any]            # {"opset", "producer", "inputs": [{"name", "shape"}]}
    graph: dict[str, Any]            # a /v1/graph request body
    warnings: list[str] = field(default_factory=list)


def parse_input_option(text: str, index: int = 0) -> tuple[str | None, list[int | str]]:
    """``SHAPE`` or ``NAME:SHAPE``, SHAPE ``x``-separated integers or names (``1x3xHxW``)."""
    name, _, shape = text.rpartition(":")
    tokens = shape.split("x") if shape else []
    loc = ("input", index)
    if not tokens or not all(_TOKEN.fullmatch(t) for t in tokens):
        msg = f"input {text!r}: expected SHAPE or NAME:SHAPE, SHAPE like 1x3xHxW (integers or names)"
        raise InvalidRequest(msg, [ErrorItem(loc, msg, "input_shape")])
    dims: list[int | str] = [int(t) if t.isdigit() else t for t in tokens]
    if any(d == 0 for d in dims):
        msg = f"input {text!r}: sizes must be at least 1"
        raise InvalidRequest(msg, [ErrorItem(loc, msg, "input_shape")])
    return (name or None), dims


def import_onnx(
    data: bytes,
    *,
    limits: ModelLimits | None = None,
    inputs: Sequence[str] = (),
    align: Literal["none", "crop", "pad"] = "none",
    training: bool = False,
) -> OnnxImport:
    limits = limits or ModelLimits()
    model = load_model(data, limits)
    importer = Importer(model, limits.max_size, HANDLERS)
    importer.prepare()
    for index, text in enumerate(inputs):
        importer.set_input_shape(*parse_input_option(text, index), index)
    importer.walk()
    graph_inputs = []
    for info in importer.inputs:
        entry: dict[str, Any] = {"name": info.name, "size": info.size}
        if info.channels is not None:
            entry["channels"] = info.channels
        graph_inputs.append(entry)
    graph: dict[str, Any] = {
        "inputs": graph_inputs,
        "training": training,
        "nodes": importer.nodes,
        "outputs": importer.outputs(),
        "align": align,
        "valid_sizes": True,
    }
    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p)
    meta = {
        "opset": importer.opset,
        "producer": producer or None,
        "inputs": [{"name": info.onnx_name, "shape": info.shape} for info in importer.inputs],
    }
    return OnnxImport(model=meta, graph=graph, warnings=importer.all_warnings())
