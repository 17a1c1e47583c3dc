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
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from convplan.expr import compile_at_points, decide, to_text
from convplan.graph.coords import AxisMap, relate
from convplan.graph.holds import holds
from convplan.ops import Condition, LayerContext, Resolver, Value
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


def align_merge(ctx: LayerContext, node: Node, ins: list[Tensor], align: str, grows: Callable[[str, int], bool]
                ) -> tuple[MergeResult, list[list[Value]]]:
    """The merge of ``ins`` under ``align``; ``grows(name, axis)``: whether an input's size there follows the
    network's input sizes (``Graph.grows``), which decides whether its broadcast is registered."""
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
            if resolver.saw_symbol:
                _require_unbroadcast(ctx, column, compared, a)
        rel = [relate(ins[k].maps[a], ins[0].maps[a]) for k in range(count)]
        for k in range(count):
            offset[k][a] = None if rel[k] is None else rel[k][1]
            if k in compared and rel[k] is not None and rel[k][0] == 1 and type(rel[k][1]) is Fraction \
                    and rel[k][1].denominator != 1:  # as plan/skips.py warns a decoder stage's skip
                warnings.append(f"input {k} ({node.inputs[k]}), axis {a}: the maps are shifted by a fraction of a "
                                f"pixel (offset {rel[k][1]}); no crop or pad can register them")
        smallest = _extreme(ctx, column, compared, a, largest=False)
        largest = _extreme(ctx, column, compared, a, largest=True)
        equal = _all_equal(ctx, column, compared, a, align)
        equal_axes.append(equal)
        for k in compared:
            if equal:  # also where the answer holds only where they are equal (a condition): nothing to fix
                crop[k][a], pad[k][a] = [0, 0], [0, 0]
                continue
            crop[k][a] = _fit(ins, k, smallest, column, a, ctx, shrink=True, applied=align == "crop")
            pad[k][a] = _fit(ins, k, largest, column, a, ctx, shrink=False, applied=align == "pad")
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
    merge.registered = _registered(merge, ins, rank, resolver, grows)
    merge.first_maps = [m.shifted(applied_pads[0][a][0]) for a, m in enumerate(ins[0].maps)]
    ctx.warnings.extend(warnings)
    return merge, sizes


def _require_unbroadcast(ctx: LayerContext, column: list[Value], compared: list[int], axis: int) -> None:
    """Symbolic sizes are compared as they stand; where one of two different ones may be 1, PyTorch would
    broadcast it at that size instead (add(x, conv(x)) at H = 3 for a 3-wide kernel), so the answer holds
    where it is not 1: a condition."""
    if len(set(column[k] for k in compared)) < 2:
        return  # equal sizes are 1 together: nothing is broadcast
    for k in compared:
        size = column[k]
        if size.__class__ is not int and holds(size, ">=", 2, ctx.resolver) is None:
            ctx.require(size, ">=", 2, f"{ctx.op}: input {k} ({to_text(size)}) is not 1 (PyTorch would broadcast it)",
                        axis=axis, param="inputs")


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
    """The input with the smallest (largest) size. Where the order of two symbolic sizes is not the same at
    every admissible value (H against 4*(H - 1), equal at none, flipping between H = 1 and 2), the one that
    is smallest (largest) at large sizes, and the answer holds where it is: a condition."""
    best = compared[0] if compared else 0
    for k in compared[1:]:
        verdict = holds(column[k], ">" if largest else "<", column[best], ctx.resolver)
        if verdict is None:  # never on the other side, maybe equal: taking it is right either way
            verdict = holds(column[k], ">=" if largest else "<=", column[best], ctx.resolver)
        if verdict is None:
            if (_at_large(norm(column[k] - column[best])) > 0) == largest:
                best, other = k, best
            else:
                other = best
            which = "largest" if largest else "smallest"
            ctx.require(column[best], ">=" if largest else "<=", column[other],
                        f"{ctx.op}: input {best} ({to_text(column[best])}) is the {which} (input {other}: "
                        f"{to_text(column[other])})", axis=axis, param="inputs")
        elif verdict is True:
            best = k
    return best


def _at_large(difference: Value) -> Fraction | int:
    """A size difference with every symbol at 2**20 (past the small-size flips of floors of linear forms that
    ``_extreme`` meets); 0 where it cannot be evaluated."""
    symbols = getattr(difference, "free_symbols", ())
    at = compile_at_points(difference) if symbols else None
    if at is None:
        return 0
    try:
        return at({symbol.name: 2**20 for symbol in symbols})
    except ZeroDivisionError:
        return 0


def _fit(ins: list[Tensor], k: int, target: int, column: list[Value], axis: int, ctx: LayerContext,
         *, shrink: bool, applied: bool) -> Pair | None:
    """``[o, D - o]``: crop input ``k`` to input ``target``'s size (``o``: target's pixel 0 in k's grid) or pad
    it (``o``: k's pixel 0 in target's grid), where the scales are equal and ``0 <= o <= D``. At symbolic sizes
    (``o`` the floor of an offset in the symbols, or ``D`` a size difference) the bounds must hold at every
    admissible size, or, for the fix that is ``applied``, the answer holds where they do: conditions."""
    difference = norm(column[k] - column[target]) if shrink else norm(column[target] - column[k])
    if difference == 0:
        return [0, 0]
    inner, outer = (ins[target], ins[k]) if shrink else (ins[k], ins[target])
    rel = relate(inner.maps[axis], outer.maps[axis])
    if rel is None or rel[0] != 1:
        return None
    o: Value = math.floor(rel[1]) if isinstance(rel[1], Fraction | int) else norm(fdiv(rel[1], 1))
    undecided = []
    for lhs, rhs in ((o, 0), (difference, o)):
        verdict = holds(lhs, ">=", rhs, ctx.resolver)
        if verdict is False:
            return None
        if verdict is None:
            undecided.append((lhs, rhs))
    amounts = [o, norm(difference - o)]
    if undecided and not applied:
        return None
    for lhs, rhs in undecided:
        ctx.require(lhs, ">=", rhs, f"{ctx.op}: the {'crop' if shrink else 'pad'} [{to_text(amounts[0])}, "
                    f"{to_text(amounts[1])}] registering input {k} is not negative", axis=axis, param="inputs")
    return amounts


def _centred(total: Value) -> Pair:
    before = norm(fdiv(total, 2))
    return [before, norm(total - before)]


def _registered(merge: MergeResult, ins: list[Tensor], rank: int, resolver: Resolver,
                grows: Callable[[str, int], bool]) -> bool | None:
    """Each input not broadcast has input 0's scale and, after the applied fix, offset 0 in its grid (a symbolic
    offset where that is decided: the same at every admissible size). A broadcast input counts only if it is 1
    at every input size (contract section 7: a gate from a global pool); one that grows is 1 at this size
    alone, its pixel stretched over the other's (x at 1 times its 2x upsampling): not registered."""
    unknown = False
    for a in range(rank):
        if any(merge.broadcast[k][a] and grows(merge.inputs[k], a) for k in range(len(ins))):
            return False
    for k in range(1, len(ins)):
        for a in range(rank):
            if merge.broadcast[k][a] or merge.broadcast[0][a]:
                continue
            rel = relate(ins[k].maps[a], ins[0].maps[a])
            if rel is None:
                return None
            scale, offset = rel
            if scale != 1:
                return False
            # Padding `before` rows moves pixel 0 out by `before`; cropping (negative) moves it in.
            shifted = norm(offset - merge.applied_pads[k][a][0] + merge.applied_pads[0][a][0])
            verdict = (shifted == 0) if isinstance(shifted, Fraction | int) else holds(shifted, "==", 0, resolver)
            if verdict is False:
                return False
            unknown = unknown or verdict is None
    return None if unknown else True
