"""Public surface: __all__, parse_scalar/parse_expression contracts, substitute, is_symbolic."""

from __future__ import annotations

import inspect
from fractions import Fraction

import pytest
import sympy

import convplan.expr as expr_api
from convplan.expr import (
    ExpressionError,
    SymbolTable,
    is_symbolic,
    parse_expression,
    parse_scalar,
    substitute,
    to_text,
)


def test_pinned_public_names() -> None:
    assert sorted(expr_api.__all__) == sorted(
        [
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
    )
    for name in expr_api.__all__:
        assert getattr(expr_api, name) is not None


def test_library_never_evaluates_user_text() -> None:
    import pathlib
    import re

    forbidden = re.compile(r"\b(sympify|parse_expr|eval|exec|compile|S|__import__|literal_eval)\s*\(")
    for path in pathlib.Path(inspect.getfile(expr_api)).parent.glob("*.py"):
        match = forbidden.search(path.read_text())
        assert match is None, (path.name, match and match.group(0))


def test_parse_scalar_strings() -> None:
    t = SymbolTable()
    n, H = t.symbol("n"), t.symbol("H")
    assert parse_scalar("16*n", t) == 16 * n
    assert parse_scalar("H", t) == H
    seven = parse_scalar("7", t)
    assert seven == 7 and type(seven) is int
    sixteen = parse_scalar("2**4", t)
    assert sixteen == 16 and type(sixteen) is int
    assert type(parse_scalar("H - H + 3", t)) is int
    assert type(parse_scalar(5, t)) is int
    with pytest.raises(ExpressionError) as info:
        parse_scalar("H/2", t)
    assert info.value.kind == "not_integer"
    assert "2*n" in info.value.message and "floor(H/2)" in info.value.message
    with pytest.raises(ExpressionError) as info:
        parse_scalar("7/2", t)
    assert info.value.kind == "not_integer" and "7/2" in info.value.message


def test_numeric_strings_do_not_touch_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("SymPy used for a numeric request")

    from convplan.expr import _fold

    monkeypatch.setattr(_fold, "to_sympy", boom)
    t = SymbolTable()
    assert parse_scalar("(3 + 4)*2**3 // 5 % 7 + min(1, 2) + floor(7/2) - ceil(1/3)", t) == 56 // 5 % 7 + 1 + 3 - 1
    assert parse_expression("1/3", t) == Fraction(1, 3)


def test_parse_expression_keeps_rationals() -> None:
    t = SymbolTable()
    H = t.symbol("H")
    assert parse_expression("H/2", t) == H / 2
    assert parse_expression("1/2 + 1/2", t) == 1
    assert isinstance(parse_expression("H - H + 1/2", t), Fraction)


def test_substitute() -> None:
    t = SymbolTable({"p": {"min": 0}})
    value = parse_scalar("floor((H + 2*p - 3)/2) + 1", t)
    assert substitute(value, {"H": 10, "p": 1}) == (10 + 2 - 3) // 2 + 1
    assert substitute(7, {}) == 7
    assert substitute(Fraction(8, 2), {}) == 4
    assert substitute(parse_scalar("min(H, p) + max(H, 3) + H%3", t), {"H": 5, "p": 0}) == 0 + 5 + 2
    assert substitute(parse_expression("ceil(H/3)", t), {"H": 7}) == 3
    with pytest.raises(ExpressionError) as info:
        substitute(value, {"H": 3})
    assert info.value.kind == "unknown_symbol"
    with pytest.raises(ExpressionError) as info:
        substitute(parse_expression("H/2", t), {"H": 3})
    assert info.value.kind == "not_integer"
    with pytest.raises(ExpressionError) as info:
        substitute(parse_expression("floor(6/(H - 1))", t), {"H": 1})
    assert info.value.kind == "zero_division"
    with pytest.raises(ExpressionError) as info:
        substitute(parse_expression("6%(H - 1)", t), {"H": 1})
    assert info.value.kind == "zero_division"
    with pytest.raises(ExpressionError) as info:
        substitute(value, {"H": True, "p": 0})
    assert info.value.kind == "type"


def test_is_symbolic() -> None:
    t = SymbolTable()
    assert is_symbolic(t.symbol("H"))
    assert is_symbolic(parse_scalar("2*H", t))
    assert not is_symbolic(3)
    assert not is_symbolic(sympy.Integer(3))
    assert not is_symbolic(Fraction(1, 2))
    assert not is_symbolic("H")


def test_min_max_stay_cheap_and_exact() -> None:
    t = SymbolTable()
    H = t.symbol("H")
    assert parse_scalar("max(H - 1, H + 2, 0)", t) == sympy.Max(H + 2, 0, evaluate=False)
    assert parse_scalar("min(H, min(W, 3), 5)", t) == parse_scalar("min(3, H, W)", t)
    assert to_text(parse_scalar("min(H, H)", t)) == "H"
    wide = "min(" + ", ".join(f"floor(H/{i})" for i in range(2, 20)) + ")"
    assert len(wide) < 256 and "min(" in to_text(parse_scalar(wide, t))
