"""A transposed convolution with ``explain``, drawn as vdumoulin/conv_arithmetic does.

One static panel per output position (row-major), up to ``panels``: the
zero-inserted and padded input (input cells blue with their values,
inserted zeros grey, padding white and dashed), the flipped kernel of the
equivalent convolution over the taps it reads at that position (orange),
and the output grid with that position marked. 1-D inputs are drawn as one
row; 3-D as the first depth slice of every grid. Sample 0, input channel 0,
output channel 0 (the caption says so when there are more). A ``<rect>`` per
cell, values as ``<text>``.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from typing import Any

import numpy as np

from convplan.render.svg._doc import SvgDocument

__all__ = ["conv_transpose_svg"]

_CELL = 22.0
_MARGIN = 16.0
_INPUT, _ZERO, _PAD = "input", "inserted-zero", "padding"
_FILL = {_INPUT: "#9ec5f0", _ZERO: "#e3e3e3", _PAD: "#ffffff"}


def _value(number: float) -> str:
    return f"{number:.3g}"


def _plane(array: Any, rank: int) -> np.ndarray:
    """The first sample and channel of an explain array, as a 2-D grid (1-D: one row)."""
    data = np.asarray(array, dtype=float)
    while data.ndim > rank:
        data = data[0]
    while data.ndim > 2:  # 3-D: the first depth slice
        data = data[0]
    return data.reshape(1, -1) if data.ndim == 1 else data


def _cell_kinds(padded: np.ndarray, inserted: np.ndarray, before: list[int], stride: list[int]) -> np.ndarray:
    """Per padded cell: an input value, an inserted zero, or padding (from the pads and the stride)."""
    kinds = np.full(padded.shape, _PAD, dtype=object)
    for r, c in itertools.product(range(padded.shape[0]), range(padded.shape[1])):
        z = (r - before[0], c - before[1])
        if 0 <= z[0] < inserted.shape[0] and 0 <= z[1] < inserted.shape[1]:
            kinds[r, c] = _INPUT if z[0] % stride[0] == 0 and z[1] % stride[1] == 0 else _ZERO
    return kinds


def _per_axis(value: Any, rank: int) -> list[int]:
    return [int(v) for v in value] if isinstance(value, list) else [int(value)] * rank


def _grid(doc: SvgDocument, x: float, y: float, values: np.ndarray, fills: Any, role: str,
          marked: Collection[tuple[int, int]] = ()) -> None:
    doc.open("g", class_=role)
    for r, c in itertools.product(range(values.shape[0]), range(values.shape[1])):
        kind = fills[r, c] if not isinstance(fills, str) else fills
        doc.add("rect", x=x + c * _CELL, y=y + r * _CELL, width=_CELL, height=_CELL, fill=_FILL.get(kind, kind),
                stroke="#e67e22" if (r, c) in marked else "#777777", stroke_width=2.5 if (r, c) in marked else 0.7,
                stroke_dasharray="2,2" if kind == _PAD and (r, c) not in marked else None, class_=kind
                if kind in _FILL else None)
        text = "" if kind == _PAD else _value(values[r, c])
        if text:
            doc.text(x + c * _CELL + _CELL / 2, y + r * _CELL + _CELL / 2 + 3.5, text, text_anchor="middle",
                     font_size=8)
    doc.close()


def conv_transpose_svg(response: dict[str, Any], *, stride: Any, panels: int) -> str:
    """Panels for the first ``panels`` output positions of a conv_transpose result with ``explain``."""
    explain = response["explain"]
    equivalent = explain["equivalent_conv"]
    dilation_list = list(equivalent["dilation"])
    rank = len(dilation_list)
    strides = _per_axis(stride, rank)
    before = [int(pair[0]) for pair in equivalent["padding"]]
    inserted, padded = _plane(explain["zero_inserted"], rank), _plane(explain["padded"], rank)
    kernel, output = _plane(equivalent["weight"], rank), _plane(equivalent["output"], rank)
    if rank == 1:
        strides, before, dilation = [1, *strides], [0, *before], [1, *dilation_list]
    else:
        strides, before, dilation = strides[-2:], before[-2:], [int(d) for d in dilation_list[-2:]]
    kinds = _cell_kinds(padded, inserted, before, strides)
    positions = list(itertools.product(range(output.shape[0]), range(output.shape[1])))
    shown = positions[:panels]
    panel_w = (padded.shape[1] + kernel.shape[1] + output.shape[1]) * _CELL + 4 * _MARGIN + 40
    panel_h = max(padded.shape[0], kernel.shape[0], output.shape[0]) * _CELL + 40
    columns = max(1, min(len(shown), int(1400 // panel_w)))
    rows = -(-len(shown) // columns) if shown else 0
    shape = "x".join(str(n) for n in np.asarray(equivalent["output"]).shape)
    title = (f"conv_transpose as a direct convolution: stride-{strides[-1]} zero insertion, padding, flipped "
             f"kernel; output {shape}")
    doc = SvgDocument(max(columns * panel_w + _MARGIN, 760.0), 0, title=title)
    doc.add("rect", x=0, y=0, width="100%", height="100%", fill="white")
    doc.text(_MARGIN, 20, title, font_size=13, font_weight="bold")
    legend_y = 38.0
    for i, (label, kind) in enumerate((("input", _INPUT), ("inserted zero", _ZERO), ("padding", _PAD))):
        x = _MARGIN + i * 140
        doc.add("rect", x=x, y=legend_y - 10, width=14, height=14, fill=_FILL[kind], stroke="#777777",
                stroke_dasharray="2,2" if kind == _PAD else None)
        doc.text(x + 20, legend_y + 1, label)
    doc.add("rect", x=_MARGIN + 420, y=legend_y - 10, width=14, height=14, fill="none", stroke="#e67e22",
            stroke_width=2.5)
    doc.text(_MARGIN + 440, legend_y + 1, "kernel taps / output position")
    top = legend_y + 20
    for n, (r, c) in enumerate(shown):
        x0 = _MARGIN + (n % columns) * panel_w
        y0 = top + (n // columns) * panel_h
        position = f"{c}" if rank == 1 else f"({r}, {c})"
        doc.open("g", class_="panel", data_position=position)
        doc.text(x0, y0 + 12, f"output {position} = sum of kernel x window", font_size=10)
        taps = {(r + i * dilation[0], c + j * dilation[1]) for i in range(kernel.shape[0])
                for j in range(kernel.shape[1])}
        _grid(doc, x0, y0 + 20, padded, kinds, "padded-input", taps)
        kx = x0 + padded.shape[1] * _CELL + _MARGIN
        _grid(doc, kx, y0 + 20, kernel, "#f8c471", "kernel")
        ox = kx + kernel.shape[1] * _CELL + _MARGIN + 20
        _grid(doc, ox, y0 + 20, output, "#c8e6c9", "output", {(r, c)})
        doc.close()
    bottom = top + rows * panel_h
    notes = []
    if len(positions) > len(shown):
        notes.append(f"{len(positions) - len(shown)} more output positions not drawn (svg_panels limit {panels})")
    channels = np.asarray(explain["padded"]).shape
    if len(channels) > rank and channels[-rank - 1] > 1:
        notes.append("channel 0 of the input and of the output shown")
    for note in notes:
        doc.text(_MARGIN, bottom + 14, note, font_size=10, fill="#555555")
        bottom += 16
    doc.height = bottom + _MARGIN
    return doc.render()
