"""Interpolation (``torch.nn.functional.interpolate`` / ``nn.Upsample``).

Sizes from a scale factor are ``floor(float(i) * scale)`` in double precision,
as ATen's ``compute_output_size`` (100 x 0.29 gives 28). With a symbolic input
only integer or dyadic scale factors are exact, so only those are accepted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt

from convplan.kernels.interp import prepare_interpolate
from convplan.ops._base import LayerShape, NoClosedForm, OpModel, SizeSource, register
from convplan.ops._compute import (
    ComputeParams,
    IntPerAxis,
    Runner,
    Shapes,
    Tensor,
    output_ints,
)
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import NodeRef, PerAxis, ScaleFactor
from convplan.ops._formula import floor_scaled
from convplan.ops._values import Value, fdiv, norm
from convplan.ops._window import Window, window_of_taps

__all__ = ["Upsample", "UpsampleParams", "UpsampleRequest"]

_RANK_OF_MODE = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_NEAREST = ("nearest", "nearest-exact")
# Every double is a fraction over a power of two; only short ones (0.5, 1.5, 0.25...)
# make floor(i*scale) in double precision equal the exact floor for any size,
# which a symbolic input needs (0.3 is 5404319552844595/2**54: not accepted).
_MAX_DYADIC_DENOMINATOR = 1 << 16


_Number = StrictFloat | StrictInt


class UpsampleParams(ComputeParams):
    size: IntPerAxis | None = None
    scale_factor: _Number | Annotated[list[_Number], Field(min_length=1, max_length=3)] | None = None
    mode: Literal["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"] = "nearest"
    align_corners: StrictBool | None = None
    recompute_scale_factor: StrictBool | None = None
    antialias: StrictBool = False


class UpsampleRequest(UpsampleParams):
    input: Tensor


@register
class Upsample(OpModel):
    """Resize by a scale factor or to a size."""

    names = ("upsample",)
    cli_names: ClassVar[Mapping[str, str]] = {"up": "upsample", "interpolate": "upsample"}
    cli_keys: ClassVar[Mapping[str, str]] = {"sf": "scale_factor", "scale": "scale_factor", "m": "mode",
                                             "ac": "align_corners"}
    cli_main = "scale_factor"
    compute_params = UpsampleParams
    compute_request = UpsampleRequest
    compute_order = 80

    axis_fields: ClassVar[tuple[str, ...] | None] = ("scale_factor", "size")

    op: Literal["upsample"]
    scale_factor: ScaleFactor | None = None
    size: PerAxis | None = None
    mode: Literal["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"] = "nearest"
    align_corners: StrictBool | None = Field(default=None, description="Only with linear modes; null = False.")
    recompute_scale_factor: StrictBool | None = None
    antialias: StrictBool = False
    size_of: NodeRef | None = None

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        self._check_options(ctx)
        if self.size is not None or self.size_of is not None:
            out = ctx.per_axis("size", self.size) if self.size is not None else list(ctx.target_size())
            listed = isinstance(self.size, list)
            for a, o in enumerate(out):
                ctx.require(o, ">=", 1, "Input and output sizes should be greater than 0", axis=a,
                            param="size", listed=listed)
            formula: list[Value | str] = list(out)
            scales = [None] * ctx.rank
        else:
            scales = self._scales(ctx)
            out, formula = [], []
            for a, (i, f) in enumerate(zip(size, scales)):
                o, text = _scaled(ctx, a, i, f, isinstance(self.scale_factor, list))
                ctx.require(o, ">=", 1, f"Input and output sizes should be greater than 0 ({show(i)} x {f} "
                            f"gives {show(o)})", axis=a)
                out.append(o)
                formula.append(text)
        zero = [0] * ctx.rank
        return LayerShape(out, channels, [(0, 0)] * ctx.rank, formula, zero, zero, 0, 0, {"scale_factor": scales})

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        x = shapes["input"]
        assert x is not None
        # F.interpolate hands the kernel scale_factor only when sizes were not
        # given and recompute_scale_factor is falsy; otherwise the scale is in/out.
        rank = len(shape.output_size)
        scales = shape.resolved.get("scale_factor") or [None] * rank
        if self.recompute_scale_factor:
            scales = [None] * rank
        run = prepare_interpolate(x, output_ints(shape), mode=self.mode,
                                  scales=[None if s is None else float(s) for s in scales],
                                  align_corners=bool(self.align_corners), antialias=self.antialias)
        return lambda x, a: {"output": run(x)}

    def _check_options(self, ctx: LayerContext) -> None:
        # Same order of checks as torch.nn.functional.interpolate.
        given = [name for name in ("size", "scale_factor", "size_of") if getattr(self, name) is not None]
        if len(given) != 1:
            ctx.fail("exactly one of size, scale_factor or size_of must be given" +
                     (f" (got {', '.join(given)})" if given else ""), param=given[-1] if given else None,
                     type="value_error.upsample")
        if self.align_corners is not None and self.mode in _NEAREST:
            ctx.fail("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                     "bicubic | trilinear", param="align_corners", type="value_error.upsample")
        if self.recompute_scale_factor and self.scale_factor is None:
            ctx.fail("recompute_scale_factor is not meaningful with an explicit size",
                     param="recompute_scale_factor", type="value_error.upsample")
        if self.antialias and not (self.mode in ("bilinear", "bicubic") and ctx.rank == 2):
            ctx.fail("Anti-alias option is restricted to bilinear and bicubic modes and requires 2 spatial axes",
                     param="antialias", type="value_error.upsample")
        need = _RANK_OF_MODE.get(self.mode)
        if need is not None and need != ctx.rank:
            ctx.fail(f"mode {self.mode!r} needs {need} spatial ax{'is' if need == 1 else 'es'}, got {ctx.rank}",
                     param="mode", type="value_error.upsample")

    def _scales(self, ctx: LayerContext) -> list[float | int]:
        sf = self.scale_factor
        if isinstance(sf, list):
            if len(sf) != ctx.rank:
                ctx.fail(f"scale_factor has {len(sf)} values but the input has {ctx.rank} spatial axes",
                         param="scale_factor", type="value_error.rank")
            return list(sf)
        return [sf] * ctx.rank  # type: ignore[list-item]

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        out = shape.output_size[axis]
        f = shape.resolved["scale_factor"][axis]
        # PyTorch's coordinate scale is 1/scale_factor unless sizes were given or recomputed: then it is in/out,
        # and with align_corners (in-1)/(out-1), which need the sizes as numbers. A given factor's map holds at
        # every size, symbolic ones too.
        by_factor = f is not None and not self.recompute_scale_factor and not self.align_corners
        if not by_factor and (type(out) is not int or type(in_size) is not int):
            return None
        if self.align_corners:
            if self.mode in _NEAREST:
                return None
            return (Fraction(in_size - 1, out - 1) if out > 1 else Fraction(0)), Fraction(0)
        a = 1 / Fraction(f) if by_factor else Fraction(in_size, out)  # type: ignore[arg-type]
        return a, (a - 1) / 2

    def size_source(self, axis: int) -> SizeSource:
        return "size_of" if self.size_of is not None else "parameters" if self.size is not None else "input"

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        f = shape.resolved["scale_factor"][axis]
        if f is None:
            return None  # `size` / `size_of`: the output does not follow this input
        exact = Fraction(f)
        if exact.denominator > _MAX_DYADIC_DENOMINATOR:  # 0.7 is 3152519739159347/2**52 as a double
            raise NoClosedForm(f"scale_factor {f} is not exact in binary, so sizes follow floating-point rounding "
                               "(PyTorch floors float(i) * scale: 90 * 0.7 gives 62) and no period exists; use "
                               "`size` or a dyadic factor")
        return exact

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        """The input pixels with a non-zero weight, from ATen's source index rules
        (aten/src/ATen/native/UpSample.h): the scale is ``1/scale_factor`` when a factor is
        given and not recomputed, else ``in/out`` (``compute_scales_value``); with
        ``align_corners`` ``(in-1)/(out-1)``. Borders (clamped indices) do not exist here."""
        out = shape.output_size[axis]
        f = shape.resolved["scale_factor"][axis]
        sized = self.align_corners or f is None or self.recompute_scale_factor
        if sized and (type(out) is not int or type(in_size) is not int):
            return None  # taken at the actual sizes: unknown while they are symbolic
        if self.align_corners:
            scale = Fraction(in_size - 1, out - 1) if out > 1 else Fraction(0)
        else:
            scale = Fraction(in_size, out) if sized else 1 / Fraction(f)
        return _interpolation_window(self.mode, scale, bool(self.align_corners))

    def along_axis(self, axis: int) -> OpModel:
        # The multi-axis linear modes on one axis are linear: the same size rule and coordinate map (their rank
        # check, and antialias's, would refuse a 1-D input).
        layer = super().along_axis(axis)
        return layer.model_copy(update={"mode": _ONE_AXIS.get(self.mode, self.mode), "antialias": False})


@lru_cache(maxsize=256)
def _interpolation_window(mode: str, scale: Fraction, align_corners: bool) -> Window:
    """One window object per mode and scale (composing remembers results per window)."""
    return window_of_taps(scale, scale.denominator, _source_taps(mode, scale, align_corners))


_ONE_AXIS = {"bilinear": "linear", "bicubic": "linear", "trilinear": "linear"}


def _source_taps(mode: str, scale: Fraction, align_corners: bool) -> Callable[[int], tuple[int, ...]]:
    """Output y -> the input pixels it reads with a non-zero weight."""
    if mode == "nearest":  # nearest_idx: floor(y * scale)
        return lambda y: (math.floor(y * scale),)
    if mode == "nearest-exact":  # nearest_neighbor_exact_compute_source_index: floor((y + 0.5) * scale)
        return lambda y: (math.floor((y + _HALF) * scale),)
    # area_pixel_compute_source_index: y*scale (align_corners), else scale*(y + 0.5) - 0.5.
    taps = (-1, 0, 1, 2) if mode == "bicubic" else (0, 1)

    def source(y: int) -> tuple[int, ...]:
        src = y * scale if align_corners else scale * (y + _HALF) - _HALF
        base = math.floor(src)
        # The linear weight of floor(src) + 1 is src - floor(src); the cubic weights at t = 0 are
        # (0, 1, 0, 0) (cubic_convolution1/2 vanish at 1 and 2): an integer source reads one pixel.
        return (base,) if src == base else tuple(base + t for t in taps)

    return source


_HALF = Fraction(1, 2)



def _scaled(ctx: LayerContext, axis: int, i: Value, f: float, listed: bool) -> tuple[Value, Value | str]:
    try:
        finite = math.isfinite(f)
    except OverflowError:  # an integer beyond the float range
        finite = False
    if f <= 0 or not finite:
        ctx.fail(f"scale_factor must be a positive finite number, got {f}", axis=axis, param="scale_factor",
                 listed=listed, type="value_error.upsample")
    exact = Fraction(f)
    shown = exact if exact.denominator & (exact.denominator - 1) == 0 else exact.limit_denominator(1000)
    if shown != exact:
        ctx.warn(f"axis {axis}: the formula reads scale_factor {f} as {shown.numerator}/{shown.denominator}; "
                 "sizes use PyTorch's double-precision floor(i*scale)")
    if type(i) is int:
        product = float(i) * float(f)
        if not math.isfinite(product):
            ctx.fail(f"the output size {i} * {f} overflows", axis=axis, param="scale_factor", listed=listed,
                     type="limit.size")
        return math.floor(product), floor_scaled(shown.numerator, shown.denominator)
    if exact.denominator > _MAX_DYADIC_DENOMINATOR:
        ctx.fail(f"scale_factor {f} is not exact in binary: with a symbolic input use `size`, or an integer or "
                 "dyadic scale factor (0.5, 1.5, 0.25...)", axis=axis, param="scale_factor", listed=listed,
                 type="value_error.upsample")
    o = norm(fdiv(i * exact.numerator, exact.denominator)) if exact.denominator > 1 else norm(i * exact.numerator)
    return o, floor_scaled(exact.numerator, exact.denominator)


