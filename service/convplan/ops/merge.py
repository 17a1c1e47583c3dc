"""Merges of several tensors: ``torch.cat`` on channels, and elementwise ``add`` / ``mul``.

Sizes follow PyTorch: ``cat`` needs every spatial size equal
(aten/src/ATen/native/TensorShape.cpp, ``check_cat_shape_except_dim``:
"Sizes of tensors must match except in dimension 1"); ``add`` and ``mul``
broadcast (per axis equal, or one of them 1, which is stretched, never
aligned; the output takes the larger: ``infer_size`` in ATen's
ExpandUtils.cpp). With a single input, ``other_size`` stands for a constant
operand such as a position embedding: not a merge, but its sizes other than
1 fix the input's.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, ClassVar, Literal

from pydantic import Field

from convplan.ops._base import LayerShape, OpModel, SizeSource, register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import PerAxis
from convplan.ops._formula import affine
from convplan.ops._values import Value, norm, vsum
from convplan.ops._window import Window

__all__ = ["Aligned", "Concat", "Elementwise"]


def _identity_shape(ctx: LayerContext, out: list[Value], channels: Value | None) -> LayerShape:
    zero = [0] * ctx.rank
    return LayerShape(list(out), channels, [(0, 0)] * ctx.rank, [affine(1, 0)] * ctx.rank, zero, zero, 0, 0, {})


class _Merge(OpModel):
    max_inputs: ClassVar[int | None] = None
    merges: ClassVar[bool] = True
    reads_features: ClassVar[bool] = True  # features concatenated, added or multiplied
    periodic_map: ClassVar[bool] = True  # the identity, or none where input 0 was broadcast
    axis_fields: ClassVar[tuple[str, ...] | None] = ()
    #: Whether a size-1 axis is stretched to the others' size (elementwise ops), not compared.
    broadcasts: ClassVar[bool] = False

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        # The output takes input 0's grid (the evaluator aligns the other inputs to it first).
        if in_size != shape.output_size[axis]:
            return None  # input 0 was broadcast from size 1: its pixel grid says nothing about the output's
        return Fraction(1), Fraction(0)

    def output_ratio(self, shape: LayerShape, axis: int, in_sizes: list[list[Value]],
                     in_ratios: list[Fraction], *, align: str = "none") -> Fraction:
        # Unequal inputs are cropped to the smallest (align "crop") or padded to the largest (graph/align.py):
        # in the long run the output grows as the slowest or the fastest of them. A constant operand of size 1
        # that is broadcast (add, mul) is stretched, never aligned: it does not decide.
        grown = [r for size, r in zip(in_sizes, in_ratios)
                 if not (self.broadcasts and r == 0 and size[axis] == 1)] or in_ratios
        return min(grown) if align == "crop" else max(grown)

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        # Pointwise in each input: the evaluator joins the inputs' fields; a constant operand adds nothing.
        return Window.identity()


@register
class Concat(_Merge):
    """``torch.cat(inputs, dim=1)``: channels add up, spatial sizes must be equal."""

    names = ("concat",)
    min_inputs: ClassVar[int] = 2

    op: Literal["concat"]

    def infer_inputs(self, ctx: LayerContext, sizes: list[list[Value]], channels: list[Value | None]) -> LayerShape:
        _require_equal(ctx, sizes)
        known = None if any(c is None for c in channels) else norm(vsum(channels))  # type: ignore[arg-type]
        if known is None:
            ctx.warn("a channel count is unknown: the concatenated channels are unknown")
        return _identity_shape(ctx, sizes[0], known)


def _require_equal(ctx: LayerContext, sizes: list[list[Value]]) -> None:
    first = sizes[0]
    for k, other in enumerate(sizes[1:], start=1):
        for a in range(ctx.rank):
            ctx.require(norm(other[a] - first[a]), "==", 0, lambda k=k, a=a, other=other: "Sizes of tensors "
                        f"must match except in dimension 1. Expected size {show(first[a])} but got size "
                        f"{show(other[a])} for tensor number {k} in the list", axis=a, type="merge")


class Aligned(_Merge):
    """A plan's ``merge: "none"`` (FCN's final crop to the input): the last input aligned to the first's size and
    position, keeping its own channels. Not a request op (unregistered): only the plan frontend builds it."""

    min_inputs: ClassVar[int] = 2
    max_inputs: ClassVar[int | None] = 2

    op: Literal["align"]

    def infer_inputs(self, ctx: LayerContext, sizes: list[list[Value]], channels: list[Value | None]) -> LayerShape:
        _require_equal(ctx, sizes)
        return _identity_shape(ctx, sizes[0], channels[-1])


@register
class Elementwise(_Merge):
    """``a + b`` / ``a * b`` with PyTorch broadcasting, or one input and a constant of ``other_size``."""

    names = ("add", "mul")
    broadcasts: ClassVar[bool] = True
    axis_fields: ClassVar[tuple[str, ...] | None] = ("other_size",)

    op: Literal["add", "mul"]
    other_size: PerAxis | None = Field(
        default=None,
        description="With one input: the spatial size of a constant operand (a position embedding, a learned "
                    "scale): 1 broadcasts, any other value must equal the input's size.")

    def infer_inputs(self, ctx: LayerContext, sizes: list[list[Value]], channels: list[Value | None]) -> LayerShape:
        if len(sizes) == 1:
            if self.other_size is None:
                ctx.fail(f"{self.op} needs two or more inputs, or one input and other_size", param="inputs",
                         type="value_error.inputs")
            sizes = [sizes[0], ctx.per_axis("other_size", self.other_size)]
        elif self.other_size is not None:
            ctx.fail("other_size stands for a second operand: give it with one input only", param="other_size",
                     type="value_error.inputs")
        out = list(sizes[0])
        # A constant's size is no map's: unequal, it fixes the input's size as a linear head does ("size.fixed":
        # the valid-size scan reads the maps past it), where two maps are a merge that a crop or pad can fix
        kind = "merge" if self.other_size is None else "size.fixed"
        for k, other in enumerate(sizes[1:], start=1):
            for a in range(ctx.rank):
                out[a] = _broadcast(ctx, out[a], other[a], k, a, kind)
        return _identity_shape(ctx, out, self._channels(ctx, channels))

    def _channels(self, ctx: LayerContext, channels: list[Value | None]) -> Value | None:
        if any(c is None for c in channels):
            if len(channels) > 1:
                ctx.warn(f"a channel count is unknown: the {self.op}'s channels were not checked")
            return None
        out = channels[0]
        for c in channels[1:]:
            if out == 1:
                out = c
            elif c != 1:
                ctx.require(norm(c - out), "==", 0, f"The size of tensor a ({show(out)}) must match the size of "
                            f"tensor b ({show(c)}) at non-singleton dimension 1", type="value_error.channels")
        return out

    def output_ratio(self, shape: LayerShape, axis: int, in_sizes: list[list[Value]],
                     in_ratios: list[Fraction], *, align: str = "none") -> Fraction:
        if len(in_ratios) == 1:
            # a constant operand (other_size) is broadcast or equal, never aligned: of size 1 it follows the
            # input; of any other size it is the output's, whatever the input (1 or that size)
            return in_ratios[0] if self.fixed_input_reason(axis) is None else Fraction(0)
        return super().output_ratio(shape, axis, in_sizes, in_ratios, align=align)

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        if self.fixed_input_reason(axis) is not None:
            return None  # the output is the constant's size, whatever the input
        return super().size_ratio(shape, axis, in_size)

    def accepted_sizes(self, axis: int) -> tuple[int, ...] | None:
        size = self._constant_sizes(axis)[0] if self.fixed_input_reason(axis) is not None else None
        return (1, size) if type(size) is int else None  # broadcast from 1, or equal

    def size_source(self, axis: int) -> SizeSource:
        return "input" if self.fixed_input_reason(axis) is None else "parameters"  # the constant's size

    def fixed_input_reason(self, axis: int | None = None) -> str | None:
        if all(size == 1 for size in self._constant_sizes(axis)):
            return None
        return "its other_size fixes the size (the input must be 1, broadcast, or the operand's size)"

    def _constant_sizes(self, axis: int | None) -> list[Any]:
        """The constant operand's sizes on ``axis`` (None: on every axis given); none without one."""
        if self.other_size is None:
            return []
        if not isinstance(self.other_size, list):
            return [self.other_size]
        return self.other_size if axis is None else self.other_size[axis:axis + 1]


def _broadcast(ctx: LayerContext, a_size: Value, b_size: Value, k: int, axis: int, kind: str) -> Value:
    """ATen's ``infer_size``: equal, or one of them 1."""
    if a_size == b_size:
        return a_size
    if a_size == 1:
        return b_size
    if b_size == 1:
        return a_size
    ctx.require(norm(a_size - b_size), "==", 0, f"The size of tensor a ({show(a_size)}) must match the size of tensor "
                f"b ({show(b_size)}) at non-singleton dimension {axis + 2} (input {k})", axis=axis, type=kind)
    return a_size
