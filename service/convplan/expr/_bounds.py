"""Interval bounds of an expression whose symbols range over [min, +inf).

A cheap, sound substitute for SymPy's assumption system (which costs
milliseconds per query and far more on wide products): each node gets an
interval [lo, hi] of exact Fractions or +-inf.  Correlations between
occurrences of a symbol are lost, so bounds may be loose -- never wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import sympy
from sympy import Add, Max, Min, Mod, Mul, Pow, ceiling, floor

from ._build import int_valued

INF = math.inf
Bound = Fraction | float  # float only for +-inf
Interval = tuple[Bound, Bound]
UNKNOWN: Interval = (-INF, INF)


def _mul(a: Bound, b: Bound) -> Bound:
    if a == 0 or b == 0:  # 0 * inf is 0 here: the finite side is exactly 0
        return Fraction(0)
    return a * b


def _times(x: Interval, y: Interval) -> Interval:
    products = [_mul(a, b) for a in x for b in y]
    return min(products), max(products)


def _power(x: Interval, n: int) -> Interval:
    lo, hi = x
    if n == 0:
        return Fraction(1), Fraction(1)
    if n > 0:
        if n % 2 == 1 or lo >= 0:
            return lo**n, hi**n
        if hi <= 0:
            return hi**n, lo**n
        return Fraction(0), max(lo**n, hi**n)
    if lo > 0 or hi < 0:  # reciprocal of an interval that excludes 0
        inv = (_recip(hi), _recip(lo))
        return _power(inv, -n)
    return UNKNOWN


def _recip(v: Bound) -> Bound:
    return Fraction(0) if v in (INF, -INF) else 1 / v


def _round(x: Interval, fn: Callable[[Fraction], int]) -> Interval:
    lo, hi = x
    return (lo if lo == -INF else Fraction(fn(lo))), (hi if hi == INF else Fraction(fn(hi)))  # type: ignore[arg-type]


def interval(expr: sympy.Expr, lows: dict[sympy.Basic, int]) -> Interval:
    """Bounds of ``expr`` when each symbol ``s`` ranges over the integers >= ``lows[s]``."""
    if isinstance(expr, sympy.Rational):
        value = Fraction(int(expr.p), int(expr.q))
        return value, value
    if isinstance(expr, sympy.Symbol):
        low = lows.get(expr)
        return (Fraction(low), INF) if low is not None else UNKNOWN
    if isinstance(expr, Add):
        lo: Bound = Fraction(0)
        hi: Bound = Fraction(0)
        for arg in expr.args:
            a, b = interval(arg, lows)
            lo, hi = lo + a, hi + b
        return lo, hi
    if isinstance(expr, Mul):
        result: Interval = (Fraction(1), Fraction(1))
        for arg in expr.args:
            result = _times(result, interval(arg, lows))
        return result
    if isinstance(expr, Pow):
        if isinstance(expr.exp, sympy.Integer):
            return _power(interval(expr.base, lows), int(expr.exp))
        return UNKNOWN
    if isinstance(expr, floor):
        return _round(interval(expr.args[0], lows), math.floor)
    if isinstance(expr, ceiling):
        return _round(interval(expr.args[0], lows), math.ceil)
    if isinstance(expr, (Min, Max)):
        parts = [interval(arg, lows) for arg in expr.args]
        pick = min if isinstance(expr, Min) else max
        return pick(p[0] for p in parts), pick(p[1] for p in parts)
    if isinstance(expr, Mod):
        a, q = expr.args
        if isinstance(q, sympy.Rational) and q != 0:
            top = Fraction(int(q.p), int(q.q))
            if isinstance(q, sympy.Integer) and int_valued(a):
                top -= 1 if top > 0 else -1
            return (Fraction(0), top) if top > 0 else (top, Fraction(0))
        return UNKNOWN
    return UNKNOWN
