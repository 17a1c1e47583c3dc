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
from convplan.ops._overlap import AxisOverlap
from convplan.ops._values import Value

__all__ = ["OPS", "LayerShape", "OpModel", "register"]


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
    #: Per axis, how the windows of a scattering op (conv_transpose, max_unpool) overlap; None for other ops.
    overlap: list[AxisOverlap | None] | None = None


class OpModel(LayerModel):
    """A layer op: parameters, size rule and coordinate map, defined once."""

    #: `op` names this model accepts (most ops have one).
    names: ClassVar[tuple[str, ...]] = ()
    #: Whether the op changes sizes with a stride (used by the planner's validity rule).
    strided: ClassVar[bool] = False

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        raise NotImplementedError

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        """Output pixel ``y`` sits at input coordinate ``a*y + b`` (pixel centres).

        None where no affine map exists (adaptive pools, explicit interpolation
        sizes with ``align_corners``... see each op)."""
        return None

    def overlap(self, shape: LayerShape) -> list[AxisOverlap | None] | None:
        """Per axis, the taps reaching each output phase (contract section 10; None where symbolic);
        None for ops that do not scatter their input."""
        return None


OPS: dict[str, type[OpModel]] = {}


def register(cls: type[OpModel]) -> type[OpModel]:
    for name in cls.names:
        if name in OPS:
            raise RuntimeError(f"op {name!r} registered twice")
        OPS[name] = cls
    return cls
