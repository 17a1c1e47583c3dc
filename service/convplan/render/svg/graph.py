"""A graph (the ``/v1/graph`` result, or ``analysis`` of ``/v1/import/onnx``) as a layered DAG.

Each node is ``<g data-node="ID">`` with its id, op, size (``572x572``) and
channels as ``<text>``; inputs the response names but does not list as nodes
(the graph's inputs) are drawn as input nodes. Each merge is ``<g
data-merge="ID">`` holding its incoming edges, each labelled with the fix
applied to that input (``crop [1, 1]``); a merge left unequal is
``class="mismatch"`` and its culprit node ``class="culprit"``, both red,
with the reason as a ``<title>``. Edges are coloured by the kind of the
node they enter (see ``_common``); layout in ``layout``.
"""

from __future__ import annotations

from typing import Any

from convplan.render.svg._common import (
    KINDS,
    MISMATCH_RED,
    arrow,
    draw_legend,
    fmt_fix,
    fmt_size,
    layer_kind,
    text_width,
)
from convplan.render.svg._doc import SvgDocument
from convplan.render.svg.layout import layered_layout

__all__ = ["graph_svg"]

_MARGIN = 20.0
_NODE_HEIGHT = 48.0
_ROW = 96.0


def _node_lines(node: dict[str, Any], merge: dict[str, Any] | None = None) -> list[str]:
    """Name and op, size, channels; a merge that stopped at a mismatch has no size: its inputs' instead."""
    channels = node.get("out_channels")
    size = fmt_size(node.get("output_size"))
    if node.get("output_size") is None and merge is not None and isinstance(merge.get("sizes"), list):
        size = " vs ".join(fmt_size(s) for s in merge["sizes"])
    return [f"{node['id']} · {node.get('op', '?')}", size, f"{'?' if channels is None else channels} ch"]


def _inputs_of(node: dict[str, Any]) -> list[str]:
    return [str(name) for name in node.get("inputs") or [] if isinstance(name, str)]


def _graph_inputs(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Names read by nodes but not nodes themselves: the graph's inputs, sized from their first reader."""
    ids = {n["id"] for n in nodes}
    found: dict[str, dict[str, Any]] = {}
    for node in nodes:
        sizes = node.get("input_size")
        for k, name in enumerate(_inputs_of(node)):
            if name in ids or name in found:
                continue
            size = sizes[k] if isinstance(sizes, list) and k < len(sizes) else None
            channels = node.get("in_channels")  # per input on graph nodes
            if isinstance(channels, list):
                channels = channels[k] if k < len(channels) else None
            found[name] = {"id": name, "op": "input", "output_size": size, "out_channels": channels}
    return list(found.values())


def _reason(culprit: Any, detail: Any) -> str:
    parts = []
    if isinstance(culprit, dict):
        parts.append(f"culprit {culprit.get('node')} ({culprit.get('op')}): {culprit.get('reason')}; input "
                     f"{fmt_size(culprit.get('input_size'))}, unread {fmt_size(culprit.get('unread'))}, "
                     f"overhang {fmt_size(culprit.get('overhang'))}")
    if detail:
        parts.insert(0, str(detail))
    return "; ".join(parts)


def _problem(response: dict[str, Any]) -> str | None:
    """The mismatch's or the refusal's detail, if any."""
    for key in ("mismatch", "failure"):
        item = response.get(key)
        if isinstance(item, dict) and item.get("detail"):
            return str(item["detail"])
    return None


def _edge_label(merge: dict[str, Any], k: int) -> str | None:
    applied = merge.get("applied")
    fixes = merge.get(applied) if isinstance(applied, str) else None
    if (isinstance(fixes, list) and k < len(fixes) and isinstance(fixes[k], list)
            and any(pair != [0, 0] for pair in fixes[k])):
        return f"{applied} {fmt_fix(fixes[k])}"
    return None


def graph_svg(response: dict[str, Any]) -> str:
    """The graph as an SVG document."""
    nodes = [n for n in response.get("nodes") or [] if isinstance(n, dict) and isinstance(n.get("id"), str)]
    everything = _graph_inputs(nodes) + nodes
    by_id = {n["id"]: n for n in everything}
    merges = {m.get("node"): m for m in response.get("merges") or [] if isinstance(m, dict)}
    widths = {n["id"]: max(110.0, *(text_width(t, 11) + 16 for t in _node_lines(n, merges.get(n["id"]))))
              for n in everything}
    edges = [(u, n["id"]) for n in nodes for u in _inputs_of(n)]
    layout = layered_layout([n["id"] for n in everything], edges, widths)
    # What went wrong, in words under the title (the hover titles say it again at the nodes concerned)
    problem = _problem(response)
    top = 44.0 if problem is None else 64.0

    def centre(name: str) -> tuple[float, float]:
        return _MARGIN + layout.x[name], top + layout.layer[name] * _ROW + _NODE_HEIGHT / 2

    mismatch = response.get("mismatch") if isinstance(response.get("mismatch"), dict) else None
    blamed: dict[str, str] = {}
    bad_merges: dict[str, str] = {}
    for name, merge in merges.items():
        is_mismatch = mismatch is not None and mismatch.get("node") == name
        if is_mismatch or (merge.get("aligned") is False and not merge.get("applied")):
            detail = mismatch.get("detail") if is_mismatch and mismatch else None
            culprit = merge.get("culprit") or (mismatch.get("culprit") if is_mismatch and mismatch else None)
            reason = _reason(culprit, detail) or f"merge {name}: sizes {merge.get('sizes')} do not line up"
            bad_merges[str(name)] = reason
            if isinstance(culprit, dict) and isinstance(culprit.get("node"), str):
                blamed[culprit["node"]] = reason
    failure = response.get("failure")
    if isinstance(failure, dict) and isinstance(failure.get("node"), str):  # a node PyTorch refuses
        blamed.setdefault(failure["node"], str(failure.get("detail") or failure.get("msg") or "this node fails"))
    right = max((_MARGIN + layout.x[n] + widths[n] / 2 for n in by_id), default=200.0) + _MARGIN
    depth = 1 + max(layout.layer.values(), default=0)
    ok = response.get("ok", True)
    outputs = response.get("outputs") or []
    title = "graph: " + ", ".join(f"{o.get('id')} {fmt_size(o.get('size'))}" for o in outputs if isinstance(o, dict))
    title += "" if ok else " (not ok)"
    right = max(right, text_width(title, 14) + 2 * _MARGIN, text_width(problem or "", 12) + 2 * _MARGIN, 560.0)
    doc = SvgDocument(right, 0, title=title)
    doc.add("rect", x=0, y=0, width="100%", height="100%", fill="white")
    doc.text(_MARGIN, 24, title, font_size=14, font_weight="bold", fill=None if ok else MISMATCH_RED)
    if problem is not None:
        doc.text(_MARGIN, 44, problem, font_size=12, fill=MISMATCH_RED, class_="problem")
    kinds: list[str] = []
    for node in nodes:
        target = node["id"]
        kind = layer_kind(node)
        kinds.append(kind)
        merge = merges.get(target)
        bad = bad_merges.get(target)
        if merge is not None:
            doc.open("g", data_merge=target, class_="mismatch" if bad else None)
            if bad:
                doc.add("title", bad)
        for k, source in enumerate(_inputs_of(node)):
            path = layout.paths.get((source, target))
            if path is None:
                continue
            points = [centre(p) for p in path]
            points[0] = (points[0][0], points[0][1] + _NODE_HEIGHT / 2)
            points[-1] = (points[-1][0], points[-1][1] - _NODE_HEIGHT / 2 - 1)
            colour = MISMATCH_RED if bad else KINDS[kind].colour
            arrow(doc, points, colour, width=2.2 if bad else 1.4)
            label = _edge_label(merge, k) if merge is not None else None
            if label:
                x, y = points[-1]
                doc.text(x + 4, y - 8, label, font_size=10, fill="#444444")
        if merge is not None:
            doc.close()
    for node in everything:
        name = node["id"]
        x, y = centre(name)
        reason = blamed.get(name)
        bad = bad_merges.get(name)
        doc.open("g", data_node=name, class_="culprit" if reason else None)
        if reason:
            doc.add("title", reason)
        red = reason is not None or bad is not None
        fill = "#fde2e2" if red else ("#f2f2f2" if node.get("op") == "input" else "#dbe7f7")
        stroke = MISMATCH_RED if red else KINDS[layer_kind(node)].colour
        doc.add("rect", x=x - widths[name] / 2, y=y - _NODE_HEIGHT / 2, width=widths[name], height=_NODE_HEIGHT,
                rx=4, fill=fill, stroke=stroke, stroke_width=3 if red else 1)
        head, size, channels = _node_lines(node, merges.get(name))
        doc.text(x, y - 9, head, text_anchor="middle", font_weight="bold", class_="op")
        doc.text(x, y + 5, size, text_anchor="middle", class_="size")
        doc.text(x, y + 18, channels, text_anchor="middle", font_size=10, fill="#555555", class_="channels")
        doc.close()
    bottom = draw_legend(doc, kinds, _MARGIN, top + depth * _ROW, right - 2 * _MARGIN,
                         mismatch=bool(bad_merges or blamed))
    doc.height = bottom + _MARGIN
    return doc.render()
