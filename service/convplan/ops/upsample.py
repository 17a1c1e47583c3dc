"""Interpolation (``torch.nn.functional.interpolate`` / ``nn.Upsample``).

Sizes from a scale factor are ``floor(float(i) * scale)`` in double precision,
as ATen's ``compute_output_size`` (100 x 0.29 gives 28). With a symbolic input
only integer or dyadic scale factors are exact, so only those are accepted.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

from pydantic import Field, StrictBool

from convplan.ops._base import LayerShape, NoClosedForm, OpModel, register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import NodeRef, PerAxis, ScaleFactor
from convplan.ops._formula import floor_scaled
from convplan.ops._values import Value, fdiv, norm

__all__ = ["Upsample"]

_RANK_OF_MODE = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_NEAREST = ("nearest", "nearest-exact")
# Every double is a fraction over a power of two; only short ones (0.5, 1.5, 0.25...)
# make floor(i*scale) in double precision equal the exact floor for any size,
# which a symbolic input needs (0.3 is 5404319552844595/2**54: not accepted).
_MAX_DYADIC_DENOMINATOR = 1 << 16


@register
class Upsample(OpModel):
    """Resize by a scale factor or to a size."""

    names = ("upsample",)

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
        if type(out) is not int or type(in_size) is not int:
            return None
        if self.align_corners:
            if self.mode in _NEAREST:
                return None
            return (Fraction(in_size - 1, out - 1) if out > 1 else Fraction(0)), Fraction(0)
        f = shape.resolved["scale_factor"][axis]
        # PyTorch's coordinate scale is 1/scale_factor unless sizes were given or recomputed.
        ratio = Fraction(out, in_size) if (f is None or self.recompute_scale_factor) else Fraction(f)
        a = 1 / ratio
        return a, (a - 1) / 2

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


def _scaled(ctx: LayerContext, axis: int, i: Value, f: float | int, listed: bool) -> tuple[Value, Value | str]:
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


