"""``valid_input_sizes`` kept inside the first input's ``where`` conditions (contract section 7).

A condition says on which sizes of an axis the graph is the network (the traced path of a module whose Python
code branches on sizes); each of the three sets is intersected with the conditions on its axis. Both are
eventually periodic (``extra ∪ {min <= i <= max : i mod m in residues}``), so the intersection is too, with the
lcm of the moduli as a period once every ``min`` and ``extra`` is passed: membership is scanned up to there plus
one period and reduced to the same form, with the least period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from math import lcm
from typing import Any

from convplan.analyses.valid_sizes import MAX_EXTRA, MAX_PERIOD, AxisSets, SizeSet, fit_expression
from convplan.expr import SymbolTable, parse_expression
from convplan.graph.schema import SizeCondition

__all__ = ["keep_inside", "outside_warnings"]


def _condition_set(condition: SizeCondition) -> SizeSet:
    return SizeSet(modulus=condition.modulus, residues=tuple(sorted(set(condition.residues))),
                   minimum=condition.min, maximum=condition.max, extra=tuple(sorted(set(condition.extra))))


def keep_inside(forms: list[AxisSets | None], reasons: list[str | None], conditions: Sequence[SizeCondition],
                limits: Any = None) -> tuple[list[AxisSets | None], list[str | None]]:
    """Each axis's three sets intersected with that axis's conditions (a set over the limits: None, why)."""
    max_period = getattr(limits, "valid_sizes_max_period", MAX_PERIOD)
    max_extra = getattr(limits, "valid_sizes_max_extra", MAX_EXTRA)
    forms, reasons = list(forms), list(reasons)
    for axis, sets in enumerate(forms):
        mine = [_condition_set(c) for c in conditions if c.axis == axis]
        if sets is None or not mine:
            continue
        try:
            kept = {kind: _intersect([getattr(sets, kind), *mine], max_period, max_extra)
                    for kind in ("runs", "clean", "same_size")}
        except _TooBig as exc:
            forms[axis], reasons[axis] = None, f"kept inside the input's `where` conditions: {exc}"
            continue
        forms[axis] = replace(sets, **kept)
    return forms, reasons


def outside_warnings(name: str, size: Sequence[Any], conditions: Sequence[SizeCondition]) -> list[str]:
    """A warning per condition, and one where the input's own (numeric) size is outside it."""
    out = []
    for k, condition in enumerate(conditions):
        note = f" ({condition.note})" if condition.note else ""
        out.append(f"input {name}: valid_input_sizes on axis {condition.axis} kept inside where[{k}]{note}")
        value = size[condition.axis]
        if type(value) is int and not _condition_set(condition).contains(value):
            out.append(f"input {name}: its size {value} on axis {condition.axis} is outside where[{k}]{note}: the "
                       "graph may not be the network at this size")
    return out


class _TooBig(Exception):
    pass


#: The longest period over which an output size is fitted again where residues with different expressions merge
#: (``fit_expression`` tries every divisor and offset).
_MAX_REFIT = 256


def _intersect(sets: list[SizeSet], max_period: int, max_extra: int) -> SizeSet:
    """Sizes are tried sparsely (a ``min`` may be near 2**30): below the largest ``min`` only the sets' extras
    can be members (each set's extras lie below its own ``min``), and from there one period decides."""
    def inside(n: int) -> bool:
        return all(s.contains(n) for s in sets)

    periodic = [s for s in sets if s.residues and s.minimum is not None]
    extras = sorted(set().union(*(s.extra for s in sets)))
    caps = [s.maximum for s in sets if s.maximum is not None]
    cap = min(caps) if caps else None
    if len(periodic) < len(sets):  # one set is only its extras
        return _finite([n for n in extras if inside(n)], sets[0], max_extra)
    period = lcm(*(s.modulus for s in periodic))
    if period > max_period:
        raise _TooBig(f"the period of the intersection ({period}) is over the limit {max_period}")
    settled = max(s.minimum or 1 for s in periodic)  # from here on, every set is its periodic part
    below = [n for n in extras if n < settled and inside(n)]
    if cap is not None and cap < settled + period:
        return _finite(below + [n for n in range(settled, cap + 1) if inside(n)], sets[0], max_extra)
    residues = {n % period for n in range(settled, settled + period) if inside(n)}
    if not residues:
        return _finite(below, sets[0], max_extra)
    low = settled  # the lowest size from which the pattern describes membership
    while low - 1 >= 1 and inside(low - 1) == ((low - 1) % period in residues):
        low -= 1
    extra = tuple(n for n in below if n < low)
    if len(extra) > max_extra:
        raise _TooBig(f"{len(extra)} sizes outside the periodic pattern is over the limit {max_extra}")
    modulus = next(d for d in range(1, period + 1)
                   if period % d == 0 and all((r + d) % period in residues for r in residues))
    minimum = next(n for n in range(low, low + period) if n % period in residues)
    out = SizeSet(modulus=modulus, residues=tuple(sorted({r % modulus for r in residues})), minimum=minimum,
                  maximum=cap, extra=extra)
    return _with_outputs(out, sets[0])


def _finite(members: list[int], source: SizeSet, max_extra: int) -> SizeSet:
    if len(members) > max_extra:
        raise _TooBig(f"{len(members)} sizes outside a periodic pattern is over the limit {max_extra}")
    return _with_outputs(SizeSet(extra=tuple(members)), source)


def _with_outputs(out: SizeSet, source: SizeSet) -> SizeSet:
    """The outputs' sizes of ``source`` on the members kept: by member where ``source`` is only ``extra``, else
    per residue of ``out``, fitted again through the sizes ``source`` gives there (the class may be finer, ``i``
    on even sizes rather than ``2*floor(i/2)``, or coarser, where the least period fell)."""
    if not source.residues:
        out.output_size = {name: {n: e for n, e in per.items() if n in out.extra}
                           for name, per in source.output_size.items()}
        return out
    if not out.residues:
        return out
    span = lcm(out.modulus, source.modulus)
    start = max(out.minimum or 1, source.minimum or 1)  # where `source`'s expressions hold (not its extra)
    parsed: dict[str, Any] = {}
    for name, per in source.output_size.items():
        kept: dict[int, int | str | None] = {}
        for r in out.residues:
            first = start + (r - start) % out.modulus
            sizes = [per.get(n % source.modulus) for n in range(first, first + 3 * span, out.modulus)]
            if None in sizes:
                continue
            if len(set(sizes)) > 1 and span > _MAX_REFIT:
                continue  # several expressions merged in a long period: left out rather than searched for
            points = [(n, _at(size, n, parsed)) for n, size in zip(range(first, first + 3 * span, out.modulus),
                                                                 sizes, strict=True)]
            slope = Fraction(points[span // out.modulus][1] - points[0][1], span)  # over one whole period
            if len(set(sizes)) == 1 and len({Fraction(o) - slope * n for n, o in points}) > 1:
                kept[r] = sizes[0]  # one expression, not affine on this class either: as the source wrote it
                continue
            fitted = fit_expression(points, slope, span)
            if fitted is not None:
                kept[r] = fitted
        if kept:
            out.output_size[name] = kept
    return out


def _at(size: int | str | None, n: int, parsed: dict[str, Any]) -> int:
    """An output size of the source set (an int, or an expression in ``i`` that convplan printed) at ``i = n``."""
    if type(size) is int:
        return size
    text = str(size)
    if text not in parsed:
        parsed[text] = parse_expression(text, SymbolTable())
    value = parsed[text]
    if isinstance(value, Fraction):
        return int(value)
    return int(value.xreplace({sym: n for sym in value.free_symbols}))
