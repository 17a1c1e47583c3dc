"""An expression as a function of its symbols' values, evaluated exactly without SymPy's arithmetic.

Substituting numbers into a SymPy expression (``xreplace``, ``subs``) rebuilds and re-simplifies the tree at
every point: about 0.1 ms each. Where one expression is evaluated at many points (the sample worlds of an
ONNX model's declared sizes), it is compiled once into nested Python closures over ints and Fractions (never
into source code: nothing is evaluated as text) and each point then costs a few operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import sympy
from sympy import Add, Max, Min, Mod, Mul, Pow, ceiling, floor

__all__ = ["Exact", "compile_at_points"]

Exact = int | Fraction
At = Callable[[Mapping[str, int]], Exact]


def compile_at_points(expr: Exact | sympy.Expr) -> At | None:
    """``values -> expr`` at those values of its symbols (by name), exact; None for a form it does not know
    (the caller substitutes with SymPy). Division by zero raises ``ZeroDivisionError`` at the point."""
    if isinstance(expr, (int, Fraction)):
        constant = expr
        return lambda values: constant
    if isinstance(expr, sympy.Rational):
        constant = int(expr.p) if expr.q == 1 else Fraction(int(expr.p), int(expr.q))
        return lambda values: constant
    if isinstance(expr, sympy.Symbol):
        name = expr.name
        return lambda values: values[name]
    parts = [compile_at_points(arg) for arg in expr.args]
    if any(p is None for p in parts):
        return None
    fs: list[At] = parts  # type: ignore[assignment]
    if isinstance(expr, Add):
        return lambda values: sum(f(values) for f in fs)
    if isinstance(expr, Mul):
        return lambda values: math.prod(f(values) for f in fs)
    if isinstance(expr, Pow) and isinstance(expr.exp, sympy.Integer):
        base, exponent = fs[0], int(expr.exp)
        if exponent >= 0:
            return lambda values: base(values) ** exponent
        return lambda values: Fraction(1) / Fraction(base(values)) ** -exponent
    if isinstance(expr, floor):
        return lambda values: math.floor(fs[0](values))
    if isinstance(expr, ceiling):
        return lambda values: math.ceil(fs[0](values))
    if isinstance(expr, Min):
        return lambda values: min(f(values) for f in fs)
    if isinstance(expr, Max):
        return lambda values: max(f(values) for f in fs)
    if isinstance(expr, Mod):  # SymPy's Mod takes the divisor's sign, as Python's %
        return lambda values: fs[0](values) % fs[1](values)
    return None
