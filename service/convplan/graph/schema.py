"""Request schema of `POST /v1/graph` (contract section 7): inputs, nodes with named inputs, outputs.

Every layer op is also a node op: its model gains ``id`` and ``inputs``, so a
node is the layer's parameters plus where its tensors come from.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model

from convplan.ops import OPS, OpModel
from convplan.ops._fields import Scalar
from convplan.shapes.models import InputSize, Symbols

__all__ = ["GraphInput", "GraphRequest", "Node", "NodeId", "node_model"]

NodeId = Annotated[
    str,
    Field(pattern=r"^[A-Za-z_][A-Za-z0-9_./:-]{0,127}$",
          description="A node id or input name (one namespace; `i` is reserved for formulas).",
          examples=["x", "down1.conv.0"]),
]


def node_model(op_model: type[OpModel]) -> type[OpModel]:
    """The graph node of a layer op: its parameters plus ``id`` and ``inputs``."""
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"{op_model.__name__}Node",
        __base__=op_model,
        __module__=__name__,
        id=(NodeId, Field(description="Unique among nodes and inputs.")),
        inputs=(Annotated[list[NodeId], Field(min_length=1, max_length=64)],
                Field(description="The tensors this node reads, by node id or input name (merges: two or more).")),
    )


_NODE_MODELS = tuple(node_model(cls) for cls in dict.fromkeys(OPS.values()))
Node = Annotated[Union[_NODE_MODELS], Field(discriminator="op")]  # noqa: UP007 - built from the registry


class GraphInput(BaseModel):
    """A network input: its spatial size (numbers or expressions) and channels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: NodeId
    size: InputSize
    channels: Scalar | None = Field(default=None, description="Channels of the input; null = unknown.")


class GraphRequest(BaseModel):
    """Any network as a graph: nodes with named inputs, in any order."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "inputs": [{"name": "x", "size": [64, 64], "channels": 16}],
                    "nodes": [
                        {"id": "conv1", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 2,
                         "padding": 1, "out_channels": 32},
                        {"id": "conv2", "op": "conv", "inputs": ["conv1"], "kernel_size": 3, "padding": 1,
                         "out_channels": 32},
                        {"id": "shortcut", "op": "conv", "inputs": ["x"], "kernel_size": 1, "stride": 2,
                         "out_channels": 32},
                        {"id": "sum", "op": "add", "inputs": ["conv2", "shortcut"]},
                        {"id": "out", "op": "relu", "inputs": ["sum"]},
                    ],
                },
                {
                    "inputs": [{"name": "x", "size": [572, 572], "channels": 1}],
                    "align": "crop",
                    "nodes": [
                        {"id": "c1", "op": "conv", "inputs": ["x"], "kernel_size": 3, "out_channels": 64},
                        {"id": "p1", "op": "max_pool", "inputs": ["c1"], "kernel_size": 2},
                        {"id": "c2", "op": "conv", "inputs": ["p1"], "kernel_size": 3, "out_channels": 128},
                        {"id": "up", "op": "conv_transpose", "inputs": ["c2"], "kernel_size": 2, "stride": 2,
                         "out_channels": 64},
                        {"id": "cat", "op": "concat", "inputs": ["c1", "up"]},
                    ],
                },
            ]
        },
    )

    inputs: Annotated[list[GraphInput], Field(min_length=1, description="The first is analysed.")]
    symbols: Symbols | None = None
    training: StrictBool = Field(default=False, description="PyTorch's training mode (batch_norm's checks).")
    nodes: Annotated[list[Node], Field(description="In any order; each names its inputs.")]
    outputs: list[NodeId] | None = Field(default=None, description="Default: every node that no node reads.")
    align: Literal["none", "crop", "pad"] = Field(
        default="none",
        description="For merge sizes PyTorch refuses (not a size-1 broadcast): report (`ok: false`), crop to the "
                    "smallest, or pad to the largest, per axis.")
    valid_sizes: StrictBool = Field(default=True, description="Compute `valid_input_sizes` (three sets per axis).")
