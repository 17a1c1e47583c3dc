"""Max unpooling (``torch.nn.MaxUnpoolNd``), the partial inverse of max pooling.

Default size ``(i-1)*s + k - pl - pr`` (no dilation term); an explicit
``output_size`` must lie strictly within ``stride`` of it
(``torch/nn/functional.py::_unpool_output_size``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field

from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import PadAmounts, PerAxis
from convplan.ops._formula import affine, symbolic_formula
from convplan.ops._values import Value, norm
from convplan.ops.conv import window_params

__all__ = ["MaxUnpool"]


@register
class MaxUnpool(OpModel):
    """Max unpooling: scatters each value to the position its index names."""

    names = ("max_unpool",)
    strided = True

    op: Literal["max_unpool"]
    kernel_size: PerAxis
    stride: PerAxis | None = Field(default=None, description="Defaults to kernel_size.")
    padding: PadAmounts = 0
    output_size: PerAxis | None = Field(default=None, description="Within stride of the default size.")
    indices_from: int | None = Field(
        default=None, ge=0,
        description="Plans only: the encoder stage whose last max_pool supplies the indices.",
    )

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        k, s, d, _ = window_params(ctx, self, dilation=False)
        pads = ctx.pairs("padding", self.padding)
        listed_pad = isinstance(self.padding, list)
        for a, (pl, pr) in enumerate(pads):
            for p in {id(pl): pl, id(pr): pr}.values():
                ctx.require(p, ">=", 0, "negative padding is not supported", axis=a, param="padding",
                            listed=listed_pad)
        default = [norm((i - 1) * s[a] + k[a] - pl - pr) for a, (i, (pl, pr)) in enumerate(zip(size, pads))]
        if self.output_size is None:
            out = default
        else:
            out = ctx.per_axis("output_size", self.output_size)
            listed = isinstance(self.output_size, list)
            for a in range(ctx.rank):
                low, high = norm(default[a] - s[a]), norm(default[a] + s[a])
                reason = (f"invalid output_size {show(out[a])} (dim {a} must be between {show(low)} and {show(high)}, "
                          "exclusive)")
                ctx.require(out[a], ">", low, reason, axis=a, param="output_size", listed=listed)
                ctx.require(out[a], "<", high, reason, axis=a, param="output_size", listed=listed)
        formula: list[Value | str] = []
        for a, (pl, pr) in enumerate(pads):
            ctx.require(out[a], ">=", 1, f"output size {show(out[a])} is too small", axis=a)
            if self.output_size is not None:
                formula.append(out[a])
            elif all(type(v) is int for v in (s[a], k[a], pl, pr)):
                formula.append(affine(s[a], k[a] - s[a] - pl - pr))
            else:
                formula.append(symbolic_formula(lambda x, a=a, pl=pl, pr=pr: (x - 1) * s[a] + k[a] - pl - pr))
        zero = [0] * ctx.rank
        return LayerShape(out, channels, pads, formula, zero, zero, 0, 0,
                          {"kernel_size": k, "stride": s, "dilation": d})

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        r = shape.resolved
        s, k, pl = r["stride"][axis], r["kernel_size"][axis], shape.padding[axis][0]
        if not all(type(v) is int for v in (s, k, pl)):
            return None
        b = Fraction(k - 1, 2) - pl  # inverse of the matching pool's map x = s*y + b
        return Fraction(1, s), -b / s

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        if self.output_size is not None:
            return None
        return super().size_ratio(shape, axis, in_size)

    def fixed_input_reason(self) -> str | None:
        if self.output_size is None:
            return None
        return "its output_size is fixed, so only a bounded range of input sizes fits it"

