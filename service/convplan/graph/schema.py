"""Request schema of `POST /v1/graph` (contract section 7): inputs, nodes with named inputs, outputs.

Every layer op is also a node op: its model gains ``id`` and ``inputs``, so a
node is the layer's parameters plus where its tensors come from.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, create_model, model_validator

from convplan.errors import ErrorItem, LimitExceeded
from convplan.ops import OPS, OpModel
from convplan.ops._fields import Scalar
from convplan.shapes.models import InputSize, Symbols

__all__ = ["MAX_NODE_INPUTS", "GraphInput", "GraphRequest", "Node", "NodeId", "SizeCondition", "check_graph_limits",
           "node_model"]

#: The most inputs one node reads (a concat of many skips).
MAX_NODE_INPUTS = 64

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
        inputs=(Annotated[list[NodeId], Field(min_length=1, max_length=MAX_NODE_INPUTS)],
                Field(description="The tensors this node reads, by node id or input name (merges: two or more).")),
    )


_NODE_MODELS = tuple(node_model(cls) for cls in dict.fromkeys(OPS.values()))
Node = Annotated[Union[_NODE_MODELS], Field(discriminator="op")]  # noqa: UP007 - built from the registry


#: The bounds of a size condition (the valid-size search's own bound, ``valid_sizes._SEARCH_LIMIT``).
ConditionSize = Annotated[StrictInt, Field(ge=1, le=1 << 30)]
ConditionModulus = Annotated[StrictInt, Field(ge=1, le=4096, description="The period of the residues.")]
ConditionResidue = Annotated[StrictInt, Field(ge=0, le=4095)]


class SizeCondition(BaseModel):
    """The sizes of one axis where this graph is the network: ``extra ∪ {min <= i <= max : i mod modulus in
    residues}`` (section 7's set form). A module's Python code that branches on sizes is one graph per path;
    ``convplan_client.torch`` states its traced path's guards (``s0 % 16 == 0``) this way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    axis: Annotated[StrictInt, Field(ge=0, le=2, description="The spatial axis of this input (0 = first).")]
    modulus: ConditionModulus = 1
    residues: Annotated[list[ConditionResidue], Field(min_length=1, max_length=4096)] = Field(
        default=[0], description="Residues mod `modulus`, each below it (default: every size).")
    min: ConditionSize = 1
    max: ConditionSize | None = None
    extra: Annotated[list[ConditionSize], Field(max_length=64)] = Field(
        default=[], description="Sizes below `min` in the condition (`s != 5`: 1..4, then from 6).")
    note: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="Where the condition comes from (echoed in `warnings`).",
        examples=["x_3 % 2 == 0 (model.py:12 in forward)"])

    @model_validator(mode="after")
    def _check(self) -> SizeCondition:
        if any(r >= self.modulus for r in self.residues):
            raise ValueError(f"residues must be below the modulus {self.modulus}")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        if any(n >= self.min for n in self.extra):
            raise ValueError(f"extra sizes must be below min ({self.min}): the periodic part holds from there")
        return self


class GraphInput(BaseModel):
    """A network input: its spatial size (numbers or expressions) and channels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: NodeId
    size: InputSize
    channels: Scalar | None = Field(default=None, description="Channels of the input; null = unknown.")
    where: Annotated[list[SizeCondition], Field(max_length=64)] | None = Field(
        default=None,
        description="First input only: conditions on its sizes where the graph is the network (a traced path of "
                    "size-dependent Python code); `valid_input_sizes` are kept inside them (intersected).")

    @model_validator(mode="after")
    def _check_axes(self) -> GraphInput:
        for condition in self.where or ():
            if condition.axis >= len(self.size):
                raise ValueError(f"a condition on axis {condition.axis}, but the input has {len(self.size)} "
                                 "spatial axes")
        return self


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

    @model_validator(mode="after")
    def _where_on_the_first_input(self) -> GraphRequest:
        if any(spec.where for spec in self.inputs[1:]):
            raise ValueError("`where` applies to the first input (the analysed one) only")
        return self

    @classmethod
    def check_raw_volume(cls, raw: Any, limits: Any) -> None:
        """The graph limits on the parsed JSON, before any node is validated."""
        if not isinstance(raw, dict):
            return
        nodes = raw.get("nodes") if isinstance(raw.get("nodes"), list) else []
        inputs = raw.get("inputs") if isinstance(raw.get("inputs"), list) else []
        edges = sum(len(n["inputs"]) for n in nodes if isinstance(n, dict) and isinstance(n.get("inputs"), list))
        check_graph_limits(len(nodes), edges, len(inputs), limits)


def check_graph_limits(nodes: int, edges: int, inputs: int, limits: Any) -> None:
    if limits is None:
        return
    for count, limit, what, loc in ((nodes, limits.max_graph_nodes, "nodes", ("nodes",)),
                                    (edges, limits.max_graph_edges, "edges (node inputs)", ("nodes",)),
                                    (inputs, limits.max_graph_inputs, "inputs", ("inputs",))):
        if count > limit:
            raise LimitExceeded(f"{count} {what} is over the limit {limit}",
                                [ErrorItem(loc, f"at most {limit} {what}", f"limit.graph_{what.split()[0]}")])
