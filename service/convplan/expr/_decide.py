"""Decide ``lhs REL rhs`` for every admissible value of the symbols (each an integer >= its min).

Strategy, all of it bounded (no solve(), no simplify()):

1. Normalise to ``d REL 0`` with REL in {>=, >, ==, !=}.
2. Bound ``d`` by interval arithmetic (every symbol in [min, +inf)); if that is
   inconclusive and ``d`` is small, ask SymPy's assumptions on ``d`` with every
   symbol ``s`` replaced by ``min(s) + t_s`` (``t_s`` a fresh nonnegative
   integer), which turns "H >= 1" into facts SymPy can combine.
3. Peel one layer and recurse: ``a*floor(X) + k >= 0`` becomes ``X >= ceil(-k/a)``
   (floor values are integers), likewise ceiling and the other directions;
   ``min(...) + k >= 0`` holds when every argument does, ``max`` when any does;
   a provably positive symbolic denominator is multiplied away.
4. When what remains is linear in one symbol, solve it exactly against the
   symbol's minimum.  Otherwise report the (reduced) relation as a condition.

``False`` is returned only when proven, never from sampling.
"""

from __future__ import annotations

from fractions import Fraction
from functools import reduce
from math import gcd, lcm
from typing import NamedTuple

import sympy
from sympy import Add, Max, Min, ceiling, floor

from ._bounds import interval
from ._build import as_fraction, int_valued, rebuild, to_sympy
from ._printer import latex_text, to_text
from ._simplify import canonicalize, size
from ._symbols import SymbolTable

RELATIONS: frozenset[str] = frozenset({">=", ">", "<=", "<", "==", "!="})
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}
_LATEX = {">=": r"\geq", ">": ">", "<=": r"\leq", "<": "<", "==": "=", "!=": r"\neq"}
_MAX_STEPS = 24  # reductions per call; each peels one floor/min/max layer
_MAX_BRANCHES = 8  # min/max arguments explored one by one
# SymPy's assumption queries grow steeply with size (a product of 16 sums takes
# ~0.5 s); above this many nodes only the interval bounds are used.
_SYMPY_SIZE = 24


class Decision(NamedTuple):
    value: bool | None
    condition: str | None
    condition_latex: str | None


# (value, d, rel): value of "d rel 0", and when undecided the most reduced equivalent form.
_Outcome = tuple[bool | None, sympy.Expr, str]


def _holds(value: Fraction, rel: str) -> bool:
    return {">=": value >= 0, ">": value > 0, "==": value == 0, "!=": value != 0}[rel]


def _scaled(d: sympy.Expr) -> sympy.Expr:
    """Multiply by a positive constant so the coefficients are coprime integers (relation unchanged)."""
    terms = Add.make_args(d)
    coeffs = [t.as_coeff_Mul()[0] for t in terms]
    if not all(isinstance(c, sympy.Rational) for c in coeffs):  # pragma: no cover - defensive
        return d
    den = reduce(lcm, (int(c.q) for c in coeffs), 1)
    num = reduce(gcd, (abs(int(c.p)) * den // int(c.q) for c in coeffs), 0)
    if num == 0:
        return d
    factor = sympy.Rational(den, num)
    return d if factor == 1 else Add(*(factor * t for t in terms))


class _Decider:
    def __init__(self, table: SymbolTable) -> None:
        self.table = table
        self.steps = 0
        self._shift: dict[sympy.Basic, sympy.Expr] = {}

    # -- step 2: bounds, then SymPy's assumptions on small expressions -------------------------

    def _lows(self, d: sympy.Expr) -> dict[sympy.Basic, int]:
        return {s: self.table.min_of(getattr(s, "name", "")) for s in d.free_symbols}

    def _shifted(self, d: sympy.Expr) -> sympy.Expr:
        for sym in d.free_symbols:
            if sym not in self._shift:
                name = getattr(sym, "name", "s")
                t = sympy.Dummy(f"t_{name}", integer=True, nonnegative=True)
                self._shift[sym] = sympy.Integer(self.table.min_of(name)) + t
        return rebuild(d, leaf=self._shift)

    def _bounds(self, d: sympy.Expr, rel: str) -> bool | None:
        lo, hi = interval(d, self._lows(d))
        if rel == ">=" and (lo >= 0 or hi < 0):
            return lo >= 0
        if rel == ">" and (lo > 0 or hi <= 0):
            return lo > 0
        if rel in ("==", "!=") and (lo > 0 or hi < 0 or lo == hi == 0):
            return (lo == hi == 0) == (rel == "==")
        return None

    def _assume(self, d: sympy.Expr, rel: str) -> bool | None:
        """SymPy's assumptions: slow (milliseconds), so asked last and on small trees only."""
        if size(d) > _SYMPY_SIZE:
            return None
        e = self._shifted(d)
        if rel == ">=":
            return True if e.is_nonnegative else (False if e.is_negative else None)
        if rel == ">":
            return True if e.is_positive else (False if e.is_nonpositive else None)
        zero = e.is_zero
        if zero is None:
            return None
        return zero if rel == "==" else not zero

    # -- driver -------------------------------------------------------------------------------

    def run(self, d: sympy.Expr, rel: str) -> _Outcome:
        self.steps += 1
        if not d.free_symbols:
            value = as_fraction(d)
            if value is None:  # pragma: no cover - only rationals arise
                return None, d, rel
            return _holds(value, rel), d, rel
        known = self._bounds(d, rel)
        if known is not None:
            return known, d, rel
        if self.steps > _MAX_STEPS:
            return None, d, rel
        if rel == "!=":
            value, reduced, reduced_rel = self.run(d, "==")
            if value is not None:
                return not value, d, rel
            return None, (reduced if reduced_rel == "==" else d), "!="
        if rel == "==":
            return self._equal(d)
        if rel == ">" and int_valued(d):
            d, rel = d - 1, ">="
        d = _scaled(d)
        # Exact structural steps first (they also give the most readable condition);
        # SymPy's assumptions only where none of them applies.
        for step in (self._peel, self._clear_denominator, self._linear, self._relax):
            outcome = step(d, rel)
            if outcome is not None:
                return outcome
        known = self._assume(d, rel)
        return known, d, rel

    def _relax(self, d: sympy.Expr, rel: str) -> _Outcome | None:
        """Bound the floors and ceilings of a sum (floor(e) in [e - 1, e], ceil(e) in
        [e, e + 1]): if the lower bound already satisfies the relation it holds, if
        the upper bound already violates it, it fails (H - floor(H/2) >= 1: H/2 >= 1)."""
        if rel not in (">=", ">"):
            return None
        bounds = _round_bounds(d)
        if bounds is None:
            return None
        low, high = bounds
        if self.run(low, rel)[0] is True:
            return True, d, rel
        if self.run(-high, ">" if rel == ">=" else ">=")[0] is True:
            return False, d, rel
        return None

    # -- step 3 -------------------------------------------------------------------------------

    def _equal(self, d: sympy.Expr) -> _Outcome:
        d = _scaled(d)
        linear = self._linear(d, "==")
        if linear is not None:
            return linear
        if int_valued(d):
            # d == 0  <=>  d >= 0 and -d >= 0
            upper = self.run(d, ">=")
            lower = self.run(-d, ">=")
            if upper[0] is False or lower[0] is False:
                return False, d, "=="
            if upper[0] and lower[0]:
                return True, d, "=="
            # One half always holds: the other is the condition, if peeling simplified it
            # ('floor(H/2) == 0' -> 'H <= 1'); otherwise '==' reads better ('H%2 == 0').
            open_half, original = (lower, -d) if upper[0] else (upper, d)
            if (upper[0] or lower[0]) and open_half[1] != original:
                return open_half
        return self._assume(d, "=="), d, "=="

    def _peel(self, d: sympy.Expr, rel: str) -> _Outcome | None:
        k, rest = d.as_coeff_Add()
        a, func = rest.as_coeff_Mul()
        if not isinstance(a, sympy.Rational) or a == 0:
            return None
        if isinstance(func, (floor, ceiling)):
            return self._peel_round(func, Fraction(int(a.p), int(a.q)), Fraction(int(k.p), int(k.q)), rel)
        if isinstance(func, (Min, Max)):
            return self._peel_min_max(d, func, a, k, rel)
        return None

    def _peel_round(self, func: sympy.Expr, a: Fraction, k: Fraction, rel: str) -> _Outcome:
        x = func.args[0]
        m = -k / a
        if a > 0:  # func >= m (or > m); func is an integer
            bound = m.__floor__() + 1 if rel == ">" else m.__ceil__()
            if isinstance(func, floor):  # floor(X) >= b  <=>  X >= b
                return self.run(x - bound, ">=")
            return self.run(x - (bound - 1), ">")  # ceil(X) >= b  <=>  X > b - 1
        bound = m.__ceil__() - 1 if rel == ">" else m.__floor__()  # func <= bound
        if isinstance(func, floor):  # floor(X) <= b  <=>  X < b + 1
            return self.run(bound + 1 - x, ">")
        return self.run(bound - x, ">=")  # ceil(X) <= b  <=>  X <= b

    def _peel_min_max(
        self, d: sympy.Expr, func: sympy.Expr, a: sympy.Rational, k: sympy.Rational, rel: str
    ) -> _Outcome:
        args = list(func.args)
        if len(args) > _MAX_BRANCHES:
            return None, d, rel
        every = isinstance(func, Min)
        if a < 0:  # -min(x, y) == max(-x, -y)
            args = [-arg for arg in args]
            every = not every
        c = k / abs(a)
        outcomes = [self.run(arg + c, rel) for arg in args]
        values = [o[0] for o in outcomes]
        decisive = not every  # min: one False decides; max: one True decides
        if decisive in values:
            return decisive, d, rel
        still_open = [o for o in outcomes if o[0] is None]
        if not still_open:
            return every, d, rel
        if len(still_open) == 1:  # the others hold (min) / fail (max): this one decides
            return still_open[0]
        return None, d, rel

    def _clear_denominator(self, d: sympy.Expr, rel: str) -> _Outcome | None:
        num, den = d.as_numer_denom()
        if den.is_Number:
            return None
        if den.is_positive:
            return self.run(num, rel)
        if den.is_negative:
            return self.run(-num, rel)
        return None

    # -- step 4 -------------------------------------------------------------------------------

    def _linear(self, d: sympy.Expr, rel: str) -> _Outcome | None:
        symbols = d.free_symbols
        if len(symbols) != 1:
            return None
        (sym,) = symbols
        a = b = Fraction(0)
        for term in Add.make_args(d):
            coeff, factor = term.as_coeff_Mul()
            if not isinstance(coeff, sympy.Rational):  # pragma: no cover - defensive
                return None
            c = Fraction(int(coeff.p), int(coeff.q))
            if factor == sym:
                a += c
            elif factor == 1:
                b += c
            else:
                return None
        if a == 0:  # pragma: no cover - sym is free, so it has a coefficient
            return None
        low = self.table.min_of(getattr(sym, "name", ""))
        root = -b / a
        if rel == "==":
            if root.denominator != 1 or root < low:
                return False, d, rel
            return None, sym - int(root), "=="
        if a > 0:  # sym >= first
            first = root.__floor__() + 1 if rel == ">" else root.__ceil__()
            if first <= low:
                return True, d, rel
            return None, sym - first, ">="
        last = root.__ceil__() - 1 if rel == ">" else root.__floor__()  # sym <= last
        if last < low:
            return False, d, rel
        return None, last - sym, ">="


def _sides(d: sympy.Expr, rel: str, less: bool = False) -> tuple[sympy.Expr, str, sympy.Expr]:
    """Turn ``d rel 0`` into a readable ``lhs op rhs``: positive terms left, the rest right
    (or, with ``less``, the other way round so a '<=' question reads 'H <= W')."""
    d = _scaled(d)
    constant = sympy.Integer(0)
    positive: list[sympy.Expr] = []
    negative: list[sympy.Expr] = []
    for term in Add.make_args(d):
        if term.is_Number:
            constant += term
        elif term.as_coeff_Mul()[0].is_negative:
            negative.append(-term)
        else:
            positive.append(term)
    if positive and negative and less:
        return Add(*negative), _FLIP[rel], Add(*positive) + constant
    if positive:
        return Add(*positive), rel, Add(*negative) - constant
    return Add(*negative), _FLIP[rel], constant


def decide(
    lhs: int | Fraction | sympy.Expr, relation: str, rhs: int | Fraction | sympy.Expr, table: SymbolTable
) -> Decision:
    """Decide ``lhs relation rhs`` over all admissible symbol values (see module docstring)."""
    if relation not in RELATIONS:
        raise ValueError(f"unknown relation {relation!r}; expected one of {sorted(RELATIONS)}")
    d = canonicalize(to_sympy(lhs) - to_sympy(rhs))
    rel = relation
    if rel in ("<=", "<"):
        d, rel = -d, _FLIP[rel]
    value, reduced, reduced_rel = _Decider(table).run(d, rel)
    if value is not None:
        return Decision(value, None, None)
    left, op, right = _sides(reduced, reduced_rel, less=relation in ("<=", "<"))
    text = f"{to_text(left)} {op} {to_text(right)}"
    latex = f"{latex_text(left)} {_LATEX[op]} {latex_text(right)}"
    return Decision(None, text, latex)


def _round_bounds(d: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """Lower and upper bounds of ``d`` with its top-level floors and ceilings relaxed;
    None when it has none."""
    constant, terms = d.as_coeff_add()
    low = high = constant
    relaxed = False
    for term in terms:
        c, f = term.as_coeff_Mul()
        if isinstance(f, floor):
            lo_f, hi_f = f.args[0] - 1, f.args[0]
            relaxed = True
        elif isinstance(f, ceiling):
            lo_f, hi_f = f.args[0], f.args[0] + 1
            relaxed = True
        else:
            lo_f = hi_f = f
        if c >= 0:
            low, high = low + c * lo_f, high + c * hi_f
        else:
            low, high = low + c * hi_f, high + c * lo_f
    return (low, high) if relaxed else None
