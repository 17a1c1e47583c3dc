"""A merge's inputs compared and aligned (contract section 7, ``merges``).

Per axis, inputs that PyTorch broadcasts (size 1 into ``add``/``mul``) are
stretched, never aligned; the others must be equal. Where they are not,
``align`` says what happens: report (``"none"``: the walk stops), crop every
input to the smallest, or pad every input to the largest. The amounts come
from the coordinate maps (Caffe's ``coord_map``): ``o`` is where one map's
pixel 0 sits in the other's grid, so ``[o, D - o]`` registers them; with no
exact relation the fix is centred (``floor(D/2)`` before) and a warning
says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from convplan.expr import decide, to_text
from convplan.graph.coords import AxisMap, relate
from convplan.graph.holds import holds
from convplan.ops import Condition, LayerContext, Value
from convplan.ops._values import fdiv, norm

if TYPE_CHECKING:
    from convplan.graph.evaluate import Tensor
    from convplan.graph.ir import Node

__all__ = ["MergeResult", "align_merge"]

Pair = list[Value]


@dataclass(kw_only=True)
class MergeResult:
    node: str
    index: int
    inputs: tuple[str, ...]
    #: Sizes as they arrive, per input.
    sizes: list[list[Value]]
    #: Per input, per axis: stretched from 1 by broadcasting (not compared).
    broadcast: list[list[bool]]
    #: Per axis: the compared sizes were equal as they arrived.
    equal_axes: list[bool]
    #: Per input, per axis: its pixel 0 in input 0's grid (None where the maps are not related).
    offset: list[list[Fraction | None]]
    #: Per input, per axis: the registering crop to the smallest / pad to the largest, [0, 0] where nothing is
    #: needed, None where no registering one exists.
    crop: list[list[Pair | None]]
    pad: list[list[Pair | None]]
    #: What was applied (``"crop"``, ``"pad"``) and, per input per axis, the amounts (negative = crop).
    applied: str | None = None
    applied_pads: list[list[Pair]] = field(default_factory=list)
    registered: bool | None = None
    #: The walk stops here (unequal sizes under ``align: "none"``).
    stops: bool = False
    #: Input 0's maps after the applied fix: the merged output's grid.
    first_maps: list[AxisMap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def aligned(self) -> bool:
        return all(self.equal_axes)

    @property
    def first_unequal_axis(self) -> int | None:
        return next((a for a, equal in enumerate(self.equal_axes) if not equal), None)


def align_merge(ctx: LayerContext, node: Node, ins: list[Tensor], align: str) -> tuple[MergeResult, list[list[Value]]]:
    rank = ctx.rank
    count = len(ins)
    resolver = ctx.resolver
    sizes = [list(t.size) for t in ins]
    broadcasts = getattr(node.op, "broadcasts", False)
    broadcast = [[False] * rank for _ in ins]
    equal_axes = []
    offset: list[list[Fraction | None]] = [[None] * rank for _ in ins]
    crop: list[list[Pair | None]] = [[None] * rank for _ in ins]
    pad: list[list[Pair | None]] = [[None] * rank for _ in ins]
    applied_pads: list[list[Pair]] = [[[0, 0] for _ in range(rank)] for _ in ins]
    kinds: set[str] = set()
    warnings: list[str] = []
    for a in range(rank):
        column = [s[a] for s in sizes]
        compared = list(range(count))
        if broadcasts:
            stretched = [k for k in compared if column[k] == 1 and any(column[j] != 1 for j in compared)]
            for k in stretched:
                broadcast[k][a] = True
            compared = [k for k in compared if k not in stretched]
        rel = [relate(ins[k].maps[a], ins[0].maps[a]) for k in range(count)]
        for k in range(count):
            offset[k][a] = None if rel[k] is None else rel[k][1]
        smallest = _extreme(ctx, column, compared, a, largest=False)
        largest = _extreme(ctx, column, compared, a, largest=True)
        equal = _all_equal(ctx, column, compared, a, align)
        equal_axes.append(equal)
        for k in compared:
            crop[k][a] = _fit(ins, k, smallest, column, a, resolver, shrink=True)
            pad[k][a] = _fit(ins, k, largest, column, a, resolver, shrink=False)
        if equal or align == "none":
            continue
        for k in compared:
            if align == "crop":
                amounts = crop[k][a]
                if amounts is None:
                    amounts = _centred(norm(column[k] - column[smallest]))
                    warnings.append(f"{node.id}: input {k} ({node.inputs[k]}) has no crop on axis {a} that "
                                    "registers it with the others; cropped centred")
                applied_pads[k][a] = [norm(-amounts[0]), norm(-amounts[1])]
            else:
                amounts = pad[k][a]
                if amounts is None:
                    amounts = _centred(norm(column[largest] - column[k]))
                    warnings.append(f"{node.id}: input {k} ({node.inputs[k]}) has no pad on axis {a} that "
                                    "registers it with the others; padded centred")
                applied_pads[k][a] = list(amounts)
            if applied_pads[k][a] != [0, 0]:
                kinds.add(align)
            sizes[k][a] = norm(column[k] + applied_pads[k][a][0] + applied_pads[k][a][1])
    merge = MergeResult(node=node.id, index=node.index, inputs=node.inputs, sizes=[list(t.size) for t in ins],
                        broadcast=broadcast, equal_axes=equal_axes, offset=offset, crop=crop, pad=pad,
                        applied="+".join(sorted(kinds)) or None, applied_pads=applied_pads, warnings=warnings)
    merge.stops = align == "none" and not merge.aligned
    merge.registered = _registered(merge, ins, rank)
    merge.first_maps = [m.shifted(applied_pads[0][a][0]) for a, m in enumerate(ins[0].maps)]
    ctx.warnings.extend(warnings)
    return merge, sizes


def _all_equal(ctx: LayerContext, column: list[Value], compared: list[int], axis: int, align: str) -> bool:
    if len(compared) < 2:
        return True
    first = column[compared[0]]
    for k in compared[1:]:
        verdict = holds(column[k], "==", first, ctx.resolver)
        if verdict is False:
            return False
        if verdict is None and align != "none" and (holds(column[k], ">=", first, ctx.resolver) or
                                                    holds(column[k], "<=", first, ctx.resolver)):
            # One is never smaller: the fix (crop or pad) is applied, its amounts are expressions that also hold
            # where they are 0 (a plan's padded U-Net on H). Under "none" the graph holds where they are equal.
            return False
        if verdict is None:  # undecidable: the graph holds where they are equal, and says so (contract 1)
            difference = norm(column[k] - first)
            d = decide(difference, "==", 0, ctx.resolver.table)
            ctx.resolver.conditions.append(Condition(ctx.index, axis, str(d.condition or f"{to_text(difference)} == 0"),
                                                     d.condition_latex, where=f"{ctx.op}: merged sizes are equal"))
    return True


def _extreme(ctx: LayerContext, column: list[Value], compared: list[int], axis: int, *, largest: bool) -> int:
    """The input with the smallest (largest) size; the first where undecidable."""
    best = compared[0] if compared else 0
    for k in compared[1:]:
        verdict = holds(column[k], ">" if largest else "<", column[best], ctx.resolver)
        if verdict is None:  # never on the other side, maybe equal: taking it is right either way
            verdict = holds(column[k], ">=" if largest else "<=", column[best], ctx.resolver)
        if verdict is True:
            best = k
    return best


def _fit(ins: list[Tensor], k: int, target: int, column: list[Value], axis: int, resolver: object,
         *, shrink: bool) -> Pair | None:
    """``[o, D - o]``: crop input ``k`` to input ``target``'s size (``o``: target's pixel 0 in k's grid) or pad
    it (``o``: k's pixel 0 in target's grid), where the scales are equal and ``0 <= o <= D``."""
    difference = norm(column[k] - column[target]) if shrink else norm(column[target] - column[k])
    if difference == 0:
        return [0, 0]
    inner, outer = (ins[target], ins[k]) if shrink else (ins[k], ins[target])
    rel = relate(inner.maps[axis], outer.maps[axis])
    if rel is None or rel[0] != 1 or not isinstance(rel[1], Fraction | int):
        return None
    o = math.floor(rel[1])
    if o < 0 or holds(difference, ">=", o, resolver) is False:  # type: ignore[arg-type]
        return None
    return [o, norm(difference - o)]


def _centred(total: Value) -> Pair:
    before = norm(fdiv(total, 2))
    return [before, norm(total - before)]


def _registered(merge: MergeResult, ins: list[Tensor], rank: int) -> bool | None:
    """Each input not broadcast has input 0's scale and, after the applied fix, offset 0 in its grid."""
    for k in range(1, len(ins)):
        for a in range(rank):
            if merge.broadcast[k][a] or merge.broadcast[0][a]:
                continue
            rel = relate(ins[k].maps[a], ins[0].maps[a])
            if rel is None:
                return None
            scale, offset = rel
            if not isinstance(offset, Fraction | int):
                return None
            # Padding `before` rows moves pixel 0 out by `before`; cropping (negative) moves it in.
            shifted = offset - merge.applied_pads[k][a][0] + merge.applied_pads[0][a][0]
            if scale != 1 or shifted != 0:
                return False
    return True
