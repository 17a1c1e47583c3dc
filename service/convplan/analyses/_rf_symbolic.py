"""Receptive fields whose values are expressions in the layers' symbolic parameters (contract section 9).

The numeric rules of ``receptive_field`` hold unchanged; what changes is how much of a field is sayable.
Every value is exact: a comparison (the hull of some spans, the least period, the widest phase) is made
only where it holds for every admissible value of the symbols (``convplan.ops._values.sign``); where it
depends on them, the field keeps only what needs none (its jump). So:

- a field of period 1 through any window with a closed form (a conv or pool with symbolic kernel, stride,
  dilation or padding, a pad or crop by a symbol) stays fully known: ``lo`` and ``hi`` are affine in the
  window's (the jump is positive);
- such a field through a numeric window with phases (a transposed conv, an upsampling) keeps its phases,
  and later numeric layers keep them wherever the comparisons are decided;
- a window whose period is symbolic (a transposed conv or unpooling with stride ``s``, a pixel shuffle by
  ``f``: ``s`` phases) gives ``jump``, ``size``, ``size_min``, ``start`` and ``center`` in closed form where
  they have one, and null ``period`` and ``phases`` (how many phases there are depends on ``s``); after it,
  only translations keep more than the jump (the sizes).

Symbolic work runs in the symbolic worker, under its budget (one check per composition).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import sympy

from convplan import budget
from convplan.analyses._rf_field import ReceptiveField, Span
from convplan.exact import exact
from convplan.expr import canonicalize
from convplan.ops import SymbolicWindow, Window
from convplan.ops._values import sign

__all__ = ["aligned_symbolic", "compose_symbolic", "join_symbolic"]


class _Undecided(Exception):
    """A comparison depends on the symbols' values: the field keeps only its jump."""


def _v(value: object) -> object:
    """An exact value: int or Fraction when it has no symbols, else the canonical expression, expanded (equal
    values print alike: ``k1 + k2*s1 - s1``, whichever way they were composed)."""
    if isinstance(value, (int, Fraction)):
        return exact(value)
    value = sympy.expand(canonicalize(value))  # type: ignore[arg-type]
    if value.is_Integer:
        return int(value)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return value


def _is_symbolic(value: object) -> bool:
    return value is not None and not isinstance(value, (int, Fraction))


def _less(a: object, b: object) -> bool:
    """``a < b`` for every admissible value of the symbols; _Undecided where that depends on them."""
    s = sign(_v(b - a))  # type: ignore[operator]
    if s is None:
        raise _Undecided
    return s > 0


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    s = sign(_v(a - b))  # type: ignore[operator]
    if s is None:
        raise _Undecided
    return s == 0


def _field(jump: object, period: int | None, phases: tuple[Span | None, ...] | None, size: object,
           size_min: object, start: object, center: object) -> ReceptiveField:
    values = (jump, size, size_min, start, center, *(v for s in phases or () if s is not None for v in s))
    return ReceptiveField(jump, period, phases, size, size_min, start, center,  # type: ignore[arg-type]
                          any(_is_symbolic(v) for v in values))


def _untracked(jump: object) -> ReceptiveField:
    return _field(jump, None, None, None, None, None, None)


def _from_phases(jump: object, phases: list[Span | None]) -> ReceptiveField:
    """``ReceptiveField.from_phases`` with exact comparisons of expressions."""
    n = len(phases)
    period = next(p for p in range(1, n + 1)
                  if not n % p and all(_same_span(phases[r], phases[r - p]) for r in range(p, n)))
    kept = tuple(phases[:period])
    sizes = [0 if s is None else _v(s[1] - s[0] + 1) for s in kept]
    size = size_min = sizes[0]
    for s in sizes[1:]:
        size = s if _less(size, s) else size
        size_min = s if _less(s, size_min) else size_min
    first = kept[0]
    return _field(jump, period, kept, size, size_min, None if first is None else first[0],
                  None if first is None else _v(sympy.Rational(1, 2) * (first[0] + first[1])))


def _same_span(a: Span | None, b: Span | None) -> bool:
    if a is None or b is None:
        return a is b
    return _same(a[0], b[0]) and _same(a[1], b[1])


def compose_symbolic(field: ReceptiveField, window: Window | SymbolicWindow, max_period: int) -> ReceptiveField:
    """``compose`` where the field or the window is symbolic."""
    budget.check()
    jump = _v(field.jump * window.jump)  # type: ignore[operator]
    try:
        if isinstance(window, SymbolicWindow):
            return _through_symbolic(field, window, jump)
        return _through_numeric(field, window, jump, max_period)
    except _Undecided:
        return _untracked(jump)


def _through_symbolic(field: ReceptiveField, window: SymbolicWindow, jump: object) -> ReceptiveField:
    f = field.jump
    if field.period is None:  # a symbolic period before: only a translation keeps its closed forms
        if window.period == 1 and window.widest == 0 and _sampled_alike(field, window.jump):
            return _translated(field, jump)
        return _untracked(jump)
    if field.period != 1:  # numeric phases through symbolic taps: which phase each tap hits is symbolic
        return _untracked(jump)
    span = field.phases[0]  # type: ignore[index]
    if span is None:
        return _field(jump, 1, (None,), 0, 0, None, None)
    a, b = span
    if window.period == 1:  # lo and hi grow with x (the jump is positive): the window's ends bound the hull
        lo, hi = _v(f * window.lo + a), _v(f * window.hi + b)  # type: ignore[operator]
        size = _v(hi - lo + 1)  # type: ignore[operator]
        return _field(jump, 1, ((lo, hi),), size, size, lo, _v(sympy.Rational(1, 2) * (lo + hi)))  # type: ignore[operator]
    # A symbolic period: output y spans f*[lo_w(y), hi_w(y)] + [a, b] over f*jump_w*y.
    width = b - a + 1
    size = None if window.widest is None else _v(f * window.widest + width)
    size_min = 0 if window.holes else None
    if window.holes is False and window.narrowest is not None:
        size_min = _v(f * window.narrowest + width)
    start = center = None
    if window.lo is not None:
        start = _v(f * window.lo + a)
        center = _v(sympy.Rational(1, 2) * (f * (window.lo + window.hi) + a + b))  # type: ignore[operator]
    return _field(jump, None, None, size, size_min, start, center)


def _sampled_alike(field: ReceptiveField, step: object) -> bool:
    """Whether a one-tap window moving by ``step`` inputs per output keeps a field's sizes over all outputs:
    a translation (step 1) reads every output of the field; a strided one reads only some of its phases
    (conv_transpose k1 s2 padded p0, then conv k1 s2 padded p1: every output reads one pixel, or none,
    as p0 - p1 is odd or even), unless every phase is as wide (``size`` = ``size_min``)."""
    return step == 1 or _same(field.size, field.size_min)


def _translated(field: ReceptiveField, jump: object) -> ReceptiveField:
    """A field without phases through a translation (a pad or crop: output ``y`` reads ``y + c``) or a one-tap
    window over phases all as wide (``_sampled_alike``): the sizes over all outputs stay; ``start`` becomes
    ``lo(c)``, in another phase, unknown without phases."""
    return _field(jump, None, None, field.size, field.size_min, None, None)


def _through_numeric(field: ReceptiveField, window: Window, jump: object, max_period: int) -> ReceptiveField:
    if field.phases is None or field.period is None:
        taps = window.phase_inputs(0)
        if window.period == 1 and len(taps) == 1 and field.size is not None and _sampled_alike(field, window.jump):
            return _translated(field, jump)
        return _untracked(jump)
    a, b = window.jump.numerator, window.jump.denominator  # type: ignore[union-attr]
    period = math.lcm(window.period, b * field.period // math.gcd(a, b * field.period))
    if period > max_period:
        return _untracked(jump)
    f, field_period, field_phases = field.jump, field.period, field.phases
    phases: list[Span | None] = []
    for r in range(period):
        lo = hi = None
        q, rw = divmod(r, window.period)
        shift = int(window.jump * q * window.period) if q else 0
        for x0 in window.phase_inputs(rw):
            x = x0 + shift
            span = field_phases[x % field_period]
            if span is not None:
                low, high = _v(f * x + span[0]), _v(f * x + span[1])  # type: ignore[operator]
                lo = low if lo is None or _less(low, lo) else lo
                hi = high if hi is None or _less(hi, high) else hi
        phases.append(None if lo is None else (_v(lo - jump * r), _v(hi - jump * r)))  # type: ignore[operator]
    return _from_phases(jump, phases)


def join_symbolic(fields: Sequence[ReceptiveField], max_period: int) -> ReceptiveField | None:
    """``join`` where some field is symbolic; None where the jumps differ or their equality is undecided."""
    jump = fields[0].jump
    try:
        if not all(_same(f.jump, jump) for f in fields):
            return None
    except _Undecided:
        return None
    if any(f.period is None for f in fields):
        return _untracked(jump)
    period = math.lcm(*(f.period for f in fields))  # type: ignore[misc]
    if period > max_period:
        return _untracked(jump)
    try:
        phases: list[Span | None] = []
        for r in range(period):
            lo = hi = None
            for f in fields:
                span = f.phases[r % f.period]  # type: ignore[index,operator]
                if span is not None:  # (the same jump: spans relative to jump*r compare directly)
                    lo = span[0] if lo is None or _less(span[0], lo) else lo
                    hi = span[1] if hi is None or _less(hi, span[1]) else hi
            phases.append(None if lo is None else (lo, hi))  # type: ignore[arg-type]
        return _from_phases(jump, phases)
    except _Undecided:
        return _untracked(jump)


def aligned_symbolic(shifted: Sequence[ReceptiveField]) -> bool | None:
    """``rf_aligned`` of shifted fields where some is symbolic: None where the answer depends on the symbols."""
    try:
        if not all(_same(f.jump, shifted[0].jump) for f in shifted):
            return False
        means = [_mean_center(f) for f in shifted]
        if any(m is None for m in means):
            return None
        return all(_same(m, means[0]) for m in means)
    except _Undecided:
        return None


def _mean_center(field: ReceptiveField) -> object:
    if field.phases is None:
        return None
    centers = [s[0] + s[1] for s in field.phases if s is not None]
    return _v(sympy.Add(*centers) / (2 * len(centers))) if centers else None
