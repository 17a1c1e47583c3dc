"""SymPy expressions of torch's ShapeEnv, written in the contract's expression grammar.

torch.export states every size in the input's symbols (``s0``, ``s1``...), as
SymPy expressions built from SymPy's and torch's own functions
(``torch.utils._sympy.functions``: ``FloorDiv``, ``PythonMod``, ``CeilDiv``,
``IntTrueDiv``, ``FloorToInt``...). This printer knows each of them by class
name and refuses anything else (``UnprintableExpr``): it never falls back to
``str(expr)``, so what it writes is always in the grammar (integers, names,
``+ - * / // %``, ``**`` with a small exponent, ``floor() ceil() min()
max()``). Guards (relations) are printed for people, in the same grammar with
``==``, ``!=``, ``<``, ``<=``, ``and``, ``or``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

__all__ = ["UnprintableExpr", "print_expr", "print_guard", "substitute"]

_MAX_POW = 8


class UnprintableExpr(ValueError):
    """A SymPy expression with no equivalent in the contract's grammar."""


def substitute(expr: Any, names: Mapping[str, str | int]) -> Any:
    """``expr`` with each torch symbol given an int replaced by it (so ``FloorDiv(256, 2)`` evaluates)."""
    import sympy

    values = {sym: sympy.Integer(names[sym.name]) for sym in expr.free_symbols
              if isinstance(names.get(sym.name), int)}
    return expr.xreplace(values) if values else expr


def print_expr(expr: Any, names: Mapping[str, str | int]) -> int | str:
    """An int when ``expr`` is an integer after substitution, else its text in the grammar.

    ``names`` maps torch's symbol names to the body's symbol names (or to
    ints, substituted first).
    """
    import sympy

    expr = substitute(sympy.sympify(expr) if isinstance(expr, int) else expr, names)
    if expr.is_Integer:
        return int(expr)
    if expr.is_Float and float(expr).is_integer():
        return int(expr)
    return _strip(_Printer(names).text(expr))


def _strip(text: str) -> str:
    """``text`` without parentheses around the whole of it."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1]
    return text


def print_guard(expr: Any, names: Mapping[str, str | int]) -> str:
    """A guard (a SymPy relation or boolean) as readable text in the grammar's terms."""
    return _Printer(names).relation(expr)


_RELATIONS = {"Equality": "==", "Unequality": "!=", "StrictLessThan": "<", "LessThan": "<=",
              "StrictGreaterThan": ">", "GreaterThan": ">="}


def _divisibility(a: Any, b: Any) -> tuple[Any, int] | None:
    """``(X, k)`` when ``a`` is ``X`` and ``b`` is ``k*FloorDiv(X, k)``."""
    if type(b).__name__ != "Mul" or len(b.args) != 2:
        return None
    coeff, rest = b.args if b.args[0].is_Integer else b.args[::-1]
    if not coeff.is_Integer or type(rest).__name__ != "FloorDiv":
        return None
    if rest.args[1] == coeff and rest.args[0] == a:
        return a, int(coeff)
    return None


class _Printer:
    def __init__(self, names: Mapping[str, str | int]) -> None:
        self.names = names

    def relation(self, expr: Any) -> str:
        kind = type(expr).__name__
        if kind in {"Equality", "Unequality"}:
            divisor = _divisibility(*expr.args) or _divisibility(*reversed(expr.args))
            if divisor is not None:  # X == k*(X//k): "X % k == 0"
                return f"{self.text(divisor[0])} % {divisor[1]} {_RELATIONS[kind]} 0"
        if kind in _RELATIONS:
            lhs, rhs = (_strip(self.text(a)) for a in expr.args)
            return f"{lhs} {_RELATIONS[kind]} {rhs}"
        if kind in {"And", "Or"}:
            joiner = " and " if kind == "And" else " or "
            return joiner.join(f"({self.relation(a)})" for a in expr.args)
        if kind == "Not":
            return f"not ({self.relation(expr.args[0])})"
        if kind in {"BooleanTrue", "BooleanFalse"}:
            return "true" if kind == "BooleanTrue" else "false"
        raise UnprintableExpr(f"cannot print the guard {kind}")

    def text(self, expr: Any) -> str:
        kind = type(expr).__name__
        method = getattr(self, f"_{kind}", None)
        if method is not None:
            return method(expr)
        if expr.is_Integer:
            value = int(expr)
            return str(value) if value >= 0 else f"({value})"
        if expr.is_Rational:
            return f"({expr.p}/{expr.q})"
        if expr.is_Float:
            return self._float(expr)
        if expr.is_Symbol:
            return self._symbol(expr)
        raise UnprintableExpr(f"cannot print {kind} in the expression grammar")

    def _float(self, expr: Any) -> str:
        value = Fraction(float(expr))
        if value.denominator & (value.denominator - 1):  # not dyadic: not what a size rule means
            raise UnprintableExpr(f"the float {float(expr)!r} has no exact form")
        return str(value.numerator) if value.denominator == 1 else f"({value.numerator}/{value.denominator})"

    def _symbol(self, expr: Any) -> str:
        name = self.names.get(expr.name)
        if name is None:
            raise UnprintableExpr(f"the symbol {expr.name} is not an input size (a data-dependent value?)")
        return str(name)

    def _call(self, name: str, *args: Any) -> str:
        return f"{name}({', '.join(self.text(a) for a in args)})"

    def _Add(self, expr: Any) -> str:
        terms = sorted(expr.args, key=lambda a: (a.is_number, a.could_extract_minus_sign(), str(a)))
        out = self.text(terms[0])
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                out += f" - {self.text(-term)}"
            else:
                out += f" + {self.text(term)}"
        return f"({out})"

    def _Mul(self, expr: Any) -> str:
        coeff, factors = expr.as_coeff_mul()
        body = "*".join(self.text(f) for f in factors)
        if coeff == 1:
            return body
        if coeff == -1:
            return f"(-{body})"
        if coeff.is_Integer:
            return f"({int(coeff)}*{body})"
        if coeff.is_Rational:
            top = body if coeff.p == 1 else f"{coeff.p}*{body}"
            return f"({top}/{coeff.q})"
        return f"({self.text(coeff)}*{body})"

    def _Pow(self, expr: Any) -> str:
        base, exp = expr.args
        if exp.is_Integer and 0 <= int(exp) <= _MAX_POW:
            return f"{self.text(base)}**{int(exp)}"
        if exp.is_Integer and int(exp) == -1:
            return f"(1/{self.text(base)})"
        raise UnprintableExpr(f"cannot print the power {exp}")

    def _FloorDiv(self, expr: Any) -> str:
        return f"({self.text(expr.args[0])} // {self.text(expr.args[1])})"

    def _PythonMod(self, expr: Any) -> str:
        return f"({self.text(expr.args[0])} % {self.text(expr.args[1])})"

    _Mod = _PythonMod

    def _CeilDiv(self, expr: Any) -> str:
        return f"ceil({self.text(expr.args[0])}/{self.text(expr.args[1])})"

    def _IntTrueDiv(self, expr: Any) -> str:
        return f"({self.text(expr.args[0])}/{self.text(expr.args[1])})"

    _FloatTrueDiv = _IntTrueDiv

    def _floor(self, expr: Any) -> str:
        return self._call("floor", expr.args[0])

    _FloorToInt = _floor

    def _ceiling(self, expr: Any) -> str:
        return self._call("ceil", expr.args[0])

    _CeilToInt = _ceiling

    def _TruncToInt(self, expr: Any) -> str:
        return self._call("floor", expr.args[0])

    def _same(self, expr: Any) -> str:
        return self.text(expr.args[0])

    _ToFloat = _same
    _Identity = _same
    _TruncToFloat = _same

    def _minmax(self, name: str, args: tuple[Any, ...]) -> str:
        args = tuple(sorted(args, key=str))
        out = self.text(args[-1])
        for arg in reversed(args[:-1]):
            out = f"{name}({self.text(arg)}, {out})"
        return out

    def _Max(self, expr: Any) -> str:
        return self._minmax("max", expr.args)

    def _Min(self, expr: Any) -> str:
        return self._minmax("min", expr.args)
