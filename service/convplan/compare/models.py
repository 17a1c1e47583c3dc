"""Request and response schema of ``POST /v1/compare/upsamplers`` (contract section 10).

Tensors are validated shallowly here (``list[Any]``); the domain counts and
checks them with the compute endpoint's ``measure`` (limits, raggedness,
finite numbers) before any array is built.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from convplan.ops._compute import Tensor
from convplan.shapes.schema import AxisOverlapOut

__all__ = ["METHODS", "CompareUpsamplersRequest", "CompareUpsamplersResponse", "Method", "UpsamplerOut"]

Method = Literal["nearest", "bilinear", "bilinear_align_corners", "bicubic", "conv_transpose", "max_unpool"]

#: Every method, in the order results are reported.
METHODS: tuple[Method, ...] = ("nearest", "bilinear", "bilinear_align_corners", "bicubic", "conv_transpose",
                               "max_unpool")

_EXAMPLES: list[dict[str, Any]] = [
    {"input": [[[1, 2, 4]]], "scale_factor": 2},
    {"input": [[[[1, 2], [3, 4]]]], "scale_factor": 2, "methods": ["bilinear", "bicubic", "conv_transpose"]},
    {"input": [[[5, 4]]], "scale_factor": 2, "methods": ["max_unpool", "conv_transpose"],
     "pooled_from": [[[1, 5, 4, 2]]], "weight": [[[0.5, 1, 0.5]]]},
]


class CompareUpsamplersRequest(BaseModel):
    """One input, upsampled by ``scale_factor`` with each method."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": _EXAMPLES})

    input: Tensor = Field(description="`(N, C, *spatial)`, spatial rank 1 to 3.")
    scale_factor: Annotated[StrictInt, Field(ge=1, description="The integer factor `f` on every spatial axis.")]
    methods: Annotated[list[Method], Field(min_length=1)] | None = Field(
        default=None,
        description="Default: every method that applies (`bicubic` in 2-D only, `max_unpool` when `pooled_from` "
                    "is given). Asking for `bicubic` in 1-D or 3-D, or `max_unpool` without `pooled_from`, is a "
                    "422.",
    )
    pooled_from: Tensor | None = Field(
        default=None,
        description="max_unpool: the tensor whose `max_pool(pooled_from, f)` supplies the indices; that pool's "
                    "result must have the input's shape (so `pooled_from` is `(N, C, f*i + r)` with `r < f` per "
                    "axis; its last `r` rows hold no maximum and are not part of the `f*i` output).",
    )
    weight: Tensor | None = Field(
        default=None,
        description="conv_transpose: `(C, C, *k)`, used with stride `f`, padding `ceil((k - f)/2)` and "
                    "output_padding `2*padding - (k - f)` (so `f*i` out; a 422 where PyTorch refuses them). "
                    "Default: the bilinear kernel of Caffe's BilinearFiller / FCN's `get_upsampling_weight` "
                    "(`k = 2f - f % 2`, `w(t) = 1 - |t - (k-1)/2| / f` per axis, channel `c` to `c` only).",
    )

    @field_validator("methods")
    @classmethod
    def _unique(cls, value: list[Method] | None) -> list[Method] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("methods must not repeat")
        return value


class UpsamplerOut(BaseModel):
    """One method's result on the input."""

    output: list[Any] = Field(description="`(N, C, *(f*i))`, nested lists.")
    shape: list[int]
    coverage: list[Any] | None = Field(
        default=None,
        description="conv_transpose: output-shaped counts of the (input pixel, tap) pairs reaching each output "
                    "(ones transposed-convolved by ones).",
    )
    overlap: list[AxisOverlapOut] | None = Field(default=None, description="conv_transpose: per axis, as on "
                                                                           "/v1/shapes layers.")
    kernel_size: list[int] | None = Field(default=None, description="conv_transpose: the kernel per axis.")
    padding: list[int] | None = Field(default=None, description="conv_transpose: padding per axis.")
    output_padding: list[int] | None = Field(default=None, description="conv_transpose: output_padding per axis.")
    weight_init: Literal["given", "bilinear"] | None = Field(
        default=None, description="conv_transpose: the request's `weight`, or the default bilinear kernel.")


class CompareUpsamplersResponse(BaseModel):
    """Every method's output on the same input."""

    scale_factor: int
    input_shape: list[int]
    methods: dict[str, UpsamplerOut] = Field(description="By method name, in the order requested (default: "
                                                         "nearest, bilinear, bilinear_align_corners, bicubic, "
                                                         "conv_transpose, max_unpool: those that apply).")
    warnings: list[str] = Field(description="The checkerboard risk of an uneven conv_transpose, as on /v1/shapes.")
