"""Response schema of `POST /v1/plan`, for the OpenAPI document and clients.

The planner builds plain dicts (fast); these models describe them. Sizes are
integers, or strings in the input grammar when symbolic, each with a
`<field>_latex` sibling (null for numeric entries).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from convplan.shapes.schema import ConditionOut, Exact, LayerOut, SizeValue

__all__ = ["PlanResponse"]

Latex = str | None
Pair = Annotated[list[SizeValue], Field(min_length=2, max_length=2, description="[before, after]")]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class PlanLayerOut(LayerOut):
    loc: list[str | int] = Field(description='Where the layer sits in the request, e.g. ["decoder", 2, "up", 0].')


class StageOut(_Out):
    """One stage: sizes into and out of it and its layers (null after an `align: none` mismatch)."""

    input_size: list[SizeValue] | None
    input_size_latex: list[Latex] | None
    output_size: list[SizeValue] | None
    output_size_latex: list[Latex] | None
    in_channels: SizeValue | None
    out_channels: SizeValue | None
    layers: list[PlanLayerOut] = Field(description="In walk order (decoder: `up`, `skip_layers`, `layers`).")


class SkipOut(_Out):
    """One skip connection. Fixes are per axis with `D = skip - decoder` and `o` the offset rounded down;
    null where no registered fix exists."""

    index: int
    encoder_stage: int
    decoder_stage: int
    merge: str
    encoder_size: list[SizeValue] = Field(description="The skip map after `skip_layers`.")
    decoder_size: list[SizeValue] = Field(description="The decoder map arriving from below (after `up`).")
    encoder_channels: SizeValue | None
    decoder_channels: SizeValue | None
    aligned: bool = Field(description="Sizes equal on every axis.")
    scale: list[Exact | None] = Field(description="Per axis: decoder pixel step in skip pixels (null: no exact "
                                                   "relation, e.g. an adaptive pool between).")
    offset: list[Exact | None] = Field(description="Per axis: where the decoder map's first pixel lies in the "
                                                    "skip map's grid (pixel centres).")
    registered: bool = Field(description="Scale 1 and, after the applied fix, offset 0.")
    rf_aligned: bool | None = Field(description="The receptive fields of both maps have the same jump and the same "
                                                "mean centre offset after the applied fix (Araujo et al. 2019); "
                                                "false adds a warning; null where a field is unknown.")
    applied: str | None = Field(description="The fix applied: crop, crop_decoder, pad, pad_skip (joined by + "
                                            "when axes differ); null when none was needed or `align` is none.")
    crop: list[Pair | None] = Field(description="Crop of the skip, `[o, D - o]` where `0 <= o <= D`.")
    pad: list[Pair | None] = Field(description="Pad of the decoder map, `[o, D - o]` where `0 <= o <= D`.")
    crop_decoder: list[Pair | None] = Field(description="Crop of the decoder map, `[-o, o - D]` where "
                                                         "`D <= o <= 0`.")
    pad_skip: list[Pair | None] = Field(description="Pad of the skip, `[-o, o - D]` where `D <= o <= 0`.")
    output_padding: list[SizeValue | None] = Field(
        description="Per axis: the output_padding of the last conv_transpose in `up` that fits exactly "
                    "(null: none fits, or no conv_transpose).")
    output_size_ok: list[bool | None] = Field(description="Whether forward(output_size=...) also accepts it.")
    applied_skip: list[Pair] = Field(description="Per axis pads applied to the skip (negative = crop).")
    applied_decoder: list[Pair] = Field(description="Per axis pads applied to the decoder map (negative = crop).")
    merged_size: list[SizeValue] | None


class NearestOut(BaseModel):
    below: int | None = Field(description="The largest valid size at or below the requested one.")
    above: int | None = Field(description="The smallest valid size at or above the requested one.")


class ValidSizesOut(BaseModel):
    """`{i >= min : i mod modulus in residues}`."""

    modulus: int = Field(description="The minimal period.")
    residues: list[int] = Field(description="Sorted, in 0..modulus-1; empty = no valid size.")
    min: int | None = Field(description="The smallest valid size.")
    nearest: NearestOut
    output_size: SizeValue | None = Field(description="The output size as an expression in `i` (valid `i`).")


class MismatchLayer(_Out):
    index: int
    op: str
    loc: list[str | int] = Field(description='Where the layer sits in the request, as in `layers[].loc`, e.g. '
                                             '["encoder", 3, "layers", 0].')
    reason: Literal["drops_rows", "overhang", "output_padding", "border", "scale"] = Field(
        description="Why it is the culprit (contract section 7): it drops rows a window would read, a ceil-mode "
                    "window overhangs, its output_padding would fit, its size is not its input over its scale, or "
                    "it scales.")


class MismatchOut(_Out):
    skip: int = Field(description="Index into `skips`.")
    decoder_stage: int
    encoder_stage: int
    axis: int
    axes: list[int]
    layer: MismatchLayer | None = Field(description="The culprit (contract section 7): among the layers on one path "
                                                    "only, the first that drops rows, else the up-conv whose "
                                                    "output_padding fits, else the first whose size is not its input "
                                                    "over its scale, else the first that scales; null if none.")
    detail: str


class PlanResponse(_Out):
    """The plan: every map's size, every skip's relation and fixes, and the valid input sizes."""

    ok: bool = Field(description="False when `align: none` stopped at a mismatch.")
    exact: bool = Field(description="Every skip aligned and registered with no fix.")
    output_size: list[SizeValue] | None
    output_size_latex: list[Latex] | None
    out_channels: SizeValue | None
    params: SizeValue | None = Field(description="Learnable parameters; null when a channel count is unknown.")
    warnings: list[str]
    conditions: list[ConditionOut]
    expanded: dict[str, Any] | None = Field(description="A template's explicit form; null for explicit requests.")
    encoder: list[StageOut]
    decoder: list[StageOut]
    head: StageOut
    skips: list[SkipOut]
    valid_input_sizes: list[ValidSizesOut | None] = Field(description="Per axis; null where no closed form holds.")
    valid_input_sizes_reason: list[str | None] = Field(description="Per axis: why no closed form holds.")
    mismatch: MismatchOut | None
