"""Adaptive pooling (``torch.nn.AdaptiveAvgPoolNd``, ``AdaptiveMaxPoolNd``).

The output size is given; windows ``[floor(j*I/O), ceil((j+1)*I/O))`` may
overlap, so there is no affine coordinate map in general.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field, StrictInt

from convplan.kernels.pool import adaptive_avg_pool_nd, adaptive_max_pool_nd
from convplan.ops._base import LayerShape, OpModel, SizeSource, register
from convplan.ops._compute import (
    Arrays,
    ComputeParams,
    Outputs,
    Runner,
    Shapes,
    Tensor,
    output_ints,
)
from convplan.ops._context import LayerContext
from convplan.ops._fields import NodeRef, PerAxisOptional
from convplan.ops._values import Value
from convplan.ops._window import Window

__all__ = ["AdaptivePool", "AdaptivePoolParams", "AdaptivePoolRequest"]


class AdaptivePoolParams(ComputeParams):
    output_size: Annotated[
        StrictInt | Annotated[list[StrictInt | None], Field(min_length=1, max_length=3)],
        Field(description="Output size per axis; a null entry keeps that axis's size."),
    ]


class AdaptivePoolRequest(AdaptivePoolParams):
    input: Tensor


@register
class AdaptivePool(OpModel):
    """Adaptive average or max pooling to a fixed output size."""

    names = ("adaptive_avg_pool", "adaptive_max_pool")
    cli_names: ClassVar[Mapping[str, str]] = {"gap": "adaptive_avg_pool", "adaptive_pool": "adaptive_avg_pool"}
    cli_keys: ClassVar[Mapping[str, str]] = {"os": "output_size"}
    cli_main = "output_size"
    compute_params = AdaptivePoolParams
    compute_request = AdaptivePoolRequest
    compute_order = 50

    op: Literal["adaptive_avg_pool", "adaptive_max_pool"]
    output_size: PerAxisOptional | None = Field(default=None, description="Required unless `size_of` is given.")
    size_of: NodeRef | None = None

    def separable(self, training: bool) -> bool:
        return True  # per axis its output_size entry (or the target's size) and nothing else

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

    def size_source(self, axis: int) -> SizeSource:
        if self.size_of is not None:
            return "size_of"
        return "input" if isinstance(self.output_size, list) and self.output_size[axis] is None else "parameters"

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        # PyTorch's None keeps that axis's input size; a given size or a target's does not follow the input
        return Fraction(1) if self.size_source(axis) == "input" else None

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        out = output_ints(shape)
        if self.op == "adaptive_avg_pool":
            return lambda x, a: {"output": adaptive_avg_pool_nd(x, out)}

        def run(x: np.ndarray, a: Arrays) -> Outputs:
            y, idx = adaptive_max_pool_nd(x, out)
            return {"output": y, "indices": idx}

        return run
    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        return None  # overlapping windows of varying size (as coord_map: no affine map)
