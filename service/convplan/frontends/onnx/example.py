"""A tiny ONNX model, built with ``onnx.helper``: the OpenAPI example of POST /v1/import/onnx."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from onnx import TensorProto, helper, numpy_helper

__all__ = ["example_model"]


@lru_cache(maxsize=1)
def example_model() -> bytes:
    """x (1, 1, H, W) -> conv 3x3 p1 -> relu -> max pool 2 -> nearest x2 -> concat with the conv: even sizes run."""
    weight = numpy_helper.from_array(np.zeros((4, 1, 3, 3), dtype=np.float32), "w")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("MaxPool", ["relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Resize", ["pool", "", "scales"], ["up"], mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Concat", ["relu", "up"], ["out"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "example",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 8, "H", "W"])],
        [weight, scales],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convplan")
    model.ir_version = 8
    return model.SerializeToString()
