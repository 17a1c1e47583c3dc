"""Turning engine results into the JSON of contract section 3.

Symbolic values become strings in the input grammar (our printer) with
``<field>_latex`` siblings of the same shape, null for numeric entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from convplan.analyses.receptive_field import (
    MAX_PERIOD,
    ReceptiveField,
    compose_axes,
    identity,
    layer_windows,
    receptive_field_json,
)
from convplan.ops import AxisOverlap, Resolver, Value
from convplan.ops._context import latex_or_none, text
from convplan.ops._formula import Formula
from convplan.ops._values import norm, vsum

if TYPE_CHECKING:
    from convplan.shapes.engine import LayerRecord, StackResult

__all__ = ["numeric_pair", "numeric_rows", "overlap_json", "put", "render_layer", "render_result", "stack_fields",
           "total"]


def _t(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_t(v) for v in value]
    return text(value)


def _l(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_l(v) for v in value]
    return latex_or_none(value)


def _nulls(value: Any) -> Any:
    """The `_latex` sibling of a numeric value: null, except formula templates' own LaTeX."""
    kind = type(value)
    if kind is list or kind is tuple:
        for v in value:  # a loop, not any() over a generator: this runs for every field of every node
            inner = type(v)
            if inner is list or inner is tuple or inner is Formula:
                return [_nulls(v) for v in value]
        return [None] * len(value)
    return value.latex if kind is Formula else None


def numeric_pair(value: Any) -> tuple[Any, Any]:
    """A numeric value's JSON and its `_latex` sibling in one pass: a list copied (its tuples as lists), null
    for every entry but a formula template's own LaTeX (``_nulls``)."""
    if type(value) is not list:
        return value, _nulls(value)
    for v in value:  # the common case first: a flat list of numbers (every size of every node)
        inner = type(v)
        if inner is list or inner is tuple or inner is Formula:
            return [list(v) if type(v) is tuple else v for v in value], [_nulls(v) for v in value]
    return value.copy(), [None] * len(value)


def numeric_rows(rows: list[Any]) -> tuple[list[Any], list[Any]]:
    """``numeric_pair`` of a list of rows (per input its sizes, per axis its padding): rows of numbers at
    once, anything else by ``numeric_pair``."""
    if type(rows) is not list:
        return numeric_pair(rows)
    for row in rows:
        kind = type(row)
        if kind is not list and kind is not tuple:
            return numeric_pair(rows)
        for v in row:
            inner = type(v)
            if inner is list or inner is tuple or inner is Formula:
                return numeric_pair(rows)
    return [list(row) for row in rows], [[None] * len(row) for row in rows]


def put(out: dict[str, Any], name: str, value: Any, symbolic: bool = True) -> None:
    """Set `name` and its `_latex` sibling. With ``symbolic=False`` (no symbol in
    the request) values are ints or formula texts already: nothing to print."""
    if symbolic:
        out[name] = _t(value)
        out[name + "_latex"] = _l(value)
    else:
        out[name], out[name + "_latex"] = numeric_pair(value)


def render_layer(record: LayerRecord, symbolic: bool = True,
                 receptive_field: list[ReceptiveField | None] | None = None,
                 rendered_fields: dict[int, Any] | None = None) -> dict[str, Any]:
    """One layer's JSON; ``receptive_field`` (per axis) where the whole stack ran (not in a refusal's
    partial layers). ``rendered_fields``: JSON of symbolic fields already rendered in this response, by identity
    (a pointwise layer passes its input's field object on, and equal axes of a square input share one; a
    numeric field's JSON is remembered by ``receptive_field_json`` itself)."""
    if not symbolic:
        out = _render_numeric_layer(record)
        if receptive_field is not None:  # numeric fields' JSON is remembered by identity already
            out["receptive_field"] = [receptive_field_json(f) for f in receptive_field]
        return out
    out = _render_symbolic_layer(record)
    if receptive_field is not None:
        seen = {} if rendered_fields is None else rendered_fields
        rendered: list[dict[str, Any] | None] = []
        for f in receptive_field:
            if id(f) not in seen:
                seen[id(f)] = receptive_field_json(f)
            rendered.append(seen[id(f)])
        out["receptive_field"] = rendered
    return out


def _render_symbolic_layer(record: LayerRecord) -> dict[str, Any]:
    shape = record.shape
    out: dict[str, Any] = {"index": record.index, "op": record.layer.op}
    put(out, "input_size", record.input_size)
    put(out, "output_size", shape.output_size)
    put(out, "in_channels", record.in_channels)
    put(out, "out_channels", shape.out_channels)
    put(out, "padding_resolved", [list(p) for p in shape.padding])
    put(out, "formula", shape.formula)
    put(out, "unread", shape.unread)
    put(out, "overhang", shape.overhang)
    put(out, "params", shape.params)
    put(out, "macs", shape.macs)
    out["overlap"] = overlap_json(shape.overlap)
    out["warnings"] = list(record.warnings)
    return out


def _render_numeric_layer(record: LayerRecord) -> dict[str, Any]:
    """``render_layer`` when no value is symbolic (the hot path): the same document, built directly. Every
    ``_latex`` entry is null, but a formula template's own LaTeX: per-axis siblings are shared tuples of nulls
    (``_NULLS``), which serialise as the arrays they stand for."""
    shape = record.shape
    rank = len(record.input_size)
    nulls = _NULLS[rank]
    formula = shape.formula
    return {
        "index": record.index,
        "op": record.layer.op,
        "input_size": list(record.input_size),
        "input_size_latex": nulls,
        "output_size": list(shape.output_size),
        "output_size_latex": _NULLS[len(shape.output_size)],
        "in_channels": record.in_channels,
        "in_channels_latex": None,
        "out_channels": shape.out_channels,
        "out_channels_latex": None,
        "padding_resolved": [list(p) for p in shape.padding],
        "padding_resolved_latex": _NULL_PAIRS[len(shape.padding)],
        "formula": list(formula),
        "formula_latex": [f.latex if type(f) is Formula else None for f in formula],
        "unread": list(shape.unread),
        "unread_latex": _NULLS[len(shape.unread)],
        "overhang": list(shape.overhang),
        "overhang_latex": _NULLS[len(shape.overhang)],
        "params": shape.params,
        "params_latex": None,
        "macs": shape.macs,
        "macs_latex": None,
        "overlap": overlap_json(shape.overlap),
        "warnings": list(record.warnings),
    }


#: Per length, the ``_latex`` sibling of a numeric per-axis list (at most 3 spatial axes, a head's output
#: none), and of the padding pairs. Tuples: shared by every response, they cannot be changed by any.
_NULLS = tuple((None,) * n for n in range(4))
_NULL_PAIRS = tuple(((None, None),) * n for n in range(4))


def overlap_json(axes: list[AxisOverlap | None] | None) -> list[dict[str, Any] | None] | None:
    """Contract section 10: per axis ``{taps, uniform, holes}`` (null where symbolic), null for other ops."""
    return None if axes is None else [None if a is None else a.as_dict() for a in axes]


def total(values: list[Value | None]) -> Value | None:
    if any(v is None for v in values):
        return None
    return norm(vsum(values))  # type: ignore[arg-type]


def stack_fields(records: list[LayerRecord], rank: int, rf_period: int = MAX_PERIOD,
                 initial: list[ReceptiveField | None] | None = None) -> list[list[ReceptiveField | None]]:
    """Per layer, per axis: the receptive field of its output in the stack's input (contract section 9);
    ``initial``: the fields of the records' input, where they continue a longer stack."""
    fields: list[ReceptiveField | None] = identity(rank) if initial is None else initial
    out = []
    shape = windows = None
    for r in records:
        if r.shape is not shape:  # a layer repeated on the same input shares its shape (graph/evaluate.py)
            layer, shape, size = r.layer, r.shape, r.input_size
            windows = layer_windows(layer, shape, size, rank)
        fields = compose_axes(fields, windows, max_period=rf_period)  # type: ignore[arg-type]
        out.append(fields)
    return out


def render_result(result: StackResult, resolver: Resolver, rf_period: int | None = None) -> dict[str, Any]:
    """The response; ``rf_period``: the receptive-field period limit (default: the settings' default)."""
    out: dict[str, Any] = {}
    symbolic = resolver.saw_symbol
    put(out, "output_size", result.output_size, symbolic)
    put(out, "out_channels", result.out_channels, symbolic)
    put(out, "params", total([r.shape.params for r in result.records]), symbolic)
    put(out, "macs", total([r.shape.macs for r in result.records]), symbolic)
    out["conditions"] = [c.as_dict() for c in resolver.conditions]
    out["warnings"] = [f"layer {r.index}: {w}" for r in result.records for w in r.warnings]
    # Per axis of the stack's input (contract section 9), a head's layers included: after a flatten every
    # feature sees the whole input, so their fields are null (``layer_windows``)
    rank = len(result.records[0].input_size) if result.records else 0
    fields = stack_fields(result.records, rank, MAX_PERIOD if rf_period is None else rf_period)
    if symbolic:
        rendered: dict[int, Any] = {}  # the fields stay alive in ``fields``: their ids are not reused meanwhile
        out["layers"] = [render_layer(r, symbolic, f, rendered) for r, f in zip(result.records, fields)]
        return out
    layers: list[dict[str, Any]] = []
    before = None
    for r, f in zip(result.records, fields):
        if before is not None and r.shape is before.shape and r.in_channels == before.in_channels:
            # a layer repeating the one before on an equal input (graph/evaluate.py): its document but for
            # the index and the field
            layers.append({**layers[-1], "index": r.index, "receptive_field": [receptive_field_json(a) for a in f],
                           "warnings": list(r.warnings)})
        else:
            layers.append(render_layer(r, False, f))
        before = r
    out["layers"] = layers
    return out
