"""How a transposed convolution's (or an unpooling's) windows overlap, per output phase.

Contract section 10. Input ``j`` writes tap ``t`` to output ``y = s*j + d*t - p_before``,
so an interior output ``y`` (every window that could reach it lies inside the
input) receives exactly the taps ``t`` in ``0..k-1`` with
``y + p_before - d*t = 0 (mod s)``: the set depends only on the phase
``r = y mod s``. Unequal sets are the uneven overlap of Odena, Dumoulin and
Olah ("Deconvolution and Checkerboard Artifacts", Distill 2016); an empty set
is a hole (an output no input reaches, as with ``gcd(d, s) > 1``).
``max_unpool`` is the case ``d = 1``: the windows covering ``y``, at most one
of which writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import gcd
from typing import TYPE_CHECKING, Any

from convplan.ops._values import Value

if TYPE_CHECKING:
    from convplan.ops._base import LayerShape
    from convplan.ops._context import LayerContext

__all__ = ["MAX_LISTED_TAPS", "AxisOverlap", "axis_overlap", "checkerboard_warning", "phase_overlap", "with_overlap"]

#: Taps are listed while ``kernel_size + stride`` is at most this (real layers are far below);
#: above it ``taps`` is null and ``uniform`` / ``holes`` still come from their closed forms.
MAX_LISTED_TAPS = 4096

CHECKERBOARD = ('checkerboard artifact risk (Odena, Dumoulin, Olah, "Deconvolution and Checkerboard '
                'Artifacts", Distill 2016)')


@dataclass(frozen=True, kw_only=True)
class AxisOverlap:
    """One axis: ``taps[r]`` for the interior outputs of phase ``r`` (``0..s-1``)."""

    taps: tuple[tuple[int, ...], ...] | None
    #: Every phase receives as many taps: exactly when ``gcd(d, s) = 1`` and ``s | k``.
    uniform: bool
    #: Some phase receives no tap: exactly when ``k < s`` or ``gcd(d, s) > 1``.
    holes: bool

    def as_dict(self) -> dict[str, Any]:
        taps = None if self.taps is None else [list(t) for t in self.taps]
        return {"taps": taps, "uniform": self.uniform, "holes": self.holes}


@lru_cache(maxsize=1024)
def axis_overlap(kernel: int, stride: int, dilation: int, pad_before: int) -> AxisOverlap:
    """Taps per phase of one axis (positive ``kernel``, ``stride``, ``dilation``)."""
    g = gcd(dilation, stride)
    # t*d mod s cycles with period s/g through the multiples of g: min(k, s/g) phases are reached.
    holes = kernel < stride or g > 1
    uniform = not holes and kernel % stride == 0
    taps = None
    if kernel + stride <= MAX_LISTED_TAPS:
        taps = tuple(tuple(t for t in range(kernel) if (r + pad_before - t * dilation) % stride == 0)
                     for r in range(stride))
    return AxisOverlap(taps=taps, uniform=uniform, holes=holes)


def phase_overlap(resolved: dict[str, Any], padding: list[tuple[Value, Value]]) -> list[AxisOverlap | None]:
    """Per axis from a layer's resolved ``kernel_size``, ``stride``, ``dilation`` and padding; None where
    one of them is symbolic."""
    out: list[AxisOverlap | None] = []
    for k, s, d, (pl, _) in zip(resolved["kernel_size"], resolved["stride"], resolved["dilation"], padding):
        numeric = type(k) is int and type(s) is int and type(d) is int and type(pl) is int
        out.append(axis_overlap(k, s, d, pl) if numeric else None)
    return out


def checkerboard_warning(axes: list[AxisOverlap | None]) -> str | None:
    """The warning for uneven overlap on any axis, None when every known axis is uniform."""
    parts = []
    for a, ov in enumerate(axes):
        if ov is None or ov.uniform:
            continue
        counts = "" if ov.taps is None else f" (taps per output phase: {', '.join(str(len(t)) for t in ov.taps)})"
        parts.append(f"axis {a}: {'holes' if ov.holes else 'uneven overlap'}{counts}")
    if not parts:
        return None
    return "; ".join(parts) + f": {CHECKERBOARD}"


def with_overlap(ctx: LayerContext, shape: LayerShape, axes: list[AxisOverlap | None]) -> LayerShape:
    """``shape`` with its ``overlap`` set, and the checkerboard warning on ``ctx`` when it applies."""
    shape.overlap = axes
    warning = checkerboard_warning(axes)
    if warning is not None:
        ctx.warn(warning)
    return shape
