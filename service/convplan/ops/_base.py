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
from convplan.ops._window import Window

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


class OpModel(LayerModel):
    """A layer op: parameters, size rule, coordinate map and receptive-field window, defined once."""

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

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        """The input pixels each output pixel reads on ``axis`` (receptive fields, contract section 9).

        None where no periodic window exists or a parameter it needs is symbolic. Every op says
        so explicitly: an op that does not define its window is a bug, not an identity."""
        raise NotImplementedError(f"{type(self).__name__} defines no receptive-field window")


OPS: dict[str, type[OpModel]] = {}


def register(cls: type[OpModel]) -> type[OpModel]:
    for name in cls.names:
        if name in OPS:
            raise RuntimeError(f"op {name!r} registered twice")
        OPS[name] = cls
    return cls
