"""Arithmetic that works on plain ints and on SymPy expressions alike.

Symbolic nodes go through ``convplan.expr``'s builders, which simplify like
SymPy's ``floor``/``Min``/``Mod`` without their slow assumption queries.

Each op writes its size rule once with these helpers; numbers stay Python
ints (the numeric path never touches SymPy) and symbols become SymPy
expressions. Floor division follows PyTorch's ``div_floor`` (towards -inf,
as Python's ``//``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TypeAlias

import sympy

from convplan.expr import mk_ceil, mk_floor, mk_max, mk_min, mk_mod

Value: TypeAlias = "int | sympy.Expr"

__all__ = ["Value", "all_ints", "cdiv", "fdiv", "nonnegative", "norm", "sign", "vmax", "vmin", "vmod", "vprod", "vsum"]

# SymPy's assumption queries grow steeply with an expression's size; past this many operations ``sign`` says
# "unknown" rather than wait (convplan.expr.decide keeps the same bound).
_MAX_SIGN_OPS = 24



def fdiv(a: Value, b: Value) -> Value:
    """floor(a / b)."""
    if type(a) is int and type(b) is int:
        return a // b
    return mk_floor(sympy.Integer(a) / b if type(a) is int else a / b)


def cdiv(a: Value, b: Value) -> Value:
    """ceil(a / b)."""
    if type(a) is int and type(b) is int:
        return -((-a) // b)
    return mk_ceil(sympy.Integer(a) / b if type(a) is int else a / b)


def vmod(a: Value, b: Value) -> Value:
    """a mod b with Python's sign convention (result has the sign of b)."""
    if type(a) is int and type(b) is int:
        return a % b
    return mk_mod(sympy.Integer(a) if type(a) is int else a, sympy.Integer(b) if type(b) is int else b)


def all_ints(values: tuple[Value, ...]) -> bool:
    for v in values:  # noqa: SIM110 - a loop, not all(<generator>): this runs for every layer on the hot path
        if v.__class__ is not int:
            return False
    return True


def vmin(*values: Value) -> Value:
    if all_ints(values):
        return min(values)
    return mk_min([sympy.Integer(v) if type(v) is int else v for v in values])


def vmax(*values: Value) -> Value:
    if all_ints(values):
        return max(values)
    return mk_max([sympy.Integer(v) if type(v) is int else v for v in values])


def vprod(values: list[Value]) -> Value:
    out: Value = 1
    for v in values:
        out = out * v
    return out


def vsum(values: list[Value]) -> Value:
    out: Value = 0
    for v in values:
        out = out + v
    return out


def norm(value: Value) -> Value:
    """SymPy integers back to Python ints, so numbers stay numbers."""
    if type(value) is int:
        return value
    if isinstance(value, sympy.Integer):
        return int(value)
    return value


def sign(value: Value | Fraction) -> int | None:
    """-1, 0 or 1 where it holds for every admissible value of the symbols (each an integer >= its minimum,
    which their SymPy assumptions carry); None where it depends on them or is not provable cheaply."""
    value = _settled(value)
    if isinstance(value, (int, Fraction)):
        return (value > 0) - (value < 0)
    if value is None:
        return None
    if value.is_positive:
        return 1
    if value.is_negative:
        return -1
    if value.is_zero:
        return 0
    return None


def nonnegative(value: Value | Fraction) -> bool | None:
    """Whether ``value >= 0`` for every admissible value of the symbols (False: ``< 0`` for every one); None
    where it depends on them or is not provable cheaply."""
    value = _settled(value)
    if isinstance(value, (int, Fraction)):
        return value >= 0
    if value is None:
        return None
    if value.is_nonnegative:
        return True
    if value.is_negative:
        return False
    return None


def _settled(value: Value | Fraction) -> Value | Fraction | None:
    """A number as a number, an expression expanded (None: too large to ask SymPy about)."""
    if isinstance(value, (int, Fraction)):
        return value
    value = sympy.expand(value)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return None if sympy.count_ops(value) > _MAX_SIGN_OPS else value
