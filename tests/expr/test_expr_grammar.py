"""Grammar, precedence and constant folding, checked against Python's own parser."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convplan.expr import ExpressionError, ExprLimits, SymbolTable, parse_expression, parse_scalar

from .strategies import LimitHit, expression_text, reference

ROOMY = ExprLimits(max_length=100_000, max_nodes=10_000)


def table(limits: ExprLimits = ExprLimits(), **mins: int) -> SymbolTable:
    return SymbolTable({name: {"min": low} for name, low in mins.items()}, limits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        ("  7 ", 7),
        ("1+2*3", 7),
        ("(1+2)*3", 9),
        ("10-4-3", 3),
        ("2*3//4", 1),
        ("2*(3//4)", 0),
        ("7//2", 3),
        ("-7//2", -4),
        ("7//-2", -4),
        ("-7%3", 2),
        ("7%-3", -2),
        ("-7%-3", -1),
        ("100%7*2", 4),
        ("2**3**2", 512),
        ("(2**3)**2", 64),
        ("-2**2", -4),
        ("(-2)**2", 4),
        ("2*-3", -6),
        ("--3", 3),
        ("+3", 3),
        ("-+-3", 3),
        ("2**0", 1),
        ("0**0", 1),
        ("16*4", 64),
        ("2**4", 16),
        ("6/4*2", 3),
        ("floor(7/2)", 3),
        ("floor(-7/2)", -4),
        ("ceil(7/2)", 4),
        ("ceil(-7/2)", -3),
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("max(-1,-2)", -1),
        ("min(1/2, 1) * 4", 2),
        ("999999999999999999", 999_999_999_999_999_999),
        ("2**16", 65536),
        ("\t1\n+\r2", 3),
    ],
)
def test_constant_examples(text: str, expected: int) -> None:
    value = parse_scalar(text, table())
    assert value == expected
    assert type(value) is int  # numeric requests stay plain Python ints


def test_constant_rationals_are_exact() -> None:
    assert parse_expression("7/2", table()) == Fraction(7, 2)
    assert parse_expression("1/3 + 1/6", table()) == Fraction(1, 2)
    assert isinstance(parse_expression("1/3 + 1/6", table()), Fraction)
    assert parse_expression("6/3", table()) == 2


@pytest.mark.parametrize("a", [-7, -6, -1, 0, 1, 5, 6, 7, 13])
@pytest.mark.parametrize("b", [-4, -3, -1, 1, 2, 3, 5])
def test_floor_division_and_modulo_of_negatives_match_python(a: int, b: int) -> None:
    assert parse_scalar(f"({a})//({b})", table()) == a // b
    assert parse_scalar(f"({a})%({b})", table()) == a % b
    assert parse_scalar(f"{a}//{b}".replace("--", "- -"), table()) == eval(f"{a}//{b}".replace("--", "- -"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression_text())
def test_constant_expressions_agree_with_python(text: str) -> None:
    try:
        expected: Fraction | str = reference(text)
    except ZeroDivisionError:
        expected = "zero_division"
    except LimitHit:
        expected = "limit"
    try:
        got: Fraction | str = parse_expression(text, table(ROOMY))
    except ExpressionError as exc:
        got = exc.kind
    assert got == expected, text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression_text(), st.sampled_from(["", " ", "  "]))
def test_whitespace_never_changes_the_value(text: str, pad: str) -> None:
    def run(t: str) -> object:
        try:
            return parse_expression(t, table(ROOMY))
        except ExpressionError as exc:
            return exc.kind

    assert run(text) == run(f"{pad}{text}{pad}")


def test_symbols_and_functions_build_sympy() -> None:
    t = table(W=0)
    H, W = t.symbol("H"), t.symbol("W")
    assert parse_expression("H", t) == H
    assert parse_expression("16*n", t) == 16 * t.symbol("n")
    assert parse_expression("H + W*2", t) == H + 2 * W
    assert parse_expression("H**2", t) == H**2
    assert parse_expression("(H - 4)//2", t) == sympy.floor((H - 4) / 2)
    assert parse_expression("ceil(H/3)", t) == sympy.ceiling(H / 3)
    assert parse_expression("H % 3", t) == sympy.Mod(H, 3)
    assert parse_expression("H/W", t) == H / W
    assert parse_expression("min(H, W)", t) == sympy.Min(H, W)
    assert parse_expression("max(H, W, 4)", t) == sympy.Max(H, W, 4)


def test_symbol_assumptions_follow_min() -> None:
    t = table(Z=0, N=-3)
    assert t.symbol("H").is_positive and t.symbol("H").is_integer
    assert t.symbol("Z").is_nonnegative and t.symbol("Z").is_positive is None
    assert t.symbol("N").is_integer and t.symbol("N").is_nonnegative is None
    assert t.min_of("H") == 1 and t.min_of("Z") == 0 and t.min_of("N") == -3
    assert t.symbol("H") is t.symbol("H")


def test_table_accepts_objects_with_min() -> None:
    class Spec:
        min = 0

    assert SymbolTable({"p": Spec()}).min_of("p") == 0


@pytest.mark.parametrize(
    ("specs", "kind"),
    [
        ({"floor": {"min": 1}}, "syntax"),
        ({"1x": {"min": 1}}, "syntax"),
        ({"H": {"min": 1.5}}, "type"),
        ({"H": {"min": True}}, "type"),
        ({"H": {"min": 10**30}}, "limit"),
    ],
)
def test_bad_symbol_specs(specs: dict, kind: str) -> None:
    with pytest.raises(ExpressionError) as info:
        SymbolTable(specs)
    assert info.value.kind == kind


def test_closed_table_refuses_unknown_symbols() -> None:
    t = SymbolTable({"H": {"min": 1}}, closed=True)
    assert parse_scalar("H + 1", t) == t.symbol("H") + 1
    with pytest.raises(ExpressionError) as info:
        parse_scalar("H + W", t)
    assert info.value.kind == "unknown_symbol"
    assert "position 5" in info.value.message


def test_limits_are_configurable() -> None:
    tight = ExprLimits(max_length=5, max_exponent=2, max_depth=3, max_integer_digits=2, max_nodes=5)
    for text in ["123456", "2**3", "((((1))))", "100", "1+1+1+1"]:
        with pytest.raises(ExpressionError) as info:
            parse_scalar(text, SymbolTable(limits=tight))
        assert info.value.kind == "limit", text
    assert parse_scalar("2**2", SymbolTable(limits=tight)) == 4


@pytest.mark.parametrize(
    "bad",
    [
        dict(max_depth=10_000),
        dict(max_exponent=-1),
        dict(max_length=0),
        dict(max_nodes=True),
    ],
)
def test_limits_reject_unsafe_configuration(bad: dict) -> None:
    with pytest.raises(ValueError):
        ExprLimits(**bad)


def test_limits_are_frozen() -> None:
    limits = ExprLimits()
    with pytest.raises(AttributeError):
        limits.max_length = 5  # type: ignore[misc]
    assert (limits.max_length, limits.max_exponent, limits.max_depth) == (256, 16, 32)
    assert (limits.max_integer_digits, limits.max_nodes, limits.max_magnitude) == (18, 200, 10**18)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("H +@", "unexpected character '@' at position 4"),
        ("2**99", "exponent 99 of '**' at position 2 is above the limit 16"),
        ("1 2", "unexpected number 2 at position 3"),
        ("(1 + 2", "expected ')' to close the '(' at position 1"),
        ("min(1, 2", "',' or ')'"),
        ("foo(1)", "unknown function 'foo' at position 1"),
        ("1 // (3 - 3)", "division by zero: the right operand of '//' at position 3"),
    ],
)
def test_messages_quote_the_position(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_scalar(text, table())
    assert fragment in info.value.message
    assert str(info.value) == info.value.message


def test_error_kind_is_validated() -> None:
    with pytest.raises(ValueError):
        ExpressionError("x", kind="nonsense")
    err = ExpressionError("bad", kind="syntax")
    assert isinstance(err, ValueError) and err.kind == "syntax" and err.message == "bad"
