"""Max and average pooling (``torch.nn.MaxPoolNd``, ``AvgPoolNd``).

Size rule: ATen's ``pooling_output_shape_pad_lr`` (aten/src/ATen/native/Pool.h):
``o = floor((i + pl + pr - k_eff)/s) + 1``; with ``ceil_mode`` the ceiling,
minus one when the last window would start in the right padding, which is
the closed form ``min(ceil((i+pl+pr-k_eff)/s), floor((i+pl-1)/s)) + 1``
(one less at most because ``pr <= k_eff - 1``). Padding is limited to
``kernel_size // 2`` per side, dilation ignored (``pool2d_shape_check``).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import prod
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, StrictBool, StrictInt

from convplan.errors import ErrorItem, InvalidRequest
from convplan.kernels.pool import padding_only_window, prepare_avg_pool, prepare_max_pool
from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._compute import (
    Arrays,
    ComputeParams,
    IntPadding,
    IntPerAxis,
    Outputs,
    Runner,
    Shapes,
    Tensor,
    output_ints,
    pad_pairs,
    resolved_ints,
)
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import Padding, PerAxis, Scalar
from convplan.ops._formula import floor_affine, pool_ceil, symbolic_formula
from convplan.ops._padding import resolve_padding
from convplan.ops._plain import PlainRule, PlainSizes, plain_window_params, remembered_rule
from convplan.ops._values import Value, all_ints, cdiv, fdiv, norm, vmax, vmin
from convplan.ops._window import SymbolicWindow, Window
from convplan.ops.conv import _window_map, drops_rows, window_params, window_taps

__all__ = ["AvgPool", "AvgPoolParams", "AvgPoolRequest", "MaxPool", "MaxPoolParams", "MaxPoolRequest", "WindowPool",
           "check_avg_pool3d", "pool_sizes"]


def pool_sizes(
    ctx: LayerContext,
    layer: OpModel,
    size: list[Value],
    *,
    dilation: bool,
    padding: Padding,
) -> LayerShape:
    """The size rule shared by the pools (padding as the layer gives it: LPPool has none)."""
    plain = _plain_pool_sizes(ctx, layer, size, dilation=dilation, padding=padding)
    if plain is not None:
        return plain
    k, s, d, k_eff = window_params(ctx, layer, dilation=dilation)
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


def _plain_pool_sizes(ctx: LayerContext, layer: OpModel, size: list[Value], *, dilation: bool,
                      padding: Padding) -> LayerShape | None:
    """``pool_sizes`` on plain ints where nothing is refused (ops/_plain.py), else None: the same rule."""
    if not all_ints(size):
        return None
    rank, limit = ctx.rank, ctx.resolver.max_size
    rule = remembered_rule(("pool_sizes", layer.params_key(), rank, limit, dilation),
                           lambda: plain_pool_rule(layer, rank, limit, dilation=dilation, padding=padding))
    return None if rule is None else rule.shape(size)  # type: ignore[arg-type]


def plain_pool_rule(layer: OpModel, rank: int, limit: int, *, dilation: bool, padding: Padding,
                    channels: int | None = None) -> PlainRule | None:
    """``pool_sizes`` as a ``PlainRule`` (output channels ``channels``), or None where the general rule runs."""
    window = plain_window_params(layer, padding, rank, limit, dilation=dilation)
    if window is None:
        return None
    k, s, d, pads = window
    if any(pl > k[a] // 2 or pr > k[a] // 2 for a, (pl, pr) in enumerate(pads)):
        return None  # more than half the kernel
    ceil_mode = layer.ceil_mode  # type: ignore[attr-defined]
    # Per axis (the rule of ``pool_sizes``): stride, before, after, effective kernel
    steps = [(s[a], pl, pr, d[a] * (k[a] - 1) + 1) for a, (pl, pr) in enumerate(pads)]
    formula = [pool_ceil(pl + pr - ke, pl - 1, st) if ceil_mode else floor_affine(pl + pr - ke, st, 1)
               for st, pl, pr, ke in steps]

    def sizes(size: list[int]) -> PlainSizes | None:
        out, unread, overhang = [], [], []
        for i, (st, pl, pr, ke) in zip(size, steps):
            span = i + pl + pr - ke
            o = (min(-(-span // st), (i + pl - 1) // st) if ceil_mode else span // st) + 1
            if o < 1:
                return None  # too small
            out.append(o)
            end = (o - 1) * st - pl + ke
            unread.append(i - end if i > end else 0)
            overhang.append(end - i - pr if end > i + pr else 0)
        return out, unread, overhang, 0

    return PlainRule(sizes=sizes, out_channels=channels, padding=pads, formula=formula, params=0,
                     resolved={"kernel_size": k, "stride": s, "dilation": d})


def _pool_formula(pl: Value, pr: Value, k_eff: Value, s: Value, ceil_mode: bool) -> Value | str:
    if all(type(v) is int for v in (pl, pr, k_eff, s)):
        if ceil_mode:
            return pool_ceil(pl + pr - k_eff, pl - 1, s)
        return floor_affine(pl + pr - k_eff, s, 1)
    if ceil_mode:
        return symbolic_formula(lambda x: vmin(cdiv(x + pl + pr - k_eff, s), fdiv(x + pl - 1, s)) + 1)
    return symbolic_formula(lambda x: fdiv(x + pl + pr - k_eff, s) + 1)


class MaxPoolParams(ComputeParams):
    kernel_size: IntPerAxis
    stride: IntPerAxis | None = Field(None, description="Defaults to kernel_size.")
    padding: IntPadding = 0
    dilation: IntPerAxis = 1
    ceil_mode: StrictBool = False
    return_indices: StrictBool = Field(True, description="Return `indices` (default true here).")


class AvgPoolParams(ComputeParams):
    kernel_size: IntPerAxis
    stride: IntPerAxis | None = Field(None, description="Defaults to kernel_size.")
    padding: IntPadding = 0
    ceil_mode: StrictBool = False
    count_include_pad: StrictBool = True
    divisor_override: StrictInt | None = None


class MaxPoolRequest(MaxPoolParams):
    input: Tensor


class AvgPoolRequest(AvgPoolParams):
    input: Tensor


def check_avg_pool3d(ctx: LayerContext, kernel_size: PerAxis, size: list[Value]) -> None:
    """ATen's pool3d_shape_check(check_input_size=true), for avg_pool3d only: the unpadded input must be at
    least the kernel on every axis."""
    kernel = ctx.per_axis("kernel_size", kernel_size)
    for a, (i, k) in enumerate(zip(size, kernel)):
        ctx.require(i, ">=", k, f"input image ({show(i)}) smaller than kernel size ({show(k)}); avg_pool "
                    "checks this on 3 spatial axes even with padding", axis=a, param="kernel_size",
                    listed=isinstance(kernel_size, list))


class WindowPool(OpModel):
    """A pool over strided windows: kernel, stride (default: the kernel), ceil mode; the window's
    coordinate map. Subclasses add padding, dilation and what they compute."""

    strided = True
    periodic_map = True  # stride, kernel and pads
    cli_keys: ClassVar[Mapping[str, str]] = {"k": "kernel_size", "s": "stride", "ceil": "ceil_mode"}
    cli_main = "kernel_size"

    axis_fields: ClassVar[tuple[str, ...] | None] = ("kernel_size", "stride")

    kernel_size: PerAxis
    stride: PerAxis | None = Field(default=None, description="Defaults to kernel_size.")
    ceil_mode: StrictBool = False

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        return _window_map(shape, axis)

    def drops_rows(self, shape: LayerShape, axis: int) -> bool:
        return drops_rows(shape, axis)

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        # ceil_mode adds a window at the end only: over an unbounded input every window is the same.
        return window_taps(shape, axis)

    def compute_work(self, shape: LayerShape, shapes: Shapes, output_elements: int) -> int:
        return output_elements * prod(resolved_ints(shape, "kernel_size"))


class _PoolFamily(WindowPool):
    """Parameters shared by max and average pooling."""

    cli_keys: ClassVar[Mapping[str, str]] = {**WindowPool.cli_keys, "p": "padding"}

    axis_fields: ClassVar[tuple[str, ...] | None] = (*WindowPool.axis_fields, "padding")

    padding: Padding = 0


@register
class MaxPool(_PoolFamily):
    """Max pooling, as ``torch.nn.MaxPool1d/2d/3d``."""

    names = ("max_pool",)
    #: Its indices can feed a max_unpool (a plan's ``indices_from``).
    provides_indices: ClassVar[bool] = True
    cli_names: ClassVar[Mapping[str, str]] = {"pool": "max_pool", "maxpool": "max_pool", "mp": "max_pool"}
    cli_keys: ClassVar[Mapping[str, str]] = {**_PoolFamily.cli_keys, "d": "dilation"}
    compute_params = MaxPoolParams
    compute_request = MaxPoolRequest
    compute_order = 30

    axis_fields: ClassVar[tuple[str, ...] | None] = (*_PoolFamily.axis_fields, "dilation")

    op: Literal["max_pool"]
    dilation: PerAxis = 1

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        shape = pool_sizes(ctx, self, size, dilation=True, padding=self.padding)
        shape.out_channels = channels
        return shape

    def plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        return plain_pool_rule(self, rank, limit, dilation=True, padding=self.padding, channels=channels)

    @classmethod
    def returns_indices(cls, params: BaseModel) -> bool:
        return bool(params.return_indices)  # type: ignore[attr-defined]

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        x = shapes["input"]
        assert x is not None
        found = padding_only_window(x[-len(shape.output_size):], pad_pairs(shape), resolved_ints(shape, "kernel_size"),
                                    resolved_ints(shape, "stride"), resolved_ints(shape, "dilation"),
                                    output_ints(shape))
        if found is not None:
            axis, window = found
            msg = (f"max_pool window {window} on axis {axis} covers only padding (no input element): PyTorch gives "
                   "-inf there, which JSON cannot carry; use less padding or dilation")
            raise InvalidRequest(msg, [ErrorItem(("padding",), msg, "value_error.padding_only_window",
                                                 axis=axis)])
        pool = prepare_max_pool(x, kernel=resolved_ints(shape, "kernel_size"), stride=resolved_ints(shape, "stride"),
                                dilation=resolved_ints(shape, "dilation"), pads=pad_pairs(shape),
                                out=output_ints(shape))

        def run(x: np.ndarray, a: Arrays) -> Outputs:
            y, idx = pool(x)
            return {"output": y, "indices": idx}

        return run


@register
class AvgPool(_PoolFamily):
    """Average pooling, as ``torch.nn.AvgPool1d/2d/3d`` (no dilation)."""

    names = ("avg_pool",)
    cli_names: ClassVar[Mapping[str, str]] = {"avgpool": "avg_pool", "ap": "avg_pool"}
    cli_keys: ClassVar[Mapping[str, str]] = {**_PoolFamily.cli_keys, "cip": "count_include_pad"}
    compute_params = AvgPoolParams
    compute_request = AvgPoolRequest
    compute_order = 40

    op: Literal["avg_pool"]
    count_include_pad: StrictBool = True
    divisor_override: Scalar | None = Field(default=None, description="Replaces the divisor; must be non-zero.")

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        if ctx.rank == 3:
            check_avg_pool3d(ctx, self.kernel_size, size)
        shape = pool_sizes(ctx, self, size, dilation=False, padding=self.padding)
        if self.divisor_override is not None:
            if ctx.rank == 1:
                ctx.fail("divisor_override is not available for 1 spatial axis (torch.nn.AvgPool1d has none)",
                         param="divisor_override")
            div = ctx.scalar("divisor_override", self.divisor_override)
            ctx.require(div, "!=", 0, "divisor must be not zero", param="divisor_override", listed=False)
        shape.out_channels = channels
        return shape

    def plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        if rank == 3 or self.divisor_override is not None:
            return None  # the size checks of avg_pool3d (check_avg_pool3d) and of the divisor: the general rule
        return plain_pool_rule(self, rank, limit, dilation=False, padding=self.padding, channels=channels)

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        x = shapes["input"]
        assert x is not None
        div = self.divisor_override
        pool = prepare_avg_pool(x, kernel=resolved_ints(shape, "kernel_size"), stride=resolved_ints(shape, "stride"),
                                pads=pad_pairs(shape), out=output_ints(shape), count_include_pad=self.count_include_pad,
                                divisor_override=None if div is None else int(div))
        return lambda x, a: {"output": pool(x)}
