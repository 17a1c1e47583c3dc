"""Valid input sizes per axis: every size the stack takes cleanly, in closed form.

Valid (contract section 5): every layer runs (no size below 1...), no strided
layer leaves input rows unread or has a ceil-mode window overhanging (the
U-Net paper's rule that every 2x2 pool sees an even size), and every merge
has equal sizes or, under ``align: crop``, a crop that registers the maps.

Why a closed form exists: along one axis every size rule satisfies
``f(n + q) = f(n) + p`` for its ratio ``p/q`` (conv/pool ``1/s``, transposed
``s``, dyadic interpolation, pads ``1``), and unread rows / overhang depend on
the size modulo the stride. Shifting the input by ``M`` (the least shift that
moves every strided layer's input by a multiple of its stride: ``analysis``)
shifts every size by ``M * ratio`` and changes no rounding, so beyond the
smallest size at which everything runs (``N0``; "runs" is monotone in the
size) validity is ``M``-periodic. We run ``N0 .. N0+M-1`` (1-D numeric runs of
the same op models), keep each residue class's first member and reduce to
the minimal period. Without such a shift (merging maps at different scales,
a fixed ``output_size``, a non-dyadic scale factor) no periodic form holds.

Every run is the one evaluator on the plan's graph (``convplan.frontends.plan``); the period comes from
the ratios along that graph's evaluation (``_ratios``), and validity is read off the typed result.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Any

from convplan import budget
from convplan.errors import ConvplanError
from convplan.frontends.plan import PlanGraph, plan_graph
from convplan.frontends.stack import INPUT
from convplan.graph.coords import AxisMap
from convplan.graph.evaluate import GraphResult, Tensor, evaluate
from convplan.ops import NeedsSymbolic
from convplan.ops._base import NoClosedForm
from convplan.plan.program import Program
from convplan.plan.slicing import program_key, slice_program
from convplan.shapes.engine import make_resolver

__all__ = ["AxisSolution", "solve_axis", "valid_input_sizes"]

_MAX_PERIOD = 4096
_SEARCH_LIMIT = 1 << 30
_CACHE: OrderedDict[str, AxisSolution] = OrderedDict()
_CACHE_SIZE = 256
_MAPS = [AxisMap(INPUT, Fraction(1), Fraction(0))]


class _NotPeriodic(Exception):
    """No closed form: the message says why."""


@dataclass(frozen=True)
class AxisSolution:
    """``{n >= min : n mod modulus in residues}`` with output ``slope*n + intercept[r]`` on residue ``r``."""

    modulus: int = 1
    residues: tuple[int, ...] = ()
    minimum: int | None = None
    slope: Fraction = Fraction(0)
    period: int = 1  # the shift M of the analysis (a multiple of modulus)
    intercepts: tuple[tuple[int, Fraction], ...] = ()  # (residue mod period, intercept)
    reason: str | None = None  # set when no closed form holds
    flattened: bool = False  # the output has no spatial axes (a flatten head): no output size to state

    def contains(self, n: int) -> bool:
        return self.minimum is not None and n >= self.minimum and n % self.modulus in self.residues

    def nearest(self, n: int) -> dict[str, int | None]:
        if not self.residues or self.minimum is None:
            return {"below": None, "above": None}
        below = next((v for v in range(n, max(self.minimum, n - self.modulus) - 1, -1) if self.contains(v)), None)
        start = max(n, self.minimum)
        above = next(v for v in range(start, start + self.modulus) if self.contains(v))
        return {"below": below, "above": above}


class _Runs:
    """1-D numeric runs of one (sliced) program: ``lenient`` (merges fixed by cropping under ``align: none``,
    unpooling at its default size: "runs at all", monotone in the size) or strict (the plan's validity)."""

    def __init__(self, program: Program) -> None:
        self.plan = plan_graph(program, 1)
        graph = self.plan.graph
        self.strict = dataclasses.replace(graph, align="crop" if graph.align == "crop" else "none")
        lenient = plan_graph(program, 1, indices=False).graph
        self.lenient = dataclasses.replace(lenient, align="crop" if lenient.align == "none" else lenient.align)
        self.memo: dict[bool, dict[Any, Any]] = {True: {}, False: {}}

    def run(self, n: int, *, lenient: bool) -> GraphResult | None:
        budget.check()
        try:
            return evaluate(self.lenient if lenient else self.strict, make_resolver(None, symbolic=False),
                            {INPUT: Tensor([n], None, _MAPS)}, strict=True, magnitude=False, memo=self.memo[lenient])
        except ConvplanError:
            return None

    def valid_output(self, n: int) -> int | None:
        """The output size at ``n`` if ``n`` is valid (contract section 5), else None."""
        result = self.run(n, lenient=False)
        if result is None or not result.ok:
            return None
        for record in result.results:
            if record.node.op.strided and (record.shape.unread[0] != 0 or record.shape.overhang[0] != 0):
                return None
        # Merged sizes must be equal (a size-1 map is not broadcast here) or, only under crop, registered by the
        # crop; equal sizes need nothing.
        if any(any(map(any, m.broadcast)) or (not m.aligned and m.registered is not True) for m in result.merges):
            return None
        for unpool, (_, pool) in self.plan.unpools.items():
            if result.by_id[unpool].input_sizes[0] != result.by_id[pool].shape.output_size:
                return None  # PyTorch needs the input to have the indices' shape
        outputs = self.strict.outputs
        if not outputs:
            return n
        size = result.by_id[outputs[0]].shape.output_size
        return int(size[0]) if size else 0  # after a flatten head no size is left: 0 stands for "none"


def _first_running(runs: _Runs) -> int | None:
    """Smallest size at which every layer runs ("runs" is monotone: sizes never shrink as the input grows)."""
    hi = 1
    while runs.run(hi, lenient=True) is None:
        hi *= 2
        if hi > _SEARCH_LIMIT:
            return None
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if runs.run(mid, lenient=True) is None:
            lo = mid + 1
        else:
            hi = mid
    return lo


def solve_axis(program: Program) -> AxisSolution:
    """Solve one 1-D program (cached by its canonical text: the answer does not depend on the input size)."""
    key = program_key(program)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    solution = _solve(program)
    _CACHE[key] = solution
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return solution


def _solve(program: Program) -> AxisSolution:
    runs = _Runs(program)
    try:
        n0 = _first_running(runs)
    except NeedsSymbolic:
        return AxisSolution(reason="layer parameters are symbolic: valid sizes need numeric parameters")
    if n0 is None:
        return AxisSolution()  # no size runs: the empty set
    probe = runs.run(n0, lenient=True)
    assert probe is not None
    try:
        period, slope = _ratios(runs.plan, probe)
    except _NotPeriodic as exc:
        return AxisSolution(reason=str(exc))
    if period > _MAX_PERIOD:
        return AxisSolution(reason=f"the period {period} (the product of the strides) is over the limit "
                                   f"{_MAX_PERIOD} this solver scans")
    first: dict[int, tuple[int, int]] = {}  # residue mod period -> (first valid size, its output)
    for n in range(n0, n0 + period):
        out = runs.valid_output(n)
        if out is not None:
            first[n % period] = (n, out)
    if not first:
        return AxisSolution(modulus=1)
    modulus = _minimal_period(set(first), period)
    residues = tuple(sorted({r % modulus for r in first}))
    outputs = runs.strict.outputs
    flattened = bool(outputs) and not probe.by_id[outputs[0]].shape.output_size
    intercepts = {} if flattened else {r: Fraction(out) - slope * n for r, (n, out) in first.items()}
    return AxisSolution(modulus, residues, min(n for n, _ in first.values()), slope, period,
                        tuple(sorted(intercepts.items())), flattened=flattened)


def _ratios(plan: PlanGraph, probe: GraphResult) -> tuple[int, Fraction]:
    """The period ``M`` and the output's ratio, along the probe's evaluation (every node, in graph order).

    Every map has a ratio ``r`` (its size grows by ``r`` per input row, in the limit). A layer with own ratio
    ``p/q`` (``OpModel.size_ratio``) keeps its rounding when its input moves by a multiple of ``q``; the input
    moves by ``M * r_in``, so ``M`` must be a multiple of ``v*q / gcd(u, v*q)`` for ``r_in = u/v``. No periodic
    form exists where two maps with different ratios meet (a merge, unpooling with indices of another size):
    their difference grows with the input, so only finitely many sizes line up."""
    ratio: dict[str, Fraction] = {INPUT: Fraction(1)}
    period = 1
    for record in probe.results:
        node = record.node
        r = ratio[node.inputs[0]]
        where = f"layer {node.index} ({node.op.op})"
        if node.op.merges and len(node.inputs) > 1:  # a stage's merge (a layer's add of a constant is a layer)
            r_skip, r_dec = ratio[node.inputs[0]], ratio[node.inputs[1]]
            if r_skip != r_dec:
                raise _NotPeriodic(f"decoder stage {node.loc[1]} merges maps at different scales (the skip grows by "
                                   f"{r_skip}, the decoder map by {r_dec} per input row): only finitely many sizes "
                                   "line up")
            ratio[node.id] = r_dec
            continue
        if node.id in plan.unpools:  # max_unpool with a stage's pool indices: its output is that pool's input
            j, pool = plan.unpools[node.id]
            if ratio[pool] != r:
                raise _NotPeriodic(f"{where}: its input grows at {r} per input row but the indices of encoder "
                                   f"stage {j} at {ratio[pool]}: only finitely many sizes match")
            ratio[node.id] = ratio[plan.graph.nodes[plan.graph.position[pool]].inputs[0]]
            continue
        if not node.op.spatial_output or not record.input_sizes[0]:  # a flatten, or after it a head or a ReLU:
            # the features grow with the input (flatten's ratio is its input's); a linear head fixes the sizes
            reason = node.op.fixed_input_reason()
            if reason is not None and r != 0:
                raise _NotPeriodic(f"{where}: {reason}")
            ratio[node.id] = r
            continue
        try:
            own = node.op.size_ratio(record.shape, 0, record.input_sizes[0][0])
        except NoClosedForm as exc:
            raise _NotPeriodic(f"{where}: {exc}") from None
        if own is None:
            reason = node.op.fixed_input_reason()
            if reason is not None and r != 0:
                raise _NotPeriodic(f"{where}: {reason}")
            ratio[node.id] = Fraction(0)
            continue
        if r != 0:
            u, v, q = r.numerator, r.denominator, own.denominator
            need = v * q // gcd(abs(u), v * q)
            period = period * need // gcd(period, need)
        ratio[node.id] = r * own
    outputs = plan.graph.outputs
    return period, ratio[outputs[0]] if outputs else Fraction(1)


def _minimal_period(residues: set[int], period: int) -> int:
    for d in range(1, period + 1):
        if period % d == 0 and all((r + d) % period in residues for r in residues):
            return d
    return period


def valid_input_sizes(program: Program, rank: int, requested: list[Any]) -> tuple[list[Any], list[str | None]]:
    """Per axis the canonical form (or None) and the reason where none holds."""
    from convplan.plan.output_expr import output_expression

    forms: list[Any] = []
    reasons: list[str | None] = []
    for a in range(rank):
        try:
            sliced = slice_program(program, a)
        except (ConvplanError, ValueError) as exc:  # pragma: no cover - sliced models are valid by construction
            forms.append(None)
            reasons.append(f"axis {a} could not be isolated: {exc}")
            continue
        solution = solve_axis(sliced)
        if solution.reason is not None:
            forms.append(None)
            reasons.append(solution.reason)
            continue
        n = requested[a]
        nearest = solution.nearest(n) if type(n) is int else {"below": None, "above": None}
        forms.append({
            "modulus": solution.modulus,
            "residues": list(solution.residues),
            "min": solution.minimum,
            "nearest": nearest,
            "output_size": output_expression(solution) if solution.residues and not solution.flattened else None,
        })
        reasons.append(None)
    return forms, reasons
