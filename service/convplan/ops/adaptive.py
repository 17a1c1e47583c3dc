"""Adaptive pooling (``torch.nn.AdaptiveAvgPoolNd``, ``AdaptiveMaxPoolNd``).

The output size is given; windows ``[floor(j*I/O), ceil((j+1)*I/O))`` may
overlap, so there is no affine coordinate map in general.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field

from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._context import LayerContext
from convplan.ops._fields import NodeRef, PerAxisOptional
from convplan.ops._values import Value

__all__ = ["AdaptivePool"]


@register
class AdaptivePool(OpModel):
    """Adaptive average or max pooling to a fixed output size."""

    names = ("adaptive_avg_pool", "adaptive_max_pool")

    op: Literal["adaptive_avg_pool", "adaptive_max_pool"]
    output_size: PerAxisOptional | None = Field(default=None, description="Required unless `size_of` is given.")
    size_of: NodeRef | None = None

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        if (self.output_size is None) == (self.size_of is None):
            ctx.fail("exactly one of output_size or size_of must be given", param="output_size",
                     type="value_error.missing")
        if self.size_of is not None:
            out = list(ctx.target_size())
        elif isinstance(self.output_size, list):
            if len(self.output_size) != ctx.rank:
                ctx.fail(f"output_size has {len(self.output_size)} values but the input has {ctx.rank} spatial "
                         "axes", param="output_size", type="value_error.rank")
            out = [size[a] if v is None else ctx.scalar("output_size", v, a, listed=True)
                   for a, v in enumerate(self.output_size)]
        else:
            out = [ctx.scalar("output_size", self.output_size)] * ctx.rank
        listed = isinstance(self.output_size, list)
        for a, o in enumerate(out):
            # PyTorch accepts 0 and returns an empty tensor; sizes below 1 are refused here.
            ctx.require(o, ">=", 1, f"output_size {o} is below 1", axis=a, param="output_size", listed=listed)
        formula: list[Value | str] = list(out)
        zero = [0] * ctx.rank
        return LayerShape(out, channels, [(0, 0)] * ctx.rank, formula, zero, zero, 0, 0, {"output_size": out})

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        keeps = isinstance(self.output_size, list) and self.output_size[axis] is None
        return Fraction(1) if keeps else None  # PyTorch's None keeps that axis's input size
