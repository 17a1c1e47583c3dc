"""A plan (the ``/v1/plan`` result) drawn as the U-Net paper's figure.

One box per feature map (height by its size on the first axis, width by
channels on a log scale) with its channels above and its size and op below;
encoder stage ``j`` on row ``j``, a decoder stage on the row of its skip
source, so the skips run across as in Ronneberger et al. (2015), fig. 1.
Layers that keep sizes and channels and do no multiply-add (relu,
batch_norm, ...) are folded into the map they follow (its ``data-layers``
lists them). Each map is ``<g data-node="LOC">`` (the layer's ``loc``
joined by ``/``; the network input is ``input``), each skip ``<g
data-merge="decoder/T">`` with its applied fix as text; the mismatched skip
is ``class="mismatch"`` and the layer that caused it ``class="culprit"``,
both red, with the reason as a ``<title>`` tooltip.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from convplan.render.svg._common import (
    KINDS,
    MISMATCH_RED,
    arrow,
    box_height,
    box_width,
    draw_legend,
    fmt_fix,
    fmt_size,
    is_pointwise,
    layer_kind,
    op_label,
    sample,
    text_width,
)
from convplan.render.svg._doc import SvgDocument

__all__ = ["plan_svg"]

_MARGIN = 20.0
_GAP = 30.0
_ABOVE = 18.0  # room for the channel label over a box
_LINE = 12.0  # one label line under a box: each size line, then the op


@dataclass
class _Map:
    node: str
    size: Any
    channels: Any
    kind: str
    level: int
    locs: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    copy_width: float = 0.0  # the skip's copy drawn against the map's left side (concat)
    skip_label: float = 0.0  # room for the label of the skip arriving at the map
    w: float = 0.0
    h: float = 0.0
    cx: float = 0.0
    cy: float = 0.0

    @property
    def x(self) -> float:
        return self.cx - self.w / 2

    @property
    def footprint(self) -> float:
        labels = [*self.size_lines, self._op_text()]
        return max(self.w, *(text_width(t, 10) for t in labels))

    def _op_text(self) -> str:
        return ", ".join(dict.fromkeys(self.ops))

    @property
    def size_lines(self) -> list[str]:
        """``572x572`` on one line; symbolic sizes of several axes one axis per line (they get long)."""
        text = fmt_size(self.size)
        if len(text) <= 24 or not isinstance(self.size, list) or len(self.size) == 1:
            return [text]
        return [f"{'?' if v is None else v}," if k + 1 < len(self.size) else str(v)
                for k, v in enumerate(self.size)]

    @property
    def below(self) -> float:
        """Room for the labels under the box."""
        return _LINE * (len(self.size_lines) + 1) + 10

    @property
    def left(self) -> float:
        return min(self.cx - self.footprint / 2, self.x - self.copy_width)


def _loc(loc: Any) -> str:
    return "/".join(str(p) for p in loc or [])


def _spec(source: dict[str, Any] | None, loc: list[Any]) -> dict[str, Any] | None:
    """The request's layer object at ``loc`` (``["encoder", 1, "layers", 0]``), when the request is at hand."""
    node: Any = source
    for key in loc:
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node if isinstance(node, dict) else None


class _Builder:
    def __init__(self, response: dict[str, Any], request: dict[str, Any] | None) -> None:
        self.response = response
        self.source = response.get("expanded") if isinstance(response.get("expanded"), dict) else request
        self.main: list[_Map] = []  # the network's path, in order
        self.skip_chains: dict[int, list[_Map]] = {}  # decoder stage -> maps of its skip_layers
        self.stage_last: dict[int, _Map] = {}  # encoder stage -> its output map
        self.stage_first: dict[int, _Map] = {}  # decoder stage -> its first map

    def _add(self, chain: list[_Map], layer: dict[str, Any], level: int) -> _Map | None:
        loc = list(layer.get("loc") or [])
        label = op_label(layer.get("op", "?"), _spec(self.source, loc))
        if chain and is_pointwise(layer):
            last = chain[-1]
            last.locs.append(_loc(loc))
            last.ops.append(label)
            return None
        item = _Map(_loc(loc), layer.get("output_size"), layer.get("out_channels"), layer_kind(layer), level,
                    [_loc(loc)], [label])
        chain.append(item)
        return item

    def build(self) -> None:
        response = self.response
        encoder = [s for s in response.get("encoder") or [] if isinstance(s, dict)]
        first = encoder[0] if encoder else {}
        self.main.append(_Map("input", first.get("input_size"), first.get("in_channels"), "other", 0,
                              ["input"], ["input"]))
        for j, stage in enumerate(encoder):
            for layer in stage.get("layers") or []:
                self._add(self.main, layer, j)
            self.stage_last[j] = self.main[-1]
        skips = {s.get("decoder_stage"): s for s in response.get("skips") or [] if isinstance(s, dict)}
        level = len(encoder) - 1
        for t, stage in enumerate(s for s in response.get("decoder") or [] if isinstance(s, dict)):
            skip = skips.get(t)
            level = skip["encoder_stage"] if skip and isinstance(skip.get("encoder_stage"), int) else max(0, level - 1)
            chain: list[_Map] = []
            count = len(self.main)
            for layer in stage.get("layers") or []:
                if list(layer.get("loc") or [])[2:3] == ["skip_layers"]:
                    self._add(chain, layer, level)
                else:
                    self._add(self.main, layer, level)
            self.skip_chains[t] = chain
            if len(self.main) > count:
                self.stage_first[t] = self.main[count]
                if skip and skip.get("merge") == "concat":
                    self.main[count].copy_width = box_width(skip.get("encoder_channels"))
                if skip:
                    self.main[count].skip_label = text_width(_skip_label(skip), 10)
        head = response.get("head")
        if isinstance(head, dict):
            for layer in head.get("layers") or []:
                self._add(self.main, layer, self.main[-1].level)

    def place(self) -> float:
        """Sizes and positions; returns the right edge."""
        maps = self.main + [m for chain in self.skip_chains.values() for m in chain]
        largest = max((sample(m.size[0]) or 0 for m in maps if isinstance(m.size, list) and m.size), default=0)
        for m in maps:
            first = sample(m.size[0]) if isinstance(m.size, list) and m.size else None
            m.w, m.h = box_width(m.channels), box_height(first, largest)
        levels = sorted({m.level for m in maps})
        tallest = {lv: max(m.h for m in maps if m.level == lv) for lv in levels}
        below = {lv: max(m.below for m in maps if m.level == lv) for lv in levels}
        top, centre = 40.0, {}
        for lv in range(max(levels) + 1):
            height = tallest.get(lv, 0.0)
            centre[lv] = top + _ABOVE + height / 2
            top += _ABOVE + height + below.get(lv, 0.0) + 12
        self.bottom = top
        cursor: dict[int, float] = {}
        previous: _Map | None = None
        for m in self.main:
            t = next((t for t, f in self.stage_first.items() if f is m), None)
            if t is not None:
                self._place_chain(self.skip_chains.get(t, []), cursor, centre)
            self._place(m, previous, cursor, centre)
            previous = m
        return max(m.cx + m.footprint / 2 for m in maps) + _MARGIN

    def _place(self, m: _Map, previous: _Map | None, cursor: dict[int, float], centre: dict[int, float]) -> None:
        m.cy = centre[m.level]
        half = m.footprint / 2
        reserve = max(half, m.w / 2 + m.copy_width + (m.skip_label + 24 if m.skip_label else 0))
        row = cursor.get(m.level, _MARGIN)
        if previous is None:
            m.cx = _MARGIN + reserve
        elif previous.level != m.level:
            m.cx = max(previous.cx, row + reserve)
        else:
            m.cx = max(previous.cx + previous.footprint / 2 + _GAP + reserve, row + reserve)
        cursor[m.level] = m.cx + half + _GAP

    def _place_chain(self, chain: list[_Map], cursor: dict[int, float], centre: dict[int, float]) -> None:
        for m in chain:
            m.cy = centre[m.level]
            m.cx = cursor.get(m.level, _MARGIN) + m.footprint / 2
            cursor[m.level] = m.cx + m.footprint / 2 + _GAP


def plan_svg(response: dict[str, Any], request: dict[str, Any] | None = None) -> str:
    """The plan as an SVG document (``request``: the body sent, for kernel sizes when not ``expanded``)."""
    builder = _Builder(response, request)
    builder.build()
    right = builder.place()
    mismatch = response.get("mismatch") if isinstance(response.get("mismatch"), dict) else None
    culprit_loc = _loc((mismatch.get("layer") or {}).get("loc")) if mismatch else None
    reason = str(mismatch.get("detail") or "") if mismatch else ""
    main = builder.main
    title = f"plan: input {fmt_size(main[0].size)} -> output {fmt_size(response.get('output_size'))}"
    title += "" if response.get("ok", True) else " (not ok: a skip does not line up)"
    doc = SvgDocument(right, 0, title=title)
    doc.add("rect", x=0, y=0, width="100%", height="100%", fill="white")
    doc.text(_MARGIN, 22, title, font_size=14, font_weight="bold",
             fill=None if response.get("ok", True) else MISMATCH_RED)
    kinds: list[str] = []
    for previous, m in itertools.pairwise(main):
        _connect(doc, previous, m)
        kinds.append(m.kind)
    for t, chain in builder.skip_chains.items():
        source = _skip_source(builder, response, t)
        for m in chain:
            if source is not None:
                _connect(doc, source, m)
            kinds.append(m.kind)
            source = m
    mismatched = False
    for skip in response.get("skips") or []:
        if isinstance(skip, dict) and _draw_skip(doc, builder, response, skip, mismatch):
            mismatched = True
        kinds.append("skip")
    for m in main + [m for chain in builder.skip_chains.values() for m in chain]:
        _box(doc, m, reason if culprit_loc in m.locs else None)
    bottom = draw_legend(doc, kinds, _MARGIN, builder.bottom + 4, right - 2 * _MARGIN,
                         mismatch=mismatched or mismatch is not None)
    doc.height = bottom + _MARGIN
    return doc.render()


def _connect(doc: SvgDocument, a: _Map, b: _Map) -> None:
    colour = KINDS[b.kind].colour
    if a.level == b.level:
        doc.open("g", class_="arrow", data_kind=b.kind)
        arrow(doc, [(a.x + a.w, a.cy), (b.x - b.copy_width - 2, b.cy)], colour)
    else:
        doc.open("g", class_="arrow", data_kind=b.kind)
        # Vertical arrows run between the label blocks (channels above a box, size and op below).
        start_y = a.cy + a.h / 2 + a.below - 4 if b.cy > a.cy else a.cy - a.h / 2 - _ABOVE + 2
        end_y = b.cy - b.h / 2 - _ABOVE + 2 if b.cy > a.cy else b.cy + b.h / 2 + b.below - 4
        if abs(a.cx - b.cx) < 1:
            arrow(doc, [(a.cx, start_y), (b.cx, end_y)], colour)
        else:  # across the gap between the rows, then straight into the map
            middle = (start_y + end_y) / 2
            arrow(doc, [(a.cx, start_y), (a.cx, middle), (b.cx, middle), (b.cx, end_y)], colour)
    doc.close()


def _skip_source(builder: _Builder, response: dict[str, Any], t: int) -> _Map | None:
    skip = next((s for s in response.get("skips") or [] if isinstance(s, dict) and s.get("decoder_stage") == t),
                None)
    stage = skip.get("encoder_stage") if skip else None
    return builder.stage_last.get(stage) if isinstance(stage, int) else None


def _draw_skip(doc: SvgDocument, builder: _Builder, response: dict[str, Any], skip: dict[str, Any],
               mismatch: dict[str, Any] | None) -> bool:
    """The skip's arrow, copy and fix; True when it is the mismatch."""
    t = skip.get("decoder_stage")
    chain = builder.skip_chains.get(t, []) if isinstance(t, int) else []
    source = chain[-1] if chain else _skip_source(builder, response, t) if isinstance(t, int) else None
    target = builder.stage_first.get(t) if isinstance(t, int) else None
    applied = skip.get("applied")
    bad = (mismatch is not None and mismatch.get("skip") == skip.get("index")) or (
        not skip.get("aligned") and not applied)
    colour = MISMATCH_RED if bad else KINDS["skip"].colour
    doc.open("g", data_merge=f"decoder/{t}", data_skip=skip.get("index"), class_="mismatch" if bad else None)
    if bad:
        doc.add("title", (mismatch or {}).get("detail") or
                f"skip from encoder stage {skip.get('encoder_stage')}: {fmt_size(skip.get('encoder_size'))} "
                f"vs {fmt_size(skip.get('decoder_size'))}, no fix applied")
    label = _skip_label(skip)
    if source is not None and target is not None:
        end = (target.x - target.copy_width - 3, target.cy)
        start = (source.x + source.w, source.cy)
        points = [start, end] if abs(start[1] - end[1]) < 1 else [start, (end[0] - 12, start[1]),
                                                                   (end[0] - 12, end[1]), end]
        arrow(doc, points, colour, dashed=not bad, width=2.4 if bad else 1.6)
        doc.text((start[0] + end[0]) / 2, start[1] - 5, label, text_anchor="middle", font_size=10,
                 fill=colour if bad else "#444")
        if target.copy_width:
            doc.add("rect", x=target.x - target.copy_width, y=target.cy - target.h / 2, width=target.copy_width,
                    height=target.h, fill="white", stroke=colour, stroke_width=2 if bad else 1)
    doc.close()
    return bad


def _skip_label(skip: dict[str, Any]) -> str:
    """The applied fix (``crop [4, 4] x [4, 4]``), ``copy``, or the sizes and the fixes on offer."""
    applied = skip.get("applied")
    if applied and isinstance(skip.get(applied), list):
        return f"{applied} {fmt_fix(skip.get(applied))}"
    if skip.get("aligned"):
        return "copy"
    fixes = [f"{name} {fmt_fix(skip.get(name))}" for name in ("crop", "pad")
             if isinstance(skip.get(name), list) and None not in skip.get(name)]
    label = f"{fmt_size(skip.get('encoder_size'))} vs {fmt_size(skip.get('decoder_size'))}"
    return label + (f" (fix: {' or '.join(fixes)})" if fixes else " (no registered fix)")


def _box(doc: SvgDocument, m: _Map, reason: str | None) -> None:
    colour = KINDS[m.kind].colour if m.node != "input" else "#333333"
    doc.open("g", data_node=m.node, data_layers=" ".join(m.locs), class_="culprit" if reason is not None else None)
    if reason is not None:
        doc.add("title", reason)
    doc.add("rect", x=m.x, y=m.cy - m.h / 2, width=m.w, height=m.h,
            fill="#fde2e2" if reason is not None else "#dbe7f7", stroke=MISMATCH_RED if reason is not None else colour,
            stroke_width=3 if reason is not None else 1)
    channels = "?" if m.channels is None else str(m.channels)
    doc.text(m.cx, m.cy - m.h / 2 - 5, channels, text_anchor="middle", font_size=10, class_="channels")
    lines = m.size_lines
    for k, line in enumerate(lines):
        doc.text(m.cx, m.cy + m.h / 2 + 13 + k * _LINE, line, text_anchor="middle", font_size=10, class_="size")
    doc.text(m.cx, m.cy + m.h / 2 + 13 + len(lines) * _LINE, ", ".join(dict.fromkeys(m.ops)), text_anchor="middle",
             font_size=9,
             fill=MISMATCH_RED if reason is not None else "#666666", class_="op")
    doc.close()
