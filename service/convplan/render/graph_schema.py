"""Response schema of `POST /v1/graph` (contract section 7), for the OpenAPI document and clients.

The renderer builds plain dicts (fast); these models describe them. Symbolic values are strings in the input
grammar, each with a `<field>_latex` sibling of the same shape (null for numeric entries).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from convplan.shapes.schema import ConditionOut, ReceptiveFieldOut, SizeValue

__all__ = ["AxisValidSizes", "CulpritOut", "GraphResponse", "MergeOut", "NodeOut", "SizeSetOut"]

Latex = str | None
Exact = Annotated[int | float | str, Field(description="An integer, a dyadic rational as a JSON number, or `\"p/q\"`.")]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AxisMapOut(_Open):
    scale: Exact
    offset: Exact


class NodeOut(_Open):
    """One node's result (sizes null after a failing node or a mismatch)."""

    id: str
    index: int = Field(description="The node's position in the request.")
    op: str
    inputs: list[str]
    input_size: list[list[SizeValue]] | None = Field(description="One list per input.")
    output_size: list[SizeValue] | None
    in_channels: list[SizeValue | None] | None = Field(description="One entry per input; null = unknown.")
    out_channels: SizeValue | None
    map: list[AxisMapOut] | None = Field(
        description="Per axis: output pixel y sits at first-input coordinate scale*y + offset (pixel centres); "
                    "null at and below adaptive pools and sized interpolation, and off the first input.")
    receptive_field: list[ReceptiveFieldOut | None] | None = Field(
        default=None, description="Per axis, in the first input (section 9); null off the first input, at and "
                                  "after an adaptive pool or a flatten.")
    overlap: list[dict[str, object] | None] | None = Field(
        default=None, description="conv_transpose and max_unpool: per axis the taps per output phase (section 10).")
    warnings: list[str]


class CulpritOut(_Open):
    node: str
    op: str
    input_size: list[SizeValue]
    unread: list[SizeValue]
    overhang: list[SizeValue]
    reason: Literal["drops_rows", "overhang", "output_padding", "border", "scale"]


class MergeOut(_Open):
    """A merge node's inputs compared, with every fix per input and per axis."""

    node: str
    inputs: list[str]
    sizes: list[list[SizeValue]]
    aligned: bool = Field(description="Equal sizes, or a size-1 broadcast.")
    broadcast: list[list[bool]] = Field(description="Per input, per axis: stretched from size 1.")
    offset: list[list[Exact | None]] = Field(description="Per input, per axis: its pixel 0 in input 0's grid.")
    registered: bool | None = Field(description="Every input not broadcast has input 0's scale and, after the "
                                    "applied fix, offset 0. A broadcast input counts only if it is 1 at every "
                                    "input size (a global pool's gate); a growing map that is 1 at this size alone "
                                    "is stretched, so the merge is not registered. Null where a map is unknown.")
    rf_aligned: bool | None
    applied: str | None = Field(description="The fix `align` applied (`crop`, `pad`), or null.")
    applied_pads: list[list[list[SizeValue]]] = Field(description="Per input, per axis, as applied (negative = crop).")
    culprit: CulpritOut | None
    crop: list[list[list[SizeValue] | None]]
    pad: list[list[list[SizeValue] | None]]
    output_padding: list[list[SizeValue | None] | None]


class MismatchOut(_Open):
    node: str
    axis: int | None
    sizes: list[SizeValue] | None
    culprit: CulpritOut | None
    detail: str


class NearestOut(BaseModel):
    below: int | None
    above: int | None


class SizeSetOut(BaseModel):
    """`extra ∪ {min <= i <= max : i mod modulus in residues}` (max null = unbounded)."""

    modulus: int
    residues: list[int]
    min: int | None
    max: int | None
    extra: list[int]
    nearest: NearestOut
    output_size: dict[str, dict[str, int | str | None]] = Field(
        description="Per output id, per residue: the output's size on this axis as an expression in `i`.")


class AxisValidSizes(BaseModel):
    runs: SizeSetOut
    clean: SizeSetOut
    same_size: SizeSetOut


class OutputOut(_Open):
    id: str
    size: list[SizeValue] | None
    channels: SizeValue | None


class FailureOut(_Open):
    node: str
    detail: str
    errors: list[dict[str, object]] = Field(
        description='Its located errors, as in a problem document but located in the graph (`["nodes", 0, '
                    '"kernel_size"]`, with no `"body"` in front): for an imported model, in the answer\'s `graph`.')


class GraphResponse(_Open):
    ok: bool
    outputs: list[OutputOut]
    params: SizeValue | None
    macs: SizeValue | None
    conditions: list[ConditionOut]
    warnings: list[str]
    nodes: list[NodeOut]
    merges: list[MergeOut]
    mismatch: MismatchOut | None
    failure: FailureOut | None = Field(description="The node PyTorch would refuse at these sizes, if any.")
    valid_input_sizes: list[AxisValidSizes | None] | None
    valid_input_sizes_reason: list[str | None] | None
