"""What a size rule returns: ``LayerShape``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convplan.ops._overlap import AxisOverlap
from convplan.ops._values import Value

__all__ = ["LayerShape"]


@dataclass(slots=True)
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
