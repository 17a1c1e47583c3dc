"""A safe expression language for sizes and layer parameters.

Users send *Scalars*: a JSON integer, or a string over integers and symbol
names (``"H"``, ``"16*n"``, ``"(H - 4)//2"``).  Strings are tokenized and parsed
by our own recursive-descent parser that builds SymPy objects directly; no user
text ever reaches ``eval``/``sympify``.  Constant strings are folded with Python
ints and ``Fraction`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import sympy

from ._build import (
    as_fraction,
    check_magnitude,
    mk_ceil,
    mk_floor,
    mk_max,
    mk_min,
    mk_mod,
    rebuild,
    to_sympy,
)
from ._decide import Decision, decide
from ._errors import ExpressionError, ExprLimits
from ._fold import show
from ._parser import parse_value
from ._points import compile_at_points
from ._printer import to_latex, to_text
from ._simplify import canonicalize, integer_form
from ._symbols import SymbolTable

__all__ = [
    "Decision",
    "ExprLimits",
    "ExpressionError",
    "SymbolTable",
    "canonicalize",
    "compile_at_points",
    "decide",
    "is_symbolic",
    "mk_ceil",
    "mk_floor",
    "mk_max",
    "mk_min",
    "mk_mod",
    "parse_expression",
    "parse_scalar",
    "substitute",
    "to_latex",
    "to_text",
]


def _type_error(value: object) -> ExpressionError:
    kind = type(value).__name__
    if isinstance(value, bool):
        detail = "a boolean"
    elif isinstance(value, float):
        detail = f"a number with a fraction part or exponent ({value!r})"
    elif value is None:
        detail = "null"
    else:
        detail = f"a value of type {kind}"
    return ExpressionError(
        f"expected a JSON integer or an expression string, got {detail}", kind="type"
    )


def _check_text(value: object) -> str:
    if not isinstance(value, str):
        raise _type_error(value)
    return value


def parse_expression(text: str, table: SymbolTable) -> Fraction | sympy.Expr:
    """Parse ``text`` to an exact Fraction (no symbols) or a canonical SymPy expression.

    No integrality check; use :func:`parse_scalar` for sizes."""
    value = parse_value(_check_text(text), table)
    if isinstance(value, Fraction):
        return value
    canonical = canonicalize(value)
    if not canonical.free_symbols:
        constant = as_fraction(canonical)
        if constant is not None:
            return constant
    check_magnitude(canonical, table.limits)
    return canonical


def parse_scalar(value: object, table: SymbolTable) -> int | sympy.Expr:
    """JSON value -> Python int or an integer-valued canonical SymPy expression.

    Integers pass through (booleans and floats are refused, kind 'type'); strings
    are parsed; the result must be an integer for every admissible symbol value."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _type_error(value)
    if isinstance(value, int):
        bound = table.limits.max_magnitude
        if abs(value) >= bound:
            raise ExpressionError(f"integer {value} is too large: the limit is {bound} in magnitude", kind="limit")
        return int(value)
    parsed = parse_value(value, table)
    if isinstance(parsed, Fraction):
        if parsed.denominator != 1:
            raise ExpressionError(
                f"{value.strip()!r} evaluates to {show(parsed)}, which is not an integer; use // to "
                "round down or ceil(...) to round up",
                kind="not_integer",
            )
        return parsed.numerator
    form = integer_form(parsed)
    if form is None:
        text = value.strip()
        raise ExpressionError(
            f"{text!r} is not an integer for every allowed value of its symbols; round it "
            f"explicitly with floor({text}), ceil({text}) or '//', or introduce a symbol for "
            "the exact quotient (e.g. write 2*n for an even size, so that (2*n)/2 is n)",
            kind="not_integer",
        )
    if not form.free_symbols:
        return int(form)  # e.g. 'H - H' or 'H**0'
    check_magnitude(form, table.limits)
    return form


def is_symbolic(value: object) -> bool:
    """True for SymPy expressions with free symbols."""
    return isinstance(value, sympy.Basic) and bool(value.free_symbols)


def substitute(expr: int | Fraction | sympy.Expr, values: Mapping[str, int]) -> int:
    """Exact integer value of ``expr`` with symbols set to ``values`` (by name)."""
    if isinstance(expr, bool):
        raise TypeError("booleans are not expression values")
    if isinstance(expr, int):
        return int(expr)
    sym_expr = to_sympy(expr)
    leaf: dict[sympy.Basic, sympy.Expr] = {}
    for sym in sym_expr.free_symbols:
        name = getattr(sym, "name", str(sym))
        if name not in values:
            raise ExpressionError(f"no value given for symbol {name!r}", kind="unknown_symbol")
        number = values[name]
        if isinstance(number, bool) or not isinstance(number, int):
            raise ExpressionError(f"the value of {name!r} must be an integer", kind="type")
        leaf[sym] = sympy.Integer(number)
    result = rebuild(sym_expr, leaf=leaf)
    value = as_fraction(result)
    if value is None:
        raise ExpressionError("the expression divides by zero at these values", kind="zero_division")
    if value.denominator != 1:
        raise ExpressionError(f"the expression evaluates to {show(value)}, not an integer", kind="not_integer")
    return value.numerator
