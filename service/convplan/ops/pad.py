"""Explicit padding (``torch.nn.functional.pad``) and cropping.

Negative pad amounts crop. Reflect padding must be smaller than the input,
circular at most the input (``torch/nn/functional.py::pad`` and ATen's
``_pad_circular``); a result below 1 is refused.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field

from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import PadAmounts, Scalar
from convplan.ops._formula import affine, symbolic_formula
from convplan.ops._padding import check_circular
from convplan.ops._values import Value, norm, vmin
from convplan.ops._window import Window

__all__ = ["Crop", "Pad"]


def _shifted(ctx: LayerContext, size: list[Value], pairs: list[tuple[Value, Value]], what: str) -> LayerShape:
    out, formula = [], []
    for a, (i, (before, after)) in enumerate(zip(size, pairs)):
        o = norm(i + before + after)
        ctx.require(o, ">=", 1, f"{what} leaves {o if type(o) is int else 'a size'} below 1 on this axis", axis=a)
        out.append(o)
        if type(before) is int and type(after) is int:
            formula.append(affine(1, before + after))
        else:
            formula.append(symbolic_formula(lambda x, b=before, c=after: x + b + c))
    zero = [0] * ctx.rank
    return LayerShape(out, None, pairs, formula, zero, zero, 0, 0, {})


@register
class Pad(OpModel):
    """Pad (or, with negative amounts, crop) each axis."""

    names = ("pad",)

    op: Literal["pad"]
    padding: PadAmounts
    mode: Literal["constant", "reflect", "replicate", "circular"] = "constant"

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        pairs = ctx.pairs("padding", self.padding)
        listed = isinstance(self.padding, list)
        for a, (i, (before, after)) in enumerate(zip(size, pairs)):
            if self.mode == "constant":
                # F.pad crops (narrow) before it pads: the crop alone must not go below 0.
                ctx.require(norm(i + vmin(before, 0) + vmin(after, 0)), ">=", 0,
                            "negative padding crops more than the input", axis=a, param="padding", listed=listed)
            if self.mode == "circular":
                check_circular(ctx, a, i, before, after, listed=listed)
            for p in {id(before): before, id(after): after}.values():
                if self.mode == "reflect":
                    ctx.require(p, "<", i, f"reflect padding {show(p)} must be less than the input size", axis=a,
                                param="padding", listed=listed)

        shape = _shifted(ctx, size, pairs, "padding")
        shape.out_channels = channels
        return shape

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        before = shape.padding[axis][0]
        return (Fraction(1), Fraction(-before)) if type(before) is int else None

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        return _shift_window(shape, axis)


def _shift_window(shape: LayerShape, axis: int) -> Window | None:
    """Output y is input ``y - before`` (reflect, replicate and circular modes differ only at borders)."""
    before = shape.padding[axis][0]
    return Window.translation(-before) if type(before) is int else None


CropPair = Annotated[list[Scalar], Field(min_length=2, max_length=2)]


@register
class Crop(OpModel):
    """Remove `[before, after]` rows on every axis."""

    names = ("crop",)

    op: Literal["crop"]
    crop: Annotated[list[CropPair], Field(min_length=1, max_length=3, description="Per axis `[before, after]`.")]

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        pairs = ctx.pairs("crop", self.crop)
        for a, (before, after) in enumerate(pairs):
            for p in {id(before): before, id(after): after}.values():
                ctx.require(p, ">=", 0, "crop amounts must be non-negative (use pad to grow)", axis=a,
                            param="crop")
        shape = _shifted(ctx, size, [(norm(-b), norm(-c)) for b, c in pairs], "cropping")
        shape.out_channels = channels
        return shape

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        before = shape.padding[axis][0]
        return (Fraction(1), Fraction(-before)) if type(before) is int else None

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        return _shift_window(shape, axis)

