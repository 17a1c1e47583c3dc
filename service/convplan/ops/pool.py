"""Max and average pooling (``torch.nn.MaxPoolNd``, ``AvgPoolNd``).

Size rule: ATen's ``pooling_output_shape_pad_lr`` (aten/src/ATen/native/Pool.h):
``o = floor((i + pl + pr - k_eff)/s) + 1``; with ``ceil_mode`` the ceiling,
minus one when the last window would start in the right padding, which is
the closed form ``min(ceil((i+pl+pr-k_eff)/s), floor((i+pl-1)/s)) + 1``
(one less at most because ``pr <= k_eff - 1``). Padding is limited to
``kernel_size // 2`` per side, dilation ignored (``pool2d_shape_check``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field, StrictBool

from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import Padding, PerAxis, Scalar
from convplan.ops._formula import floor_affine, pool_ceil, symbolic_formula
from convplan.ops._padding import resolve_padding
from convplan.ops._values import Value, cdiv, fdiv, norm, vmax, vmin
from convplan.ops.conv import _window_map, drops_rows, window_params

__all__ = ["AvgPool", "MaxPool", "pool_sizes"]


def pool_sizes(
    ctx: LayerContext,
    layer: OpModel,
    size: list[Value],
    *,
    dilation: bool,
) -> LayerShape:
    """The size rule shared by max and average pooling."""
    k, s, d, k_eff = window_params(ctx, layer, dilation=dilation)
    padding = layer.padding  # type: ignore[attr-defined]
    pads, _ = resolve_padding(ctx, padding, size=size, kernel_eff=k_eff, stride=s)
    ceil_mode = layer.ceil_mode  # type: ignore[attr-defined]
    listed = isinstance(padding, list)
    out, unread, overhang, formula = [], [], [], []
    for a, (i, (pl, pr)) in enumerate(zip(size, pads)):
        # The limit holds for same_upper/same_lower too: PyTorch could not pad more either.
        half = norm(fdiv(k[a], 2))
        for p in {id(pl): pl, id(pr): pr}.values():
            ctx.require(p, "<=", half, lambda p=p, a=a: f"pad should be at most half of kernel size, but got "
                        f"pad={show(p)} and kernel_size={show(k[a])}", axis=a, param="padding", listed=listed)
        span = norm(i + pl + pr - k_eff[a])
        if ceil_mode:
            o = norm(vmin(cdiv(span, s[a]), fdiv(i + pl - 1, s[a])) + 1)
        else:
            o = norm(fdiv(span, s[a]) + 1)
        ctx.require(o, ">=", 1, lambda o=o, i=i, pl=pl, pr=pr, a=a: f"output size {show(o)} is too small (input "
                    f"{show(i)}, padding {show(pl)}+{show(pr)}, kernel {show(k_eff[a])})", axis=a)
        out.append(o)
        # The last window covers input rows [(o-1)*s - pl, (o-1)*s - pl + k_eff).
        end = norm((o - 1) * s[a] - pl + k_eff[a])
        unread.append(norm(vmax(0, i - end)))
        overhang.append(norm(vmax(0, end - (i + pr))))
        formula.append(_pool_formula(pl, pr, k_eff[a], s[a], ceil_mode))
    shape = LayerShape(out, None, pads, formula, unread, overhang, 0, 0,
                       {"kernel_size": k, "stride": s, "dilation": d})
    return shape


def _pool_formula(pl: Value, pr: Value, k_eff: Value, s: Value, ceil_mode: bool) -> Value | str:
    if all(type(v) is int for v in (pl, pr, k_eff, s)):
        if ceil_mode:
            return pool_ceil(pl + pr - k_eff, pl - 1, s)
        return floor_affine(pl + pr - k_eff, s, 1)
    if ceil_mode:
        return symbolic_formula(lambda x: vmin(cdiv(x + pl + pr - k_eff, s), fdiv(x + pl - 1, s)) + 1)
    return symbolic_formula(lambda x: fdiv(x + pl + pr - k_eff, s) + 1)


class _PoolFamily(OpModel):
    """Parameters shared by max and average pooling."""

    strided = True

    kernel_size: PerAxis
    stride: PerAxis | None = Field(default=None, description="Defaults to kernel_size.")
    padding: Padding = 0
    ceil_mode: StrictBool = False

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        return _window_map(shape, axis)

    def drops_rows(self, shape: LayerShape, axis: int) -> bool:
        return drops_rows(shape, axis)


@register
class MaxPool(_PoolFamily):
    """Max pooling, as ``torch.nn.MaxPool1d/2d/3d``."""

    names = ("max_pool",)

    op: Literal["max_pool"]
    dilation: PerAxis = 1

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        shape = pool_sizes(ctx, self, size, dilation=True)
        shape.out_channels = channels
        return shape


@register
class AvgPool(_PoolFamily):
    """Average pooling, as ``torch.nn.AvgPool1d/2d/3d`` (no dilation)."""

    names = ("avg_pool",)

    op: Literal["avg_pool"]
    count_include_pad: StrictBool = True
    divisor_override: Scalar | None = Field(default=None, description="Replaces the divisor; must be non-zero.")

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        if ctx.rank == 3:
            # ATen's pool3d_shape_check(check_input_size=true) for AvgPool3d only: the
            # unpadded input must be at least the kernel on every axis.
            kernel = ctx.per_axis("kernel_size", self.kernel_size)
            for a, (i, k) in enumerate(zip(size, kernel)):
                ctx.require(i, ">=", k, f"input image ({show(i)}) smaller than kernel size ({show(k)}); avg_pool "
                            "checks this on 3 spatial axes even with padding", axis=a, param="kernel_size",
                            listed=isinstance(self.kernel_size, list))
        shape = pool_sizes(ctx, self, size, dilation=False)
        if self.divisor_override is not None:
            if ctx.rank == 1:
                ctx.fail("divisor_override is not available for 1 spatial axis (torch.nn.AvgPool1d has none)",
                         param="divisor_override")
            div = ctx.scalar("divisor_override", self.divisor_override)
            ctx.require(div, "!=", 0, "divisor must be not zero", param="divisor_override", listed=False)
        shape.out_channels = channels
        return shape



