"""to_text / to_latex: readable output in our grammar that round-trips through the parser."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings

from convplan.expr import (
    ExpressionError,
    ExprLimits,
    SymbolTable,
    canonicalize,
    parse_expression,
    parse_scalar,
    substitute,
    to_latex,
    to_text,
)
from convplan.expr._build import as_fraction, rebuild

from .strategies import LimitHit, expression_text, reference

T = SymbolTable({"W": {"min": 0}, "N": {"min": -4}})
ROOMY_T = SymbolTable({"W": {"min": 0}, "N": {"min": -4}}, ExprLimits(max_length=100_000, max_nodes=10_000))


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("H", "H"),
        ("16*n", "16*n"),
        ("H - 184", "H - 184"),
        ("-184 + H", "H - 184"),
        ("3 - H", "3 - H"),
        ("-H - 3", "-H - 3"),
        ("W - 2*H", "W - 2*H"),
        ("2*n - 2", "2*(n - 1)"),
        ("-2*n - 2", "-2*(n + 1)"),
        ("(H - 3)//2", "floor((H - 3)/2)"),
        ("floor((H - 4)/2)", "floor(H/2) - 2"),
        ("(H - 4)//2 + 1", "floor(H/2) - 1"),
        ("ceil((H - 5)/2) + 1", "ceil((H - 5)/2) + 1"),
        ("min(ceil((i - 1)/2), floor((i + 1)/2)) + 1", "min(ceil((i - 1)/2), floor((i + 1)/2)) + 1"),
        ("H % 2", "H%2"),
        ("3*(H%2)", "3*(H%2)"),
        ("-(H%2)", "-(H%2)"),
        ("(H + 1)%2", "(H + 1)%2"),
        ("H - H%2", "H - H%2"),
        ("(H + 1)**2", "(H + 1)**2"),
        ("H**2*W", "H**2*W"),
        ("-H**2", "-H**2"),
        ("1/H", "1/H"),
        ("H/(2*W)", "H/(2*W)"),
        ("3*H/2", "3*H/2"),
        ("-3*H/2", "-3*H/2"),
        ("H/2 + 1/3", "(3*H + 2)/6"),
        ("max(H, W, 3)", "max(3, H, W)"),
        ("floor(H/W)", "floor(H/W)"),
        ("(H + 1)*(W + 2)", "(H + 1)*(W + 2)"),
        ("7/2", "7/2"),
        ("-7/2", "-7/2"),
    ],
)
def test_printed_forms(text: str, printed: str) -> None:
    value = parse_expression(text, T)
    assert to_text(value) == printed
    assert parse_expression(printed, T) == value


def test_integers_print_as_json_integers() -> None:
    assert to_text(7) == 7 and type(to_text(7)) is int
    assert to_text(sympy.Integer(-3)) == -3 and type(to_text(sympy.Integer(-3))) is int
    assert to_text(Fraction(8, 2)) == 4
    assert to_text(Fraction(7, 2)) == "7/2"
    assert to_text(sympy.Rational(-7, 2)) == "-7/2"
    with pytest.raises(TypeError):
        to_text(True)
    with pytest.raises(TypeError):
        to_text(1.5)  # type: ignore[arg-type]


def test_printer_refuses_what_the_grammar_cannot_say() -> None:
    x = T.symbol("H")
    for expr in (sympy.sqrt(x), sympy.Abs(x - 3), sympy.Symbol("bad name"), sympy.pi * x):
        with pytest.raises(ValueError):
            to_text(expr)


def test_latex() -> None:
    assert to_latex(5) is None
    assert to_latex(sympy.Integer(5)) is None
    assert to_latex(Fraction(10, 5)) is None
    assert to_latex(Fraction(1, 2)) == r"\frac{1}{2}"
    assert to_latex(parse_expression("(H - 3)//2", T)) == r"\left\lfloor{\frac{H}{2} - \frac{3}{2}}\right\rfloor"
    assert "lceil" in to_latex(parse_expression("ceil(H/2)", T))


@pytest.mark.parametrize(("name", "latex"), [
    ("H_in", "H_{in}"), ("k_1", "k_{1}"), ("alpha", r"\alpha"), ("W2", "W_{2}"),
    # SymPy's sub/superscript convention mangles these ("__import^{}"): upright, underscores as written
    ("__import__", r"\mathrm{\_\_import\_\_}"), ("_k", r"\mathrm{\_k}"), ("H__2", r"\mathrm{H\_\_2}"),
    ("a_", r"\mathrm{a\_}")])
def test_latex_of_a_name(name: str, latex: str) -> None:
    assert to_latex(parse_expression(name, T)) == latex
    assert to_latex(parse_expression(f"{name} + 1", T)) == f"{latex} + 1"


def test_printer_never_uses_sympy_str() -> None:
    # SymPy would print 'Mod(H, 2)', 'ceiling(...)', 'Min(...)': none of those is in our grammar.
    text = to_text(parse_expression("min(H%2, ceil(H/3)) + max(W, 2)", T))
    assert isinstance(text, str)
    for word in ("Mod", "ceiling", "Min", "Max"):
        assert word not in text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expression_text(symbols=("H", "W", "N"), small=9))
def test_round_trip(text: str) -> None:
    try:
        value = parse_expression(text, ROOMY_T)
    except ExpressionError:
        assume(False)
        return
    printed = to_text(value)
    if isinstance(value, Fraction):
        assert parse_expression(str(printed), ROOMY_T) == value
        return
    assert isinstance(printed, str)
    again = parse_expression(printed, ROOMY_T)
    assert again == value, (text, printed)
    assert to_text(again) == printed  # the printed form is a fixed point


def _evaluate(value: object, values: dict[str, int]) -> Fraction | None:
    if isinstance(value, Fraction):
        return value
    assert isinstance(value, sympy.Expr)
    leaf = {s: sympy.Integer(values[s.name]) for s in value.free_symbols}
    return as_fraction(rebuild(value, leaf=leaf))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expression_text(symbols=("H", "W", "N"), small=9))
def test_parsed_value_matches_python_at_integer_points(text: str) -> None:
    """Parsing (incl. canonicalize and the printer round trip) never changes the value."""
    try:
        value = parse_expression(text, ROOMY_T)
    except ExpressionError:
        assume(False)
        return
    printed = parse_expression(str(to_text(value)), ROOMY_T)
    rng = random.Random(text)
    for _ in range(12):
        point = {"H": rng.randint(1, 12), "W": rng.randint(0, 12), "N": rng.randint(-4, 12)}
        try:
            expected = reference(text, point)
        except (ZeroDivisionError, LimitHit):
            continue
        assert _evaluate(value, point) == expected, (text, point)
        assert _evaluate(printed, point) == expected, (text, point)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expression_text(symbols=("H", "W"), small=9))
def test_integer_scalars_substitute_to_the_numeric_result(text: str) -> None:
    """A symbolic parse_scalar result substituted equals parsing the text with numbers in place."""
    try:
        value = parse_scalar(text, ROOMY_T)
    except ExpressionError:
        assume(False)
        return
    rng = random.Random(text)
    for _ in range(8):
        point = {"H": rng.randint(1, 15), "W": rng.randint(0, 15)}
        try:
            expected = reference(text, point)
        except (ZeroDivisionError, LimitHit):
            continue
        assert expected.denominator == 1, text  # parse_scalar proved integrality
        assert substitute(value, point) == expected, (text, point)


def test_canonical_objects_are_stable() -> None:
    for text in ["floor((floor((x - 4)/2) - 4)/2)", "(H - H%2)/2 + min(H, W)", "ceil((ceil(H/2) + 1)/3)"]:
        value = parse_expression(text, T)
        assert canonicalize(value) == value
        assert parse_expression(str(to_text(value)), T) == value
