"""Hostile and malformed input: every case is refused with the right kind, quickly.

No timing assertions (they flake); the whole list simply has to run, and deep
inputs are also tried under roomy limits to show the depth counter -- not the
interpreter's recursion limit -- is what stops them."""

from __future__ import annotations

import math

import pytest

from convplan.expr import ExpressionError, ExprLimits, SymbolTable, parse_expression, parse_scalar

HOSTILE: list[tuple[str, str]] = [
    ("__import__('os').system('x')", "syntax"),
    ("lambda: 1", "syntax"),
    ("H.__class__", "syntax"),
    ("().__class__", "syntax"),
    ("[1]", "syntax"),
    ("{1}", "syntax"),
    ("'a'", "syntax"),
    ('"a"', "syntax"),
    ("1 if 1 else 2", "syntax"),
    ("9**9**9**9", "limit"),
    ("2**1000", "limit"),
    ("10**100", "limit"),
    ("99999**16", "limit"),
    ("10**9*10**9", "limit"),
    ("1/10**9/10**9", "limit"),
    ("99999999999999999999", "limit"),
    ("a" * 100_000, "limit"),
    ("x" * 33, "syntax"),
    ("Ｈ", "syntax"),  # fullwidth H
    ("Н", "syntax"),  # Cyrillic EN
    ("１", "syntax"),  # fullwidth digit one
    ("H\u200b", "syntax"),  # zero-width space
    ("1/0", "zero_division"),
    ("1//0", "zero_division"),
    ("1%0", "zero_division"),
    ("1/(2-2)", "zero_division"),
    ("H/(H-H)", "zero_division"),
    ("H%(2*H - H - H)", "zero_division"),
    ("(" * 10_000 + "1" + ")" * 10_000, "limit"),
    ("-" * 10_000 + "1", "limit"),
    ("(" * 40 + "1" + ")" * 40, "limit"),
    ("-" * 40 + "1", "limit"),
    ("floor()", "syntax"),
    ("floor(1, 2)", "syntax"),
    ("min(1)", "syntax"),
    ("max()", "syntax"),
    ("min(1, 2,)", "syntax"),
    ("foo(1)", "syntax"),
    ("Floor(1)", "syntax"),
    ("floor", "syntax"),
    ("min + 1", "syntax"),
    ("1 2", "syntax"),
    ("1 +", "syntax"),
    ("* 2", "syntax"),
    ("1 ** ", "syntax"),
    ("()", "syntax"),
    (")", "syntax"),
    ("(1))", "syntax"),
    ("", "syntax"),
    ("   ", "syntax"),
    ("1.5", "syntax"),
    ("3.0", "syntax"),
    (".5", "syntax"),
    ("1e3", "syntax"),
    ("0x10", "syntax"),
    ("1_000", "syntax"),
    ("007", "syntax"),
    ("2H", "syntax"),
    ("True", "syntax"),
    ("None", "syntax"),
    ("import", "syntax"),
    ("H = 1", "syntax"),
    ("H; 1", "syntax"),
    ("H # comment", "syntax"),
    ("a and b", "syntax"),
    ("1 < 2", "syntax"),
    ("~1", "syntax"),
    ("1 ^ 2", "syntax"),
    ("1 & 2", "syntax"),
    ("2 ** H", "syntax"),
    ("2**-1", "limit"),
    ("2**17", "limit"),
    ("2**(1/2)", "not_integer"),
    ("7/2", "not_integer"),
    ("H/2", "not_integer"),
    ("H/W", "not_integer"),
    ("1/H", "not_integer"),
    ("H*10**17*10", "limit"),
    ("((((H+1)**16)**16)**16)", "limit"),
    ("(((((((H+1)**16+1)**16+1)**16+1)**16+1)**16+1)**16+1)**16", "limit"),
    ("(2*H)**16*(3*W)**16", "limit"),
    ("+".join(["H"] * 201), "limit"),
    ("+".join(["1"] * 110), "limit"),  # 219 characters but 219 nodes
    ("min(" + ",".join(f"a{i}" for i in range(120)) + ")", "limit"),
]


@pytest.mark.parametrize(("text", "kind"), HOSTILE, ids=[repr(t[:24]) for t, _ in HOSTILE])
def test_hostile_strings_are_refused(text: str, kind: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_scalar(text, SymbolTable())
    assert info.value.kind == kind, info.value.message
    assert info.value.message and len(info.value.message) < 400  # never echoes a huge input


def test_node_limit_is_its_own_check() -> None:
    text = "+".join(["H"] * 110)
    assert len(text) <= ExprLimits().max_length
    with pytest.raises(ExpressionError) as info:
        parse_scalar(text, SymbolTable())
    assert info.value.kind == "limit" and "too complex" in info.value.message


def test_whole_hostile_list_runs_in_one_go() -> None:
    kinds = []
    for text, _ in HOSTILE:
        try:
            parse_scalar(text, SymbolTable())
        except ExpressionError as exc:
            kinds.append(exc.kind)
    assert kinds == [kind for _, kind in HOSTILE]


ROOMY = ExprLimits(max_length=100_000, max_depth=64, max_nodes=10_000)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "1" + ")" * 10_000,
        "-" * 10_000 + "1",
        "+" * 10_000 + "1",
        "floor(" * 5_000 + "1" + ")" * 5_000,
        "2**" * 5_000 + "1",
        "min(1, " * 3_000 + "1" + ")" * 3_000,
    ],
)
def test_deep_nesting_stops_at_the_depth_counter_not_the_recursion_limit(text: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_scalar(text, SymbolTable(limits=ROOMY))
    assert info.value.kind == "limit"
    assert "nested too deeply" in info.value.message


def test_maximum_allowed_depth_still_parses() -> None:
    depth = ROOMY.max_depth - 1
    assert parse_scalar("(" * depth + "H" + ")" * depth, SymbolTable(limits=ROOMY)) == SymbolTable().symbol("H")
    text = "floor(" * depth + "H" + ")" * depth
    assert parse_scalar(text, SymbolTable(limits=ROOMY)) == SymbolTable().symbol("H")


@pytest.mark.parametrize(
    "value",
    [True, False, 3.0, 1.5, float("nan"), float("inf"), None, [1], {"a": 1}, (1,), b"1", object()],
    ids=repr,
)
def test_non_int_non_string_json_values_are_type_errors(value: object) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_scalar(value, SymbolTable())
    assert info.value.kind == "type"
    with pytest.raises(ExpressionError) as info:
        parse_expression(value, SymbolTable())  # type: ignore[arg-type]
    assert info.value.kind == "type"


def test_int_subclasses_other_than_bool_pass_and_huge_ints_do_not() -> None:
    assert parse_scalar(7, SymbolTable()) == 7
    assert parse_scalar(-3, SymbolTable()) == -3
    assert math.isnan(float("nan"))
    with pytest.raises(ExpressionError) as info:
        parse_scalar(10**30, SymbolTable())
    assert info.value.kind == "limit"


def test_lookalike_message_names_the_character() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_scalar("Н + 1", SymbolTable())
    assert "U+041D" in info.value.message and "CYRILLIC" in info.value.message
    assert "position 1" in info.value.message
