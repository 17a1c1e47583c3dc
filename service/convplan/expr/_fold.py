"""The arithmetic behind the parser.

Values are ``Fraction`` while no symbol is involved (so numeric requests never
touch SymPy and every constant is checked against ``max_magnitude`` as soon as
it is computed) and SymPy expressions once a symbol appears.  A SymPy result
that loses its symbols (``H - H``) drops back to a Fraction, so constant
exponents and zero divisors are always recognised.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy

from ._build import (
    as_fraction,
    check_magnitude,
    mk_ceil,
    mk_floor,
    mk_max,
    mk_min,
    mk_mod,
    to_sympy,
)
from ._errors import ExpressionError, ExprLimits

Value = Fraction | sympy.Expr

# The operators Fractions and SymPy expressions spell alike; '//' and '%' differ (floor, Mod).
_SAME_IN_BOTH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


class Folder:
    """Arithmetic on parser values, with every limit check attached to a source position."""

    def __init__(self, limits: ExprLimits) -> None:
        self.limits = limits

    # -- checks ---------------------------------------------------------------------------

    def _const(self, value: Fraction, what: str, position: int) -> Fraction:
        bound = self.limits.max_magnitude
        if abs(value.numerator) >= bound or value.denominator >= bound:
            raise ExpressionError(
                f"the value computed by {what} at position {position} is too large: constants "
                f"must stay below {bound} in absolute value (and in denominator)",
                kind="limit",
                position=position,
            )
        return value

    def _symbolic(self, expr: sympy.Expr, what: str, position: int) -> Value:
        if not expr.free_symbols:
            value = as_fraction(expr)
            if value is None:  # pragma: no cover - only rationals can arise from our operators
                raise ExpressionError(f"{what} at position {position} has no finite value", kind="syntax")
            return self._const(value, what, position)
        try:
            check_magnitude(expr, self.limits)
        except ExpressionError as exc:
            raise ExpressionError(
                f"{exc.message} (at {what}, position {position})", kind="limit", position=position
            ) from None
        return expr

    def _nonzero(self, divisor: Value, what: str, position: int) -> None:
        if isinstance(divisor, Fraction):
            zero = divisor == 0
        else:
            zero = divisor.is_zero is True
        if zero:
            raise ExpressionError(
                f"division by zero: the right operand of {what} at position {position} is 0",
                kind="zero_division",
                position=position,
            )

    # -- operators ------------------------------------------------------------------------

    def binary(self, op: str, a: Value, b: Value, position: int) -> Value:
        what = f"'{op}'"
        if op in ("/", "//", "%"):
            self._nonzero(b, what, position)
        exact = isinstance(a, Fraction) and isinstance(b, Fraction)
        x, y = (a, b) if exact else (to_sympy(a), to_sympy(b))
        if op in _SAME_IN_BOTH:
            result = _SAME_IN_BOTH[op](x, y)
        elif op == "//":
            result = Fraction(x // y) if exact else mk_floor(x / y)
        else:
            result = x % y if exact else mk_mod(x, y)  # Fraction % follows Python: the sign of the divisor
        return self._const(result, what, position) if exact else self._symbolic(result, what, position)

    def negate(self, a: Value, position: int) -> Value:
        if isinstance(a, Fraction):
            return -a
        return self._symbolic(-a, "unary '-'", position)

    def power(self, base: Value, exponent: Value, position: int) -> Value:
        limit = self.limits.max_exponent
        if not isinstance(exponent, Fraction):
            raise ExpressionError(
                f"the exponent of '**' at position {position} must be a constant integer, not an "
                "expression with symbols",
                kind="syntax",
                position=position,
            )
        if exponent.denominator != 1:
            raise ExpressionError(
                f"exponent {show(exponent)} of '**' at position {position} is not an integer",
                kind="not_integer",
                position=position,
            )
        e = exponent.numerator
        if e < 0:
            raise ExpressionError(
                f"exponent {e} of '**' at position {position} is negative; exponents must be between 0 and {limit}",
                kind="limit",
                position=position,
            )
        if e > limit:
            raise ExpressionError(
                f"exponent {e} of '**' at position {position} is above the limit {limit}",
                kind="limit",
                position=position,
            )
        if isinstance(base, Fraction):
            # Refuse from bit lengths before computing, so nothing big is ever built.
            # top**e >= 2**((bits - 1)*e): past the limit on bit lengths alone.
            top = max(abs(base.numerator), base.denominator)
            if e and (top.bit_length() - 1) * e > self.limits.max_magnitude.bit_length():
                raise ExpressionError(
                    f"the value computed by '**' at position {position} is too large: constants "
                    f"must stay below {self.limits.max_magnitude} in absolute value",
                    kind="limit",
                    position=position,
                )
            return self._const(base**e, "'**'", position)
        return self._symbolic(base**e, "'**'", position)

    def call(self, name: str, args: list[Value], position: int) -> Value:
        what = f"{name}()"
        if all(isinstance(a, Fraction) for a in args):
            consts: list[Fraction] = args  # type: ignore[assignment]
            if name == "floor":
                return Fraction(consts[0].__floor__())
            if name == "ceil":
                return Fraction(consts[0].__ceil__())
            return min(consts) if name == "min" else max(consts)
        exprs = [to_sympy(a) for a in args]
        if name == "floor":
            result = mk_floor(exprs[0])
        elif name == "ceil":
            result = mk_ceil(exprs[0])
        elif name == "min":
            result = mk_min(exprs)
        else:
            result = mk_max(exprs)
        return self._symbolic(result, what, position)
