"""Power-average pooling (``torch.nn.LPPool1d/2d/3d``): the p-norm of each window.

``F.lp_poolNd`` is ``avg_poolNd(x.pow(p), kernel_size, stride, 0, ceil_mode)``
rescaled (torch/nn/functional.py), so the size rule is avg_pool's with
padding 0, the 3-D input-at-least-kernel check included, and the value is
``(sign(f) * relu(|f|) * prod(kernel_size)) ** (1/p)`` with ``f`` that
average: ``(sum x^p) ** (1/p)`` over a whole window; a ceil-mode window
clipped by the border is averaged over its real rows, then scaled by the
whole kernel, as PyTorch does.
"""

from __future__ import annotations

from math import prod
from typing import Literal

import numpy as np
from pydantic import Field, StrictBool, StrictFloat, StrictInt

from convplan.kernels.pool import prepare_avg_pool
from convplan.ops._base import LayerShape, register
from convplan.ops._compute import (
    Arrays,
    ComputeParams,
    IntPerAxis,
    Outputs,
    Runner,
    Shapes,
    Tensor,
    output_ints,
    pad_pairs,
    resolved_ints,
)
from convplan.ops._context import LayerContext
from convplan.ops._fields import Number
from convplan.ops._values import Value
from convplan.ops.pool import WindowPool, check_avg_pool3d, pool_sizes

__all__ = ["LpPool", "LpPoolParams", "LpPoolRequest"]


class LpPoolParams(ComputeParams):
    norm_type: StrictFloat | StrictInt = Field(description="The power p (not 0).")
    kernel_size: IntPerAxis
    stride: IntPerAxis | None = Field(None, description="Defaults to kernel_size.")
    ceil_mode: StrictBool = False


class LpPoolRequest(LpPoolParams):
    input: Tensor


@register
class LpPool(WindowPool):
    """LP pooling, as ``torch.nn.LPPool1d/2d/3d`` (no padding, no dilation)."""

    names = ("lp_pool",)
    compute_params = LpPoolParams
    compute_request = LpPoolRequest
    compute_order = 45

    op: Literal["lp_pool"]
    norm_type: Number = Field(description="The power p of the norm (PyTorch has no default; 0 is refused).")

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        if self.norm_type == 0:  # F.lp_pool's final pow(1.0 / norm_type) divides by it
            ctx.fail("norm_type must not be 0 (the result is raised to 1/norm_type)", param="norm_type")
        if ctx.rank == 3:
            check_avg_pool3d(ctx, self.kernel_size, size)
        shape = pool_sizes(ctx, self, size, dilation=False, padding=0)
        shape.out_channels = channels
        return shape

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        x = shapes["input"]
        assert x is not None
        kernel = resolved_ints(shape, "kernel_size")
        average = prepare_avg_pool(x, kernel=kernel, stride=resolved_ints(shape, "stride"), pads=pad_pairs(shape),
                                   out=output_ints(shape), count_include_pad=True, divisor_override=None)
        p, taps = float(self.norm_type), prod(kernel)

        def run(x: np.ndarray, a: Arrays) -> Outputs:
            f = average(np.power(x, p))
            return {"output": np.power(np.sign(f) * np.maximum(np.abs(f), 0) * taps, 1.0 / p)}

        return run
