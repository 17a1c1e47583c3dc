"""Explicit padding (``torch.nn.functional.pad``) and cropping.

Negative pad amounts crop. Reflect padding must be smaller than the input,
circular at most the input (``torch/nn/functional.py::pad`` and ATen's
``_pad_circular``); a result below 1 is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from convplan.ops._base import LayerShape, OpModel, SizeSource, register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import NodeRef, PadAmounts, Scalar
from convplan.ops._formula import affine, symbolic_formula
from convplan.ops._padding import check_circular
from convplan.ops._values import Value, fdiv, norm, vmin
from convplan.ops._window import SymbolicWindow, Window

__all__ = ["Crop", "Pad"]

Axes = Annotated[list[Annotated[int, Field(ge=0, le=2)]] | None,
                 Field(default=None, description="With `size_of`: the spatial axes to fit (default all).")]
Anchor = Annotated[
    Literal["center", "start", "end"],
    Field(description="With `size_of`: where the kept (crop) or original (pad) rows sit: `center` puts "
                      "floor(D/2) before (D the size difference), `start` none, `end` all."),
]


class _FitToSize:
    """``size_of`` on crop and pad: amounts that fit the input to another tensor's size (the network's own
    fix, as ``x[..., d:d+n]`` centre crops and ``F.pad`` to a skip's size do)."""

    size_of: str | None
    axes: list[int] | None
    anchor: str
    #: The field of the amounts, given where ``size_of`` is not (``padding``, ``crop``).
    amounts_field: ClassVar[str]
    #: The valid-size scans' lenient twin (``monotone``): an input on the wrong side of its target is fitted as
    #: far as it goes (difference 0), not refused.
    clamped: ClassVar[bool] = False

    def axis_symmetric(self) -> bool:
        return self.axes is None and super().axis_symmetric()  # type: ignore[misc, no-any-return]

    def along_axis(self, axis: int) -> OpModel:
        # ``axes`` names the axes fitted: on one of them the 1-D layer fits its one axis; on another it passes
        # its input on, so no size is compared there (and none is taken from ``size_of``).
        layer: OpModel = super().along_axis(axis)  # type: ignore[misc]
        if self.axes is None:
            return layer
        if axis in self.axes:
            return layer.model_copy(update={"axes": None})
        return layer.model_copy(update={"axes": None, "size_of": None, self.amounts_field: [[0, 0]]})

    def size_source(self, axis: int) -> SizeSource:
        return "size_of" if self.size_of is not None and (self.axes is None or axis in self.axes) else "input"

    def monotone(self) -> OpModel:
        # Fitting to size_of compares two sizes, as a merge does: a crop of a map growing at half the rate of
        # its target fits at some sizes and at none above them (x[5] -> conv k5 -> max_pool k1 s2, cropped to
        # the conv's size, runs at 5 alone), so its refusal is not monotone in the input size. The lenient
        # run fits as far as it goes, as it crops a merge's inputs to the smallest.
        if self.size_of is None:
            return self  # type: ignore[return-value]
        twin = next(clamped for base, clamped in _CLAMPED.items() if isinstance(self, base))
        return twin.model_construct(**self.__dict__)  # type: ignore[attr-defined, no-any-return]

    def given_or_fitted_pairs(self, ctx: LayerContext, size: list[Value], *, grow: bool) -> list[tuple[Value, Value]]:
        """Per axis ``(before, after)``: the amounts ``amounts_field`` gives, or those fitting ``size`` to
        ``size_of`` (exactly one of the two is given)."""
        field = self.amounts_field
        given = getattr(self, field)
        if (given is None) == (self.size_of is None):
            ctx.fail(f"exactly one of {field} or size_of must be given", param=field, type="value_error.missing")
        return ctx.pairs(field, given) if self.size_of is None else self.fit_pairs(ctx, size, grow=grow)

    def fit_pairs(self, ctx: LayerContext, size: list[Value], *, grow: bool) -> list[tuple[Value, Value]]:
        target = ctx.target_size()
        axes = range(ctx.rank) if self.axes is None else self.axes
        pairs: list[tuple[Value, Value]] = [(0, 0)] * ctx.rank
        for a in axes:
            if a >= ctx.rank:
                ctx.fail(f"axes names axis {a}, but the input has {ctx.rank} spatial axes", param="axes",
                         type="value_error.rank")
            difference = norm(target[a] - size[a]) if grow else norm(size[a] - target[a])
            if self.clamped and type(difference) is int:
                difference = max(difference, 0)
            ctx.require(difference, ">=", 0, lambda a=a: f"{'pad' if grow else 'crop'} to size_of: the input size "
                        f"{show(size[a])} is {'larger' if grow else 'smaller'} than the target {show(target[a])}",
                        axis=a, param="size_of", listed=False)
            before = {"center": fdiv(difference, 2), "start": 0, "end": difference}[self.anchor]
            pairs[a] = (norm(before), norm(difference - before))
        return pairs


class _ShiftsRows:
    """Pad and crop move every row by the rows added (or, negative, removed) before it: output ``y`` is input
    ``y - before`` (reflect, replicate and circular modes differ only at borders), one output row per input row."""

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        before = shape.padding[axis][0]
        # A symbolic amount (a centred crop to size_of on H) is a symbolic shift: merges relate it exactly.
        return (Fraction(1), Fraction(-before)) if type(before) is int else (Fraction(1), norm(-before))

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        return Fraction(1)

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        before = shape.padding[axis][0]
        return Window.translation(-before) if type(before) is int else SymbolicWindow.strided(1, norm(-before),
                                                                                             norm(-before))


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
class Pad(_FitToSize, _ShiftsRows, OpModel):
    """Pad (or, with negative amounts, crop) each axis."""

    names = ("pad",)
    periodic_map = True  # the rows before (to a size_of target: from the sizes' difference)
    cli_keys: ClassVar[Mapping[str, str]] = {"p": "padding", "m": "mode"}
    cli_main = "padding"

    axis_fields: ClassVar[tuple[str, ...] | None] = ("padding",)
    amounts_field: ClassVar[str] = "padding"

    op: Literal["pad"]
    padding: PadAmounts | None = Field(default=None, description="Required unless `size_of` is given.")
    mode: Literal["constant", "reflect", "replicate", "circular"] = "constant"
    size_of: NodeRef | None = None
    axes: Axes = None
    anchor: Anchor = "center"

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        pairs = self.given_or_fitted_pairs(ctx, size, grow=True)
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


CropPair = Annotated[list[Scalar], Field(min_length=2, max_length=2)]
CropAmounts = Annotated[list[CropPair], Field(min_length=1, max_length=3, description="Per axis `[before, after]`; "
                                                                                        "required unless `size_of`.")]


@register
class Crop(_FitToSize, _ShiftsRows, OpModel):
    """Remove `[before, after]` rows on every axis."""

    names = ("crop",)
    periodic_map = True  # the rows before (to a size_of target: from the sizes' difference)
    cli_main = "crop"

    axis_fields: ClassVar[tuple[str, ...] | None] = ("crop",)
    amounts_field: ClassVar[str] = "crop"

    op: Literal["crop"]
    crop: CropAmounts | None = None
    size_of: NodeRef | None = None
    axes: Axes = None
    anchor: Anchor = "center"

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        pairs = self.given_or_fitted_pairs(ctx, size, grow=False)
        for a, (before, after) in enumerate(pairs):
            for p in {id(before): before, id(after): after}.values():
                ctx.require(p, ">=", 0, "crop amounts must be non-negative (use pad to grow)", axis=a,
                            param="crop")
        shape = _shifted(ctx, size, [(norm(-b), norm(-c)) for b, c in pairs], "cropping")
        shape.out_channels = channels
        return shape


class _ClampedPad(Pad):
    """``Pad.monotone`` with ``size_of`` (not registered: only the valid-size scans' lenient run makes it)."""

    clamped = True


class _ClampedCrop(Crop):
    """``Crop.monotone`` with ``size_of`` (not registered: only the valid-size scans' lenient run makes it)."""

    clamped = True


_CLAMPED: dict[type, type] = {Pad: _ClampedPad, Crop: _ClampedCrop}
