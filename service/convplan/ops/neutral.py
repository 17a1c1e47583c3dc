"""Shape-neutral layers: relu, batch_norm, dropout, identity."""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._context import LayerContext
from convplan.ops._formula import affine
from convplan.ops._values import Value, norm
from convplan.ops._window import Window

__all__ = ["Neutral"]


@register
class Neutral(OpModel):
    """Leaves sizes alone; batch_norm has 2 parameters (weight, bias) per channel."""

    names = ("relu", "batch_norm", "dropout", "identity")

    op: Literal["relu", "batch_norm", "dropout", "identity"]

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        params: Value | None = 0
        if self.op == "batch_norm":
            params = None if channels is None else norm(2 * channels)
        zero = [0] * ctx.rank
        return LayerShape(list(size), channels, [(0, 0)] * ctx.rank, [affine(1, 0)] * ctx.rank, zero, zero, params, 0, {})

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        return Fraction(1), Fraction(0)

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        return Window.identity()  # pointwise: each output reads its own pixel
