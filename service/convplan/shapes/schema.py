"""Response schema of `POST /v1/shapes`, for the OpenAPI document and clients.

The engine builds plain dicts (fast); these models describe them. Symbolic
values are strings in the input grammar; each has a `<field>_latex` sibling
of the same shape, null for numeric entries.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AxisOverlapOut", "ConditionOut", "Exact", "LayerOut", "ReceptiveFieldOut", "ShapesResponse", "SizeValue"]

SizeValue = Annotated[
    int | str,
    Field(description="An integer, or an expression in the input grammar when symbolic (can be sent back)."),
]
Latex = str | None
Pair = Annotated[list[SizeValue], Field(min_length=2, max_length=2)]
Exact = Annotated[
    int | float | str,
    Field(description="Exact value: an integer; a float when dyadic (exact in binary, e.g. -0.5); else a "
                      "fraction string in the expression grammar, e.g. \"1/3\"."),
]
Span = Annotated[list[Exact], Field(min_length=2, max_length=2, description="`[lo(y) - jump*y, hi(y) - jump*y]`.")]


class ReceptiveFieldOut(BaseModel):
    """One axis of a receptive field in the first input (contract section 9): over an unbounded input,
    output pixel `y` depends on input pixels spanning `[lo(y), hi(y)]` (joined by non-zero kernel taps,
    interpolation weights or pooling windows; dilation leaves holes inside). Where layer parameters are
    symbols, values are expressions in them (strings in the input grammar, e.g. `"k1 + s1*(k2 - 1)"`);
    a value that depends on the symbols in a way no closed form says is null (e.g. `period` and `phases`
    after a transposed conv with a symbolic stride)."""

    jump: Exact = Field(description="Input pixels per output pixel (the coordinate map's scale).")
    period: int | None = Field(description="Least `P` with `lo(y+P) = lo(y) + jump*P` (and so `hi`); null over "
                                           "the `rf_period` limit or where it depends on symbols.")
    phases: list[Span | None] | None = Field(
        description="`P` entries: entry `r` is `[lo(y) - jump*y, hi(y) - jump*y]` for `y = r mod P`, null where "
                    "no input pixel reaches; null over the `rf_period` limit.")
    size: SizeValue | None = Field(description="Max of `hi - lo + 1` over the phases (0 for an empty phase).")
    size_min: SizeValue | None = Field(description="Min of `hi - lo + 1` over the phases (0 for an empty phase).")
    start: SizeValue | None = Field(description="`lo(0)`: minus Araujo et al.'s effective padding.")
    center: Exact | None = Field(description="`(lo(0) + hi(0))/2`.")
    # The ``_latex`` siblings of symbolic values (contract section 1). Only in fields that hold an expression:
    # a numeric field (every field of a numeric response) leaves them out, as their nulls would grow every
    # layer of the hot path's answer for nothing.
    jump_latex: str | None = Field(default=None, description="LaTeX of `jump` (symbolic fields only).")
    phases_latex: list[list[str | None] | None] | None = Field(
        default=None, description="LaTeX of `phases`, entry by entry (symbolic fields only; null per number).")
    size_latex: str | None = Field(default=None, description="LaTeX of `size` (symbolic fields only).")
    size_min_latex: str | None = Field(default=None, description="LaTeX of `size_min` (symbolic fields only).")
    start_latex: str | None = Field(default=None, description="LaTeX of `start` (symbolic fields only).")
    center_latex: str | None = Field(default=None, description="LaTeX of `center` (symbolic fields only).")


class ConditionOut(BaseModel):
    """A check that could not be decided symbolically; it must hold for the result to be valid."""

    layer: int | None
    axis: int | None
    expr: str = Field(description="The condition, e.g. `H >= 6`.")
    expr_latex: Latex
    where: str | None = Field(default=None, description="What the check guards.")


class AxisOverlapOut(BaseModel):
    """How a conv_transpose's (or max_unpool's) windows overlap on one axis, in the interior."""

    taps: list[list[int]] | None = Field(
        description="Entry `r` (0 to stride - 1): the taps `t` in `0..k-1` reaching interior outputs `y = r mod "
        "stride`, those with `r + padding_before - t*dilation = 0 (mod stride)`; max_unpool as dilation 1 (the "
        "windows covering `y`, at most one of which writes). Null when `kernel_size + stride` is over 4096.",
        examples=[[[1, 3], [0, 2]]],
    )
    uniform: bool = Field(description="Every phase gets as many taps: exactly when gcd(dilation, stride) = 1 and "
                                      "stride divides kernel_size. Otherwise `warnings` names the checkerboard "
                                      "risk (Odena, Dumoulin, Olah, Distill 2016).")
    holes: bool = Field(description="Some phase gets no tap (outputs no input reaches).")


class LayerOut(BaseModel):
    """One layer's result."""

    model_config = ConfigDict(extra="allow")

    index: int
    op: str
    input_size: list[SizeValue]
    input_size_latex: list[Latex]
    output_size: list[SizeValue]
    output_size_latex: list[Latex]
    in_channels: SizeValue | None = Field(description="null = unknown.")
    in_channels_latex: Latex
    out_channels: SizeValue | None = Field(description="null = unknown (a conv without out_channels).")
    out_channels_latex: Latex
    padding_resolved: list[Pair] = Field(description="Per axis `[before, after]` as applied.")
    padding_resolved_latex: list[list[Latex]]
    formula: list[SizeValue] = Field(description="Per axis: the output size in terms of this layer's input `i`.")
    formula_latex: list[Latex]
    unread: list[SizeValue] = Field(description="Per axis: input rows no window reads.")
    unread_latex: list[Latex]
    overhang: list[SizeValue] = Field(description="Per axis: how far a ceil_mode window runs past the padded input.")
    overhang_latex: list[Latex]
    params: SizeValue | None = Field(description="Learnable parameters; null when a channel count is unknown.")
    params_latex: Latex
    macs: SizeValue | None = Field(description="Multiply-accumulates per sample; null when unknown.")
    macs_latex: Latex
    overlap: list[AxisOverlapOut | None] | None = Field(
        description="conv_transpose and max_unpool: per axis (null where a parameter is symbolic); null for other "
                    "ops.")
    warnings: list[str]
    receptive_field: list[ReceptiveFieldOut | None] = Field(
        description="Per axis, in the input (null: at and after an adaptive pool, a size-dependent map on symbolic "
                    "sizes, or a symbolic window parameter).")


class ShapesResponse(BaseModel):
    """Sizes after every layer, in order."""

    model_config = ConfigDict(extra="allow")

    output_size: list[SizeValue]
    output_size_latex: list[Latex]
    out_channels: SizeValue | None
    out_channels_latex: Latex
    params: SizeValue | None
    params_latex: Latex
    macs: SizeValue | None
    macs_latex: Latex
    conditions: list[ConditionOut]
    warnings: list[str]
    layers: list[LayerOut]
