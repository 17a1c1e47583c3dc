"""The JSON of `POST /v1/graph` (contract section 7), from the typed results."""

from __future__ import annotations

from typing import Any

from convplan.analyses.merges import Culprit, MergeAnalysis
from convplan.analyses.receptive_field import MAX_PERIOD, graph_fields, receptive_field_json
from convplan.analyses.valid_sizes import AxisSets, SizeSet
from convplan.exact import fraction_json
from convplan.graph.evaluate import GraphResult, NodeResult
from convplan.ops import Resolver
from convplan.shapes.render import numeric_pair, numeric_rows, overlap_json, put, total

__all__ = ["render_graph", "render_size_set"]


def _map(record: NodeResult, anchor: str) -> list[dict[str, Any]] | None:
    maps = record.maps
    if not maps:
        return None
    out = []
    for m in maps:
        if m.anchor != anchor:
            return None  # at or below an adaptive pool, a sized interpolation, or off the first input
        scale, shift = m.scale, m.shift  # ints where integral (most maps): no call for those
        out.append({"scale": scale if scale.__class__ is int else fraction_json(scale),
                    "offset": shift if shift.__class__ is int else fraction_json(shift)})
    return out


def _numeric_node(record: NodeResult, anchor: str, field: list[Any] | None,
                  rendered_fields: dict[int, Any]) -> dict[str, Any]:
    """``_node`` when no value is symbolic (the hot path: every node of an imported network): the same
    document, each value and its `_latex` sibling built in one pass."""
    shape, node = record.shape, record.node
    input_size, input_size_latex = numeric_rows(record.input_sizes)
    output_size, output_size_latex = numeric_pair(shape.output_size)
    in_channels, in_channels_latex = numeric_pair(record.in_channels)
    out_channels, out_channels_latex = numeric_pair(shape.out_channels)
    padding, padding_latex = numeric_rows(shape.padding)
    formula, formula_latex = numeric_pair(shape.formula)
    unread, unread_latex = numeric_pair(shape.unread)
    overhang, overhang_latex = numeric_pair(shape.overhang)
    params, params_latex = numeric_pair(shape.params)
    macs, macs_latex = numeric_pair(shape.macs)
    return {
        "id": node.id, "index": node.index, "op": node.op.op, "inputs": list(node.inputs),
        "input_size": input_size, "input_size_latex": input_size_latex,
        "output_size": output_size, "output_size_latex": output_size_latex,
        "in_channels": in_channels, "in_channels_latex": in_channels_latex,
        "out_channels": out_channels, "out_channels_latex": out_channels_latex,
        "padding_resolved": padding, "padding_resolved_latex": padding_latex,
        "formula": formula, "formula_latex": formula_latex,
        "unread": unread, "unread_latex": unread_latex,
        "overhang": overhang, "overhang_latex": overhang_latex,
        "params": params, "params_latex": params_latex,
        "macs": macs, "macs_latex": macs_latex,
        "map": _map(record, anchor),
        "receptive_field": None if field is None else [_field_json(f, rendered_fields) for f in field],
        "overlap": overlap_json(shape.overlap),
        "warnings": list(record.warnings),
    }


def _node(record: NodeResult, anchor: str, sym: bool, field: list[Any] | None,
          rendered_fields: dict[int, Any]) -> dict[str, Any]:
    if not sym:
        return _numeric_node(record, anchor, field, rendered_fields)
    shape = record.shape
    out: dict[str, Any] = {"id": record.node.id, "index": record.node.index, "op": record.node.op.op,
                           "inputs": list(record.node.inputs)}
    put(out, "input_size", record.input_sizes, sym)
    put(out, "output_size", shape.output_size, sym)
    put(out, "in_channels", record.in_channels, sym)
    put(out, "out_channels", shape.out_channels, sym)
    put(out, "padding_resolved", [list(p) for p in shape.padding], sym)
    put(out, "formula", shape.formula, sym)
    put(out, "unread", shape.unread, sym)
    put(out, "overhang", shape.overhang, sym)
    put(out, "params", shape.params, sym)
    put(out, "macs", shape.macs, sym)
    out["map"] = _map(record, anchor)
    out["receptive_field"] = None if field is None else [_field_json(f, rendered_fields) for f in field]
    out["overlap"] = overlap_json(shape.overlap)
    out["warnings"] = list(record.warnings)
    return out


def _field_json(field: Any, rendered: dict[int, Any]) -> Any:
    """A receptive field's JSON, rendered once per object: a pointwise node passes its input's field object on
    (two nodes in three of a conv-norm-activation network), and equal axes of a square input share one."""
    key = id(field)
    if key not in rendered:
        rendered[key] = receptive_field_json(field)
    return rendered[key]


def _culprit(c: Culprit | None, sym: bool) -> dict[str, Any] | None:
    if c is None:
        return None
    out: dict[str, Any] = {"node": c.node, "op": c.op}
    put(out, "input_size", c.input_size, sym)
    put(out, "unread", c.unread, sym)
    put(out, "overhang", c.overhang, sym)
    out["reason"] = c.reason
    return out


def _merge(analysis: MergeAnalysis, sym: bool, rf_aligned: bool | None) -> dict[str, Any]:
    m = analysis.merge
    out: dict[str, Any] = {"node": m.node, "inputs": list(m.inputs)}
    put(out, "sizes", m.sizes, sym)
    out["aligned"] = m.aligned
    out["broadcast"] = m.broadcast
    out["offset"] = [[fraction_json(o) for o in per] for per in m.offset]
    out["registered"] = m.registered
    out["rf_aligned"] = rf_aligned
    out["applied"] = m.applied
    put(out, "applied_pads", m.applied_pads, sym)
    out["culprit"] = _culprit(analysis.culprit, sym)
    put(out, "crop", m.crop, sym)
    put(out, "pad", m.pad, sym)
    put(out, "output_padding", analysis.output_padding, sym)
    return out


def render_size_set(s: SizeSet, requested: int | None) -> dict[str, Any]:
    below, above = s.nearest(requested) if requested is not None else (None, None)
    return {
        "modulus": s.modulus,
        "residues": list(s.residues),
        "min": s.minimum,
        "max": s.maximum,
        "extra": list(s.extra),
        "nearest": {"below": below, "above": above},
        "output_size": {name: {str(r): e for r, e in per.items()} for name, per in s.output_size.items()},
    }


def _axis_sets(sets: AxisSets | None) -> dict[str, Any] | None:
    if sets is None:
        return None
    return {kind: render_size_set(getattr(sets, kind), sets.requested) for kind in ("runs", "clean", "same_size")}


def render_graph(result: GraphResult, resolver: Resolver, merges: list[MergeAnalysis],
                 valid: list[AxisSets | None] | None, reasons: list[str | None] | None,
                 rf_period: int = MAX_PERIOD) -> dict[str, Any]:
    sym = resolver.saw_symbol
    fields, aligned = graph_fields(result, rf_period)
    anchor = result.graph.first_input.name
    out: dict[str, Any] = {"ok": result.ok}
    outputs = []
    for name in result.graph.outputs:
        record = result.by_id.get(name)
        item: dict[str, Any] = {"id": name}
        put(item, "size", record.shape.output_size if record else None, sym)
        put(item, "channels", record.shape.out_channels if record else None, sym)
        outputs.append(item)
    out["outputs"] = outputs
    complete = len(result.results) == len(result.graph.nodes)
    put(out, "params", total([r.shape.params for r in result.results]) if complete else None, sym)
    put(out, "macs", total([r.shape.macs for r in result.results]) if complete else None, sym)
    out["conditions"] = [c.as_dict() for c in resolver.conditions]
    out["warnings"] = list(result.warnings) + [f"node {r.node.id}: {w}" for r in result.results for w in r.warnings]
    by_id = {r.node.id: r for r in result.results}
    nodes = []
    rendered_fields: dict[int, Any] = {}  # by id(): the fields live in ``fields`` until the loop ends
    for node in result.graph.nodes:
        record = by_id.get(node.id)
        if record is not None:
            nodes.append(_node(record, anchor, sym, fields.get(node.id), rendered_fields))
        else:
            nodes.append({"id": node.id, "index": node.index, "op": node.op.op, "inputs": list(node.inputs),
                          "input_size": None, "output_size": None, "in_channels": None, "out_channels": None,
                          "map": None, "receptive_field": None, "overlap": None, "warnings": []})
    out["nodes"] = nodes
    out["merges"] = [_merge(m, sym, aligned.get(m.merge.node)) for m in merges]
    out["warnings"] += [f"node {m.merge.node}: the inputs' receptive fields are centred differently (rf_aligned "
                        "false): the merge combines pixels that see different parts of the input"
                        for m in merges if aligned.get(m.merge.node) is False]
    out["mismatch"] = _mismatch(result, merges, sym)
    out["failure"] = None if result.failure is None else {
        "node": result.failure.node.id, "detail": result.failure.error.detail,
        "errors": [e.as_dict() for e in result.failure.error.errors]}
    out["valid_input_sizes"] = None if valid is None else [_axis_sets(v) for v in valid]
    out["valid_input_sizes_reason"] = reasons
    return out


def _mismatch(result: GraphResult, merges: list[MergeAnalysis], sym: bool) -> dict[str, Any] | None:
    if result.mismatch is None:
        return None
    analysis = next(m for m in merges if m.merge is result.mismatch)
    m = analysis.merge
    axis = m.first_unequal_axis
    out: dict[str, Any] = {"node": m.node, "axis": axis}
    put(out, "sizes", [s[axis] for s in m.sizes] if axis is not None else None, sym)
    out["culprit"] = _culprit(analysis.culprit, sym)
    shown = ", ".join(f"{name} {_show(s[axis])}" for name, s in zip(m.inputs, m.sizes)) if axis is not None else ""
    blame = f"; caused by {analysis.culprit.node} ({analysis.culprit.op}, {analysis.culprit.reason})" \
        if analysis.culprit else ""
    out["detail"] = f"{m.node}: sizes differ on axis {axis} ({shown}){blame}"
    return out


def _show(value: Any) -> str:
    from convplan.ops._context import show

    return show(value)
