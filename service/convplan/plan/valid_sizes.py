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
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from convplan import budget
from convplan.errors import ConvplanError
from convplan.ops import NeedsSymbolic
from convplan.plan.analysis import Analysis, NotPeriodic, analyse
from convplan.plan.program import Program
from convplan.plan.slicing import program_key, slice_program
from convplan.plan.walk import Invalid, Walker
from convplan.shapes.engine import make_resolver

__all__ = ["AxisSolution", "solve_axis", "valid_input_sizes"]

_MAX_PERIOD = 4096
_SEARCH_LIMIT = 1 << 30
_CACHE: OrderedDict[str, AxisSolution] = OrderedDict()
_CACHE_SIZE = 256


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

    def contains(self, n: int) -> bool:
        return self.minimum is not None and n >= self.minimum and n % self.modulus in self.residues

    def nearest(self, n: int) -> dict[str, int | None]:
        if not self.residues or self.minimum is None:
            return {"below": None, "above": None}
        below = next((v for v in range(n, max(self.minimum, n - self.modulus) - 1, -1) if self.contains(v)), None)
        start = max(n, self.minimum)
        above = next(v for v in range(start, start + self.modulus) if self.contains(v))
        return {"below": below, "above": above}


def _runner(program: Program) -> Any:
    def run(n: int, *, check_valid: bool, keep: bool = False) -> Walker | None:
        budget.check()
        walker = Walker(program, make_resolver(None, symbolic=False), 1, solver=True, check_valid=check_valid,
                        keep_records=keep)
        try:
            walker.run([n], None)
        except (Invalid, ConvplanError):
            return None
        return walker
    return run


def _first_running(run: Any) -> int | None:
    """Smallest size at which every layer runs ("runs" is monotone: sizes never shrink as the input grows)."""
    hi = 1
    while run(hi, check_valid=False) is None:
        hi *= 2
        if hi > _SEARCH_LIMIT:
            return None
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if run(mid, check_valid=False) is None:
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
    run = _runner(program)
    try:
        n0 = _first_running(run)
    except NeedsSymbolic:
        return AxisSolution(reason="layer parameters are symbolic: valid sizes need numeric parameters")
    if n0 is None:
        return AxisSolution()  # no size runs: the empty set
    walker = run(n0, check_valid=False, keep=True)
    assert walker is not None
    try:
        facts: Analysis = analyse(program, walker.records)
    except NotPeriodic as exc:
        return AxisSolution(reason=str(exc))
    if facts.period > _MAX_PERIOD:
        return AxisSolution(reason=f"the period {facts.period} (the product of the strides) is over the limit "
                                   f"{_MAX_PERIOD} this solver scans")
    period = facts.period
    first: dict[int, tuple[int, int]] = {}  # residue mod period -> (first valid size, its output)
    for n in range(n0, n0 + period):
        w = run(n, check_valid=True)
        if w is not None:
            assert w.output is not None
            first[n % period] = (n, int(w.output.size[0]))
    if not first:
        return AxisSolution(modulus=1)
    modulus = _minimal_period(set(first), period)
    residues = tuple(sorted({r % modulus for r in first}))
    intercepts = {r: Fraction(out) - facts.slope * n for r, (n, out) in first.items()}
    return AxisSolution(modulus, residues, min(n for n, _ in first.values()), facts.slope, period,
                        tuple(sorted(intercepts.items())))


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
            "output_size": output_expression(solution) if solution.residues else None,
        })
        reasons.append(None)
    return forms, reasons
