"""Classifier heads: ``torch.flatten(x, 1)`` and ``torch.nn.Linear`` after it.

``flatten`` leaves no spatial axes: its features are ``C * prod(sizes)``, so a
``linear`` after it, whose ``in_features`` must equal them, fixes the sizes
(the VGG head on 224: 512 * 7 * 7 = 25088).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field, StrictBool

from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import Scalar
from convplan.ops._values import Value, norm, vprod
from convplan.ops._window import Window

__all__ = ["Flatten", "Linear"]


@register
class Flatten(OpModel):
    """``torch.flatten(x, 1)``: (N, C, *spatial) -> (N, C * prod(spatial))."""

    names = ("flatten",)
    spatial_output = False
    reads_features = True

    op: Literal["flatten"]

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        features = None if channels is None else norm(channels * vprod(size))
        if features is None:
            ctx.warn("in_channels unknown: the flattened feature count is unknown")
        return LayerShape([], features, [], [], [], [], 0, 0, {})

    def output_ratio(self, shape: LayerShape, axis: int, in_sizes: list[list[Value]],
                     in_ratios: list[Fraction], *, align: str = "none") -> Fraction:
        return in_ratios[0]  # the feature count grows with the flattened axis

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        return None  # no spatial axes after it: every feature sees the whole input


@register
class Linear(OpModel):
    """``torch.nn.Linear`` on a flattened input (no spatial axes): ``in_features`` must equal its features."""

    names = ("linear",)
    spatial_output = False
    reads_features = True

    op: Literal["linear"]
    in_features: Scalar
    out_features: Scalar
    bias: StrictBool = Field(default=True, description="As torch.nn.Linear.")

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        if size:
            ctx.fail(f"linear needs a flattened input (no spatial axes), but its input has {len(size)}: put a "
                     "flatten (or an adaptive pool and a flatten) before it", param="in_features",
                     type="value_error.rank")
        fan_in = ctx.scalar("in_features", self.in_features)
        fan_out = ctx.scalar("out_features", self.out_features)
        ctx.require(fan_in, ">=", 1, "in_features must be positive", param="in_features", listed=False)
        ctx.require(fan_out, ">=", 1, "out_features must be positive", param="out_features", listed=False)
        if channels is None:
            ctx.warn("the flattened feature count is unknown: in_features was not checked")
        else:
            ctx.require(norm(channels - fan_in), "==", 0, lambda: f"mat1 and mat2 shapes cannot be multiplied: the "
                        f"flattened input has {show(channels)} features but in_features is {show(fan_in)}",
                        param="in_features", listed=False, type="size.fixed")
        params = norm(fan_in * fan_out + (fan_out if self.bias else 0))
        return LayerShape([], fan_out, [], [], [], [], params, norm(fan_in * fan_out), {})

    def fixed_input_reason(self, axis: int | None = None) -> str | None:
        return "its in_features fixes the flattened size, so only a bounded range of input sizes fits it"

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        return None
