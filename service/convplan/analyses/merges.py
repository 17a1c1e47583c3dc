"""Per merge: which layer made the sizes differ (the culprit), and the ``output_padding`` that would fix it.

The culprit (contract section 7), on the first unequal axis: candidates are
the nodes (not merges, not ``size_of`` nodes) that are ancestors of some but
not all of the merge's inputs, in graph order; the culprit is the first that
(1) drops a row or overhangs (``clean``'s rule); else (2) the conv_transpose
producing an input, where its ``output_padding`` fix exists; else (3) the
first whose output size differs from its input size over its map scale
(unpadded convs, fixed crops or pads, an odd size into a strided conv); else
(4) the first whose scale is not 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from convplan.graph.align import MergeResult
from convplan.graph.evaluate import GraphResult, NodeResult
from convplan.ops import LayerShape, OpModel, Value

__all__ = ["Candidate", "Culprit", "MergeAnalysis", "analyse_merges", "culprit_of", "keeps_shape", "pick_culprit"]

Reason = Literal["drops_rows", "overhang", "output_padding", "border", "scale"]


@dataclass(frozen=True, kw_only=True)
class Culprit:
    node: str
    index: int
    op: str
    input_size: list[Value]
    unread: list[Value]
    overhang: list[Value]
    reason: Reason


@dataclass(kw_only=True)
class MergeAnalysis:
    merge: MergeResult
    #: Per input, per axis: the legal output_padding of the conv_transpose producing it that gives it the
    #: others' size; None per input where no conv_transpose produces it (through shape-neutral nodes).
    output_padding: list[list[Value | None] | None]
    culprit: Culprit | None


def analyse_merges(result: GraphResult) -> list[MergeAnalysis]:
    return [MergeAnalysis(merge=m, output_padding=_output_padding(result, m), culprit=culprit_of(result, m))
            for m in result.merges]


def _ancestors(result: GraphResult, name: str) -> set[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen or current not in result.graph.position:
            continue
        seen.add(current)
        stack.extend(result.graph.nodes[result.graph.position[current]].inputs)
    return seen


def _producer(result: GraphResult, name: str) -> NodeResult | None:
    """The conv_transpose-like node producing ``name`` through single-input shape-neutral nodes."""
    record = result.by_id.get(name)
    while record is not None:
        if hasattr(record.node.op, "output_padding_fit"):
            return record
        if len(record.node.inputs) != 1 or not _neutral(record):
            return None
        record = result.by_id.get(record.node.inputs[0])
    return None


def _neutral(record: NodeResult) -> bool:
    return keeps_shape(record.node.op, record.shape, record.input_sizes[0])


def keeps_shape(op: OpModel, shape: LayerShape, size: list[Value]) -> bool:
    """A layer that leaves sizes and pixel positions alone (activations, norms, dropout, zero pads...): what
    an ``output_padding`` fix may look through."""
    if shape.output_size != size:
        return False
    return all(op.coord_map(shape, a, size[a]) == (1, 0) for a in range(len(size)))


def _output_padding(result: GraphResult, merge: MergeResult) -> list[list[Value | None] | None]:
    out: list[list[Value | None] | None] = []
    rank = len(merge.sizes[0])
    ancestors: list[set[str]] | None = None
    for k, name in enumerate(merge.inputs):
        producer = _producer(result, name)
        if producer is None:
            out.append(None)
            continue
        if ancestors is None:
            ancestors = [_ancestors(result, other) for other in merge.inputs]
        # A conv_transpose that also feeds another input (cat(up, conv(up))) moves that input with its
        # output_padding: only its own value, where the sizes agree already, gives this one the others' size.
        feeds_others = any(producer.node.id in seen for j, seen in enumerate(ancestors) if j != k)
        fits: list[Value | None] = []
        for a in range(rank):
            others = {merge.sizes[j][a] for j in range(len(merge.inputs)) if j != k and not merge.broadcast[j][a]}
            target = next(iter(others)) if len(others) == 1 else None
            if feeds_others and target != merge.sizes[k][a]:
                target = None
            fits.append(None if target is None else producer.node.op.output_padding_fit(  # type: ignore[attr-defined]
                producer.shape, a, target))
        out.append(fits)
    return out


@dataclass(frozen=True, slots=True)
class Candidate:
    """A layer on some but not all of a merge's paths, as the culprit rule sees it."""

    key: Any
    op: OpModel
    shape: LayerShape
    input_size: list[Value]


def pick_culprit(candidates: list[Candidate], axis: int, up_fix: Candidate | None) -> tuple[Candidate, Reason] | None:
    """The culprit rule on ``candidates`` (in graph order); ``up_fix``: the conv_transpose producing an input
    whose ``output_padding`` fix exists (rule 2), if any."""
    for c in candidates:  # (1) a row dropped, or a ceil-mode window overhanging
        if c.op.drops_rows(c.shape, axis):
            return c, "overhang" if c.shape.overhang[axis] != 0 else "drops_rows"
    if up_fix is not None:  # (2) the up-conv that output_padding would fix
        return up_fix, "output_padding"
    for c in candidates:  # (3) a size that is not its input's over the map scale
        if not c.op.spatial_output:
            continue
        step = c.op.coord_map(c.shape, axis, c.input_size[axis])
        i, o = c.input_size[axis], c.shape.output_size[axis]
        if step is not None and type(i) is int and type(o) is int and Fraction(i) / step[0] != o:
            return c, "border"
    for c in candidates:  # (4) a scale other than 1
        step = c.op.coord_map(c.shape, axis, c.input_size[axis]) if c.op.spatial_output else None
        if step is not None and step[0] != 1:
            return c, "scale"
    return None


def culprit_of(result: GraphResult, merge: MergeResult) -> Culprit | None:
    axis = merge.first_unequal_axis
    if axis is None:
        return None
    sets = [_ancestors(result, name) for name in merge.inputs]
    union, common = set().union(*sets), set.intersection(*sets)
    records = {r.node.id: r for r in result.results if r.node.id in union - common
               and not (r.node.op.merges and len(r.node.inputs) > 1) and r.node.size_of is None}
    candidates = [Candidate(r.node.id, r.node.op, r.shape, r.input_sizes[0]) for r in records.values()]
    up_fix = None
    for k, name in enumerate(merge.inputs):
        producer = _producer(result, name)
        if producer is None or producer.node.id not in records:
            continue
        others = {merge.sizes[j][axis] for j in range(len(merge.inputs)) if j != k}
        if len(others) == 1 and producer.node.op.output_padding_fit(  # type: ignore[attr-defined]
                producer.shape, axis, next(iter(others))) is not None:
            up_fix = Candidate(producer.node.id, producer.node.op, producer.shape, producer.input_sizes[0])
            break
    picked = pick_culprit(candidates, axis, up_fix)
    if picked is None:
        return None
    return _culprit(records[picked[0].key], picked[1])


def _culprit(record: NodeResult, reason: Reason) -> Culprit:
    return Culprit(node=record.node.id, index=record.node.index, op=record.node.op.op,
                   input_size=list(record.input_sizes[0]), unread=list(record.shape.unread),
                   overhang=list(record.shape.overhang), reason=reason)
