"""The op registry and what a size rule returns.

Every op is one module in this package: a Pydantic model with PyTorch-named
parameters (its request schema) whose ``infer`` is the size rule. Modules are
discovered automatically, so adding an op is adding a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from convplan.ops._context import LayerContext
from convplan.ops._fields import LayerModel
from convplan.ops._values import Value

__all__ = ["OPS", "LayerShape", "NoClosedForm", "OpModel", "register"]


class NoClosedForm(Exception):
    """An op whose sizes follow no periodic rule (valid input sizes then have no closed form): why."""


@dataclass
class LayerShape:
    """A layer's result: sizes per axis and what the response reports."""

    output_size: list[Value]
    out_channels: Value | None
    padding: list[tuple[Value, Value]]
    formula: list[Value | str]
    unread: list[Value]
    overhang: list[Value]
    params: Value | None = 0
    macs: Value | None = 0
    # Resolved per-axis parameters (kernel, stride, dilation, output_padding, ...)
    # for the numeric core and the coordinate maps.
    resolved: dict[str, Any] = field(default_factory=dict)


class OpModel(LayerModel):
    """A layer op: parameters, size rule and coordinate map, defined once."""

    #: `op` names this model accepts (most ops have one).
    names: ClassVar[tuple[str, ...]] = ()
    #: Whether the op changes sizes with a stride (used by the planner's validity rule).
    strided: ClassVar[bool] = False

    #: How many inputs a node of this op takes in a graph (``None``: no upper bound).
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    #: A merge (concat, add, mul with two or more inputs): its inputs are compared and aligned.
    merges: ClassVar[bool] = False
    #: False when the op leaves no spatial axes (flatten, linear).
    spatial_output: ClassVar[bool] = True

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        raise NotImplementedError

    def infer_inputs(self, ctx: LayerContext, sizes: list[list[Value]], channels: list[Value | None]) -> LayerShape:
        """The size rule on all of a node's inputs; single-input ops take the first."""
        return self.infer(ctx, sizes[0], channels[0])

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        """Output pixel ``y`` sits at input coordinate ``a*y + b`` (pixel centres).

        None where no affine map exists (adaptive pools, explicit interpolation
        sizes with ``align_corners``... see each op)."""
        return None

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        """Output rows per input row in the long run (``f(n + q) = f(n) + p`` for the ratio ``p/q``), or
        None when the output size does not follow the input (a fixed ``output_size`` or ``size``).

        The inverse of the coordinate map's scale: conv and pools ``1/s``, transposed ``s``, interpolation
        ``f``, pads 1. Ops whose map is not their size rule's ratio override this."""
        step = self.coord_map(shape, axis, in_size)
        if step is None:
            return None
        return 1 / step[0] if step[0] != 0 else None

    def output_ratio(self, shape: LayerShape, axis: int, in_sizes: list[list[Value]],
                     in_ratios: list[Fraction]) -> Fraction:
        """The output's ratio to the network input, given the inputs' (0 = fixed size); merges override."""
        own = self.size_ratio(shape, axis, in_sizes[0][axis])
        return Fraction(0) if own is None else in_ratios[0] * own

    def fixed_input_reason(self) -> str | None:
        """Why only a bounded range of input sizes can fit this op on a growing input, or None."""
        return None

    def drops_rows(self, shape: LayerShape, axis: int) -> bool:
        """Whether the layer discards input rows that a window would read (the valid-size ``clean`` rule;
        contract section 7), or a ceil-mode window overhangs. Only windowed strided ops can."""
        return False

    def size_of_target(self) -> str | None:
        """The node or input whose spatial size this op takes (``size_of``), if any."""
        return getattr(self, "size_of", None)


OPS: dict[str, type[OpModel]] = {}


def register(cls: type[OpModel]) -> type[OpModel]:
    for name in cls.names:
        if name in OPS:
            raise RuntimeError(f"op {name!r} registered twice")
        OPS[name] = cls
    return cls
