"""Small ONNX models written with onnx.helper, for the importer's attribute and opset variants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["const", "model", "node", "weight"]

node = helper.make_node


def weight(name: str, dims: Sequence[int]) -> onnx.TensorProto:
    """A float initializer known by its dims only (stripped: no data)."""
    tensor = onnx.TensorProto(name=name, data_type=TensorProto.FLOAT)
    tensor.dims.extend(dims)
    return tensor


def const(name: str, values: Any, dtype: Any = np.int64) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def model(
    nodes: Sequence[onnx.NodeProto],
    *,
    opset: int = 17,
    shape: Sequence[int | str | None] = (1, 3, "H", "W"),
    inits: Sequence[onnx.TensorProto] = (),
    outputs: Sequence[str] | None = None,
    inputs: Sequence[tuple[str, Sequence[int | str | None]]] | None = None,
    functions: Sequence[onnx.FunctionProto] = (),
    value_info: Sequence[tuple[str, Sequence[int | str | None]]] = (),
) -> bytes:
    """A model whose graph reads input ``x`` of ``shape`` and outputs the last node's first output;
    ``value_info``: tensors' declared shapes (torch's dynamo exporter declares every feature map's in the
    input's ``dim_param`` names)."""
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in (inputs or [("x", shape)])]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in (outputs or [nodes[-1].output[0]])]
    graph = helper.make_graph(list(nodes), "test", ins, outs, list(inits),
                              value_info=[helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s))
                                          for n, s in value_info])
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("local", 1)] if functions else [])
    m = helper.make_model(graph, opset_imports=opsets, functions=list(functions), producer_name="tests")
    m.ir_version = 8
    return m.SerializeToString()
