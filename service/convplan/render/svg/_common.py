"""What the SVG renderers share: label formats, arrow kinds and glyphs.

Arrow kinds are read from the computed result, not from op names: a layer
with parameters is *learned*, and the ratio of its output size to its input
size says whether it keeps, lowers or raises the resolution. So a new op is
drawn correctly without a line here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from convplan.expr import ExpressionError, SymbolTable, parse_expression, substitute
from convplan.render.svg._doc import SvgDocument

__all__ = [
    "KINDS",
    "MISMATCH_RED",
    "Kind",
    "arrow",
    "box_height",
    "box_width",
    "draw_legend",
    "fmt_fix",
    "fmt_size",
    "is_pointwise",
    "layer_kind",
    "op_label",
    "sample",
    "text_width",
]

MISMATCH_RED = "#d62728"
#: Every symbol takes this value when a symbolic size is drawn (only ratios of sizes matter in a picture).
_SAMPLE_SYMBOL_VALUE = 256


@dataclass(frozen=True)
class Kind:
    colour: str
    legend: str
    dashed: bool = False


KINDS: dict[str, Kind] = {
    "conv": Kind("#1f4e9c", "learned, same resolution (conv)"),
    "down_learned": Kind("#8e44ad", "learned downsampling (strided conv)"),
    "down": Kind("#c0392b", "downsampling (pool)"),
    "up_learned": Kind("#2e8b3a", "learned upsampling (up-conv)"),
    "up": Kind("#17a2a2", "upsampling (upsample, unpool, shuffle)"),
    "crop_pad": Kind("#7f8c8d", "crop / pad"),
    "other": Kind("#555555", "other"),
    "skip": Kind("#9a9a9a", "skip connection (copy, with its fix)", dashed=True),
}


def sample(value: Any, **fixed: int) -> float | None:
    """A number to draw a size by: the integer, or an expression with every symbol at 256 (or ``fixed``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    return _sample_text(value, tuple(sorted(fixed.items())))


@lru_cache(maxsize=4096)
def _sample_text(text: str, fixed: tuple[tuple[str, int], ...]) -> float | None:
    # Cached: a plan repeats the same few formulas (``i - 2``, ``floor(i/2)``) on every stage.
    values = dict(fixed)
    try:
        expr = parse_expression(text, SymbolTable())
        names = {getattr(s, "name", str(s)) for s in getattr(expr, "free_symbols", ())}
        return float(substitute(expr, {name: values.get(name, _SAMPLE_SYMBOL_VALUE) for name in names}))
    except (ExpressionError, TypeError, ValueError, ZeroDivisionError):
        return None


def fmt_size(values: Any) -> str:
    """``572x572``; symbolic ``[H, W - 2]`` (one axis: ``H - 2``); ``?`` when unknown."""
    if not isinstance(values, list) or not values:
        return "?" if values is None or values == [] else str(values)
    texts = ["?" if v is None else str(v) for v in values]
    if all(isinstance(v, int) for v in values):
        return "x".join(texts)
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def _pair(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join("?" if v is None else str(v) for v in value) + "]"
    return "none" if value is None else str(value)


def fmt_fix(per_axis: Any) -> str:
    """A per-axis fix as ``[1, 1]`` (one axis) or ``[1, 1] x [0, 0]``; ``none`` where no fix exists."""
    if not isinstance(per_axis, list):
        return "none"
    return " x ".join(_pair(v) for v in per_axis) or "none"


def text_width(text: str, size: float = 11) -> float:
    """A generous estimate of a label's width (no font metrics in pure Python)."""
    return 0.62 * size * len(text)


def box_width(channels: Any) -> float:
    """Width by channels, on a log scale (1 channel: 6 px; 64: 48 px; 1024: 76 px)."""
    value = sample(channels)
    if value is None or value < 1:
        return 24.0
    return 6 + 7 * math.log2(value)


def box_height(size: float | None, largest: float, *, tallest: float = 170, lowest: float = 8) -> float:
    """Height by size, linear in the largest map's size."""
    if size is None or largest <= 0:
        return 24.0
    return max(lowest, tallest * min(size, largest) / largest)


def _same(a: Any, b: Any) -> bool:
    return a is not None and a == b


def is_pointwise(layer: dict[str, Any]) -> bool:
    """Keeps sizes and channels and does no multiply-add (activations, norms, dropout): drawn on the
    arrow of the map it follows, not as a map of its own."""
    return (_same(layer.get("input_size"), layer.get("output_size"))
            and _same(layer.get("in_channels"), layer.get("out_channels")) and layer.get("macs") == 0)


#: The input size at which a layer's formula is read for its resolution ratio: large, so that a valid
#: 7x7 conv (``i - 6``) reads as keeping the resolution and a stride-2 one (``floor((i - 1)/2) + 1``) as halving it.
_RATIO_INPUT = 4096


def _ratio(layer: dict[str, Any]) -> float | None:
    formula = layer.get("formula")
    if isinstance(formula, list) and formula:
        value = sample(formula[0], i=_RATIO_INPUT)
        if value is not None:
            return value / _RATIO_INPUT
    inputs = layer.get("input_size")
    if inputs and isinstance(inputs[0], list):  # a graph node: one list per input
        inputs = inputs[0]
    outputs = layer.get("output_size")
    before = sample(inputs[0]) if isinstance(inputs, list) and inputs else None
    after = sample(outputs[0]) if isinstance(outputs, list) and outputs else None
    return None if before is None or after is None or before <= 0 else after / before


def layer_kind(layer: dict[str, Any]) -> str:
    """The arrow kind of a layer, from its size formula (or sizes) and parameters (see the module docstring)."""
    ratio = _ratio(layer)
    learned = layer.get("params") != 0
    if ratio is None:
        return "other"
    if ratio > 1.5:
        return "up_learned" if learned else "up"
    if ratio < 0.75:
        return "down_learned" if learned else "down"
    if learned:
        return "conv"
    return "crop_pad" if ratio != 1 else "other"


def op_label(op: Any, spec: dict[str, Any] | None) -> str:
    """``conv 3x3``, ``max_pool 2x2 s2``: the op with its window when the request gives one."""
    text = str(op)
    if not spec:
        return text
    kernel = spec.get("kernel_size")
    if isinstance(kernel, int):
        text += f" {kernel}x{kernel}"
    elif isinstance(kernel, list):
        text += " " + "x".join(str(k) for k in kernel)
    stride = spec.get("stride")
    if stride not in (None, 1, kernel):
        text += f" s{stride}"
    return text


def arrow(doc: SvgDocument, points: list[tuple[float, float]], colour: str, *, dashed: bool = False,
          width: float = 1.6) -> None:
    """A polyline with a filled head at its last point."""
    doc.add("polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y in points), fill="none", stroke=colour,
            stroke_width=width, stroke_dasharray="5,3" if dashed else None)
    (x0, y0), (x1, y1) = points[-2], points[-1]
    angle = math.atan2(y1 - y0, x1 - x0)
    size = 6.0
    left = (x1 - size * math.cos(angle - 0.45), y1 - size * math.sin(angle - 0.45))
    right = (x1 - size * math.cos(angle + 0.45), y1 - size * math.sin(angle + 0.45))
    doc.add("path", d=f"M{x1:.1f},{y1:.1f} L{left[0]:.1f},{left[1]:.1f} L{right[0]:.1f},{right[1]:.1f} Z",
            fill=colour)


def draw_legend(doc: SvgDocument, kinds: list[str], x: float, y: float, max_width: float, *,
                mismatch: bool) -> float:
    """One entry per arrow kind drawn (in the order of ``KINDS``), the red mismatch entry when there is one,
    wrapped at ``max_width``; returns the bottom of the last line."""
    entries = [(KINDS[k].legend, k) for k in KINDS if k in kinds]
    if mismatch:
        entries.append(("mismatch and its culprit (hover for the reason)", "mismatch"))
    doc.open("g", class_="legend")
    cursor = x
    for label, name in entries:
        step = 44 + text_width(label)
        if cursor > x and cursor + step > x + max_width:
            cursor, y = x, y + 20
        if name == "mismatch":
            doc.add("rect", x=cursor, y=y - 6, width=26, height=12, fill="#fde2e2", stroke=MISMATCH_RED,
                    stroke_width=2)
            doc.text(cursor + 32, y + 4, label, fill=MISMATCH_RED)
        else:
            kind = KINDS[name]
            arrow(doc, [(cursor, y), (cursor + 26, y)], kind.colour, dashed=kind.dashed)
            doc.text(cursor + 32, y + 4, label)
        cursor += step
    doc.close()
    return y + 10
