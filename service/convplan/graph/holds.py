"""Deciding comparisons of sizes that may be symbolic: numbers at once, symbols by ``decide``, then by
periodicity (sizes are floors of linear forms in one symbol: their difference often takes finitely many
values)."""

from __future__ import annotations

from typing import Any

from convplan.expr import decide
from convplan.ops import Resolver, Value
from convplan.ops._values import norm

__all__ = ["holds"]

_RELATIONS = {"==": lambda d: d == 0, "<=": lambda d: d <= 0, ">=": lambda d: d >= 0, "<": lambda d: d < 0,
              ">": lambda d: d > 0}


def holds(lhs: Value, relation: str, rhs: Value, resolver: Resolver) -> bool | None:
    """True / False when decided (numbers at once, symbols by ``decide``, then by periodicity), None when
    undecidable."""
    if type(lhs) is int and type(rhs) is int:
        return _RELATIONS[relation](lhs - rhs)
    value = decide(lhs, relation, rhs, resolver.table).value
    if value is None:
        values = _one_symbol_range(norm(lhs - rhs), resolver)
        if values is not None:
            verdicts = {_RELATIONS[relation](v) for v in values}
            value = verdicts.pop() if len(verdicts) == 1 else None
    return value


def _one_symbol_range(expr: Any, resolver: Resolver, max_period: int = 256) -> set[int] | None:
    """Every value of a bounded periodic expression in one symbol, or None.

    Sizes are sums of ``floor``/``ceiling`` of linear forms in a symbol ``H``, so ``expr(H + L) - expr(H)``
    is constant for ``L`` the product of the denominators inside them (a multiple of the period, also for
    nested floors such as ``floor(floor(H/2)/2)``). When that constant is 0 the values over
    one period starting at the symbol's minimum are all the values (``floor(H/2) - 2*floor(H/4)`` is 0 or
    1): ``decide`` does not reason about floors, this settles the signs a plan compares."""
    import sympy

    free = list(getattr(expr, "free_symbols", ()))
    if len(free) != 1:
        return None
    symbol = free[0]
    period = 1
    for node in expr.atoms(sympy.floor, sympy.ceiling, sympy.Mod):
        for term in sympy.Add.make_args(sympy.expand(node.args[0])):
            coeff = term.as_coeff_Mul()[0]
            if isinstance(coeff, sympy.Rational):
                period *= int(coeff.q)
        if isinstance(node, sympy.Mod):
            if not node.args[1].is_Integer:
                return None
            period *= int(node.args[1])
        if period > max_period:
            return None
    start = resolver.table.min_of(str(symbol))
    try:
        values = [int(expr.subs(symbol, start + k)) for k in range(period + 1)]
    except (TypeError, ValueError):
        return None
    if values[period] != values[0]:
        return None
    return set(values[:period])
