"""Deciding comparisons of sizes that may be symbolic: numbers at once, then by periodicity (sizes are floors
of linear forms in one symbol: their difference often takes finitely many values, all seen over one period),
then by ``decide``."""

from __future__ import annotations

import math
from typing import Any

from convplan.expr import compile_at_points, decide
from convplan.ops import Resolver, Value
from convplan.ops._values import norm

__all__ = ["holds"]

_RELATIONS = {"==": lambda d: d == 0, "<=": lambda d: d <= 0, ">=": lambda d: d >= 0, "<": lambda d: d < 0,
              ">": lambda d: d > 0}


def holds(lhs: Value, relation: str, rhs: Value, resolver: Resolver) -> bool | None:
    """True / False when decided (numbers at once, symbols by periodicity, else by ``decide``), None when
    undecidable."""
    if type(lhs) is int and type(rhs) is int:
        return _RELATIONS[relation](lhs - rhs)
    difference = norm(lhs - rhs)
    if type(difference) is int:  # the symbols cancel
        return _RELATIONS[relation](difference)
    # Every value over a period first (exact where it applies, and cheap: no assumption queries), then decide.
    values = _one_symbol_range(difference, resolver)
    if values is not None:
        verdicts = {_RELATIONS[relation](v) for v in values}
        return verdicts.pop() if len(verdicts) == 1 else None
    return decide(lhs, relation, rhs, resolver.table).value


def _one_symbol_range(expr: Any, resolver: Resolver, max_period: int = 256) -> set[int] | None:
    """Every value of a bounded periodic expression in one symbol, or None.

    Sizes are sums of ``floor``/``ceiling`` of linear forms in a symbol ``H``, so ``expr(H + L) - expr(H)``
    is constant for ``L`` the product of the denominators inside each nest of them (a multiple of its period,
    also for nested floors such as ``floor(floor(H/2)/2)``), and the least common multiple over the nests.
    When that constant is 0 the values over one period starting at the symbol's minimum are all the values
    (``floor(H/2) - 2*floor(H/4)`` is 0 or 1): ``decide`` does not reason about floors, this settles the signs
    a plan compares."""
    import sympy

    free = list(getattr(expr, "free_symbols", ()))
    if len(free) != 1:
        return None
    symbol = free[0]
    kinds = (sympy.floor, sympy.ceiling, sympy.Mod)
    atoms = expr.atoms(*kinds)
    period = 1
    # A nest of floors repeats after the product of its denominators; terms side by side (a skip's floor(H/16)
    # against an up-conv's 2*floor(H/32)) after the least common multiple of theirs.
    for top in [a for a in atoms if not any(b != a and b.has(a) for b in atoms)]:
        nest = 1
        for node in top.atoms(*kinds):  # itself and the floors inside it
            for term in sympy.Add.make_args(sympy.expand(node.args[0])):
                coeff = term.as_coeff_Mul()[0]
                if isinstance(coeff, sympy.Rational):
                    nest *= int(coeff.q)
            if isinstance(node, sympy.Mod):
                if not node.args[1].is_Integer:
                    return None
                nest *= int(node.args[1])
            if nest > max_period:
                return None
        period = math.lcm(period, nest)
        if period > max_period:
            return None
    start = resolver.table.min_of(str(symbol))
    at = compile_at_points(expr)  # one compilation for the period's points (SymPy's subs: a rebuild at each)
    try:
        if at is None:
            values = [int(expr.subs(symbol, start + k)) for k in range(period + 1)]
        else:
            exact = [at({symbol.name: start + k}) for k in range(period + 1)]
            if any(v.__class__ is not int and v.denominator != 1 for v in exact):
                return None
            values = [int(v) for v in exact]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if values[period] != values[0]:
        return None
    return set(values[:period])
