"""compile_at_points: an expression's exact value at integer points, as SymPy's substitution gives it."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convplan.expr import ExpressionError, SymbolTable, compile_at_points, parse_expression, substitute

_ATOMS = st.sampled_from(["H", "W", "n", "2", "3", "7", "16"])


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(_ATOMS)
    a, b = draw(_expressions(depth - 1)), draw(_expressions(depth - 1))
    form = draw(st.sampled_from(["({a} + {b})", "({a} - {b})", "({a} * {b})", "({a} // 2)", "({a} // {b})",
                                 "min({a}, {b})", "max({a}, {b})", "({a} % 3)", "ceil({a} / 4)", "({a})**2"]))
    return form.format(a=a, b=b)


@settings(max_examples=400, deadline=None)
@given(_expressions(), st.integers(1, 500), st.integers(1, 500), st.integers(1, 40))
def test_the_compiled_value_is_the_substituted_one(text: str, h: int, w: int, n: int) -> None:
    table = SymbolTable({"H": {"min": 1}, "W": {"min": 1}, "n": {"min": 1}})
    try:
        expr = parse_expression(text, table)
    except ExpressionError:  # a constant division by zero: refused while parsing
        assume(False)
    at = compile_at_points(expr)
    assert at is not None
    values = {"H": h, "W": w, "n": n}
    try:
        expected: int | None = substitute(expr, values)
    except ExpressionError:  # a division by zero there (every form here is integral otherwise)
        expected = None
    try:
        got = at(values)
    except ZeroDivisionError:
        got = None
    assert got == expected and (got is None or type(got) is int or Fraction(got).denominator == 1)


def test_torch_style_declared_sizes() -> None:
    table = SymbolTable({"s53": {"min": 1}})
    expr = parse_expression("min(((s53//2)) - 2, 2*s53 + 1)", table)
    at = compile_at_points(expr)
    assert at is not None and at({"s53": 100}) == 48 and at({"s53": 1}) == -2
