"""Request models of ``POST /v1/compute/{op}``, one per op.

``<Op>Params`` holds the layer's parameters (numbers only: no expressions)
and is what the service validates, after the tensors have been counted and
checked by ``convplan.compute.tensors``. ``<Op>Request`` adds the tensor
fields and documents the whole body in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

__all__ = ["PARAMS", "REQUESTS", "TENSOR_FIELDS"]

IntPerAxis = Annotated[
    StrictInt | Annotated[list[StrictInt], Field(min_length=1, max_length=3)],
    Field(description="An integer for every spatial axis, or one per axis."),
]
Pair = Annotated[list[StrictInt], Field(min_length=2, max_length=2, description="[before, after]")]
IntPadding = Annotated[
    StrictInt
    | Literal["valid", "same", "same_upper", "same_lower"]
    | Annotated[list[StrictInt | Pair], Field(min_length=1, max_length=3)],
    Field(description="An int; `valid`; `same` (conv, stride 1); `same_upper`/`same_lower` (ONNX auto_pad); "
                      "or one int or `[before, after]` pair per axis."),
]
Number = StrictFloat | StrictInt
Tensor = Annotated[
    list[Any],
    Field(description="Nested lists of finite numbers (no booleans, NaN or Infinity), not ragged, not empty."),
]
SpatialRank = Annotated[
    Annotated[StrictInt, Field(ge=1, le=3)] | None,  # strict: `true` is not a rank (Literal[1] would take it)
    Field(description="Spatial rank, to accept an unbatched `(C, *spatial)` input; other hints: the weight, "
                      "a per-axis list, the length of `size`/`output_size`. Conflicting hints are a 422; "
                      "with none the input is batched `(N, C, *spatial)`."),
]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    spatial_rank: SpatialRank = None
    explain: StrictBool = Field(False, description="conv_transpose only: adds the explain view (a 422 elsewhere).")


class ConvParams(_Params):
    kernel_size: IntPerAxis | None = Field(None, description="Optional: must match the weight's kernel.")
    stride: IntPerAxis = 1
    padding: IntPadding = 0
    dilation: IntPerAxis = 1
    groups: StrictInt = 1
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"


class ConvTransposeParams(_Params):
    kernel_size: IntPerAxis | None = Field(None, description="Optional: must match the weight's kernel.")
    stride: IntPerAxis = 1
    padding: IntPadding = 0
    output_padding: IntPerAxis = 0
    dilation: IntPerAxis = 1
    groups: StrictInt = 1
    output_size: IntPerAxis | None = Field(None, description="Spatial sizes; picks output_padding as PyTorch's "
                                                             "forward(x, output_size).")


class MaxPoolParams(_Params):
    kernel_size: IntPerAxis
    stride: IntPerAxis | None = Field(None, description="Defaults to kernel_size.")
    padding: IntPadding = 0
    dilation: IntPerAxis = 1
    ceil_mode: StrictBool = False
    return_indices: StrictBool = Field(True, description="Return `indices` (default true here).")


class AvgPoolParams(_Params):
    kernel_size: IntPerAxis
    stride: IntPerAxis | None = Field(None, description="Defaults to kernel_size.")
    padding: IntPadding = 0
    ceil_mode: StrictBool = False
    count_include_pad: StrictBool = True
    divisor_override: StrictInt | None = None


class AdaptivePoolParams(_Params):
    output_size: Annotated[
        StrictInt | Annotated[list[StrictInt | None], Field(min_length=1, max_length=3)],
        Field(description="Output size per axis; a null entry keeps that axis's size."),
    ]


class MaxUnpoolParams(_Params):
    kernel_size: IntPerAxis
    stride: IntPerAxis | None = Field(None, description="Defaults to kernel_size.")
    padding: IntPerAxis = 0
    output_size: IntPerAxis | None = Field(None, description="Within stride of the default size (exclusive).")


class UpsampleParams(_Params):
    size: IntPerAxis | None = None
    scale_factor: Number | Annotated[list[Number], Field(min_length=1, max_length=3)] | None = None
    mode: Literal["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"] = "nearest"
    align_corners: StrictBool | None = None
    recompute_scale_factor: StrictBool | None = None
    antialias: StrictBool = False


class PixelShuffleParams(_Params):
    upscale_factor: StrictInt


class PixelUnshuffleParams(_Params):
    downscale_factor: StrictInt


PARAMS: dict[str, type[_Params]] = {
    "conv": ConvParams,
    "conv_transpose": ConvTransposeParams,
    "max_pool": MaxPoolParams,
    "avg_pool": AvgPoolParams,
    "adaptive_avg_pool": AdaptivePoolParams,
    "adaptive_max_pool": AdaptivePoolParams,
    "max_unpool": MaxUnpoolParams,
    "upsample": UpsampleParams,
    "pixel_shuffle": PixelShuffleParams,
    "pixel_unshuffle": PixelUnshuffleParams,
}

#: Tensor fields per op: (name, required, integer).
TENSOR_FIELDS: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    op: (("input", True, False),) for op in PARAMS
}
TENSOR_FIELDS["conv"] = TENSOR_FIELDS["conv_transpose"] = (
    ("input", True, False), ("weight", True, False), ("bias", False, False),
)
TENSOR_FIELDS["max_unpool"] = (("input", True, False), ("indices", True, True))


class ConvRequest(ConvParams):
    input: Tensor
    weight: Tensor = Field(description="(C_out, C_in/groups, *kernel)")
    bias: Tensor | None = Field(None, description="(C_out,)")


class ConvTransposeRequest(ConvTransposeParams):
    input: Tensor
    weight: Tensor = Field(description="(C_in, C_out/groups, *kernel)")
    bias: Tensor | None = Field(None, description="(C_out,)")


class MaxPoolRequest(MaxPoolParams):
    input: Tensor


class AvgPoolRequest(AvgPoolParams):
    input: Tensor


class AdaptivePoolRequest(AdaptivePoolParams):
    input: Tensor


class MaxUnpoolRequest(MaxUnpoolParams):
    input: Tensor
    indices: Tensor = Field(description="Integers, the input's shape: flat positions in each output plane "
                                        "(as max_pool returns them).")


class UpsampleRequest(UpsampleParams):
    input: Tensor


class PixelShuffleRequest(PixelShuffleParams):
    input: Tensor


class PixelUnshuffleRequest(PixelUnshuffleParams):
    input: Tensor


REQUESTS: dict[str, type[BaseModel]] = {
    "conv": ConvRequest,
    "conv_transpose": ConvTransposeRequest,
    "max_pool": MaxPoolRequest,
    "avg_pool": AvgPoolRequest,
    "adaptive_avg_pool": AdaptivePoolRequest,
    "adaptive_max_pool": AdaptivePoolRequest,
    "max_unpool": MaxUnpoolRequest,
    "upsample": UpsampleRequest,
    "pixel_shuffle": PixelShuffleRequest,
    "pixel_unshuffle": PixelUnshuffleRequest,
}
