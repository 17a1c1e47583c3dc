"""canonicalize: nested floor/ceil collapse, checked by brute-force substitution."""

from __future__ import annotations

import math

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from convplan.expr import SymbolTable, canonicalize, parse_expression, parse_scalar, substitute, to_text

T = SymbolTable({"x": {"min": -100}})
x = T.symbol("x")


def _count(expr: sympy.Expr, cls: type) -> int:
    return sum(1 for node in sympy.preorder_traversal(expr) if isinstance(node, cls))


def test_unet_chain_collapses_to_one_floor() -> None:
    chained = parse_scalar("floor((floor((x - 4)/2) - 4)/2)", T)
    assert chained == sympy.floor((x - 12) / 4)
    assert _count(chained, sympy.floor) == 1
    assert to_text(chained) == "floor(x/4) - 3"
    for value in range(-100, 100):
        assert substitute(chained, {"x": value}) == ((value - 4) // 2 - 4) // 2


def test_sympy_built_chains_canonicalize_too() -> None:
    # Other modules build floors with SymPy's own constructors.
    built = sympy.floor((sympy.floor((x - 4) / 2) - 4) / 2)
    assert canonicalize(built) == sympy.floor((x - 12) / 4)
    deep = x
    for _ in range(4):
        deep = sympy.floor((deep - 4) / 2)
    result = canonicalize(deep)
    assert _count(result, sympy.floor) == 1
    for value in range(-60, 200, 7):
        expected = value
        for _ in range(4):
            expected = (expected - 4) // 2
        assert substitute(result, {"x": value}) == expected


def test_ceil_chain_and_mixed_chain() -> None:
    ceil_chain = parse_scalar("ceil((ceil((x + 1)/3) + 2)/2)", T)
    assert _count(ceil_chain, sympy.ceiling) == 1
    mixed = parse_scalar("ceil((floor(x/2) + 1)/2)", T)  # not an identity: must stay nested
    assert _count(mixed, sympy.floor) == 1 and _count(mixed, sympy.ceiling) == 1
    for value in range(-50, 50):
        assert substitute(ceil_chain, {"x": value}) == math.ceil((math.ceil((value + 1) / 3) + 2) / 2)
        assert substitute(mixed, {"x": value}) == math.ceil((value // 2 + 1) / 2)


def test_symbolic_integer_offset_is_allowed() -> None:
    table = SymbolTable({"x": {"min": -100}, "k": {"min": 0}})
    value = parse_scalar("floor((floor(x/3) + k)/2)", table)
    assert _count(value, sympy.floor) == 1
    for xv in range(-20, 20):
        for kv in range(0, 5):
            assert substitute(value, {"x": xv, "k": kv}) == (xv // 3 + kv) // 2


def test_non_unit_coefficient_is_left_alone() -> None:
    value = parse_scalar("floor(3*floor(x/2)/4)", T)  # floor(3*floor(y)/4) != floor(3*y/4)
    assert _count(value, sympy.floor) == 2
    for v in range(-30, 30):
        assert substitute(value, {"x": v}) == (3 * (v // 2)) // 4


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["floor", "ceil"]),
    st.integers(-9, 9),
    st.integers(1, 5),
    st.integers(-9, 9),
    st.integers(1, 5),
    st.integers(-9, 9),
    st.integers(1, 4),
)
def test_nested_rounding_identity_by_brute_force(
    func: str, a: int, b: int, r: int, n: int, s: int, m: int
) -> None:
    text = f"{func}(({func}(({func}((x + {a})/{b}) + {r})/{n}) + {s})/{m})"
    value = parse_scalar(text, T)
    cls = sympy.floor if func == "floor" else sympy.ceiling
    assert _count(value, cls) <= 1, to_text(value)
    rnd = math.floor if func == "floor" else math.ceil
    from fractions import Fraction as F

    for v in range(-100, 60):
        expected = rnd((rnd((rnd(F(v + a, b)) + r) / F(n)) + s) / F(m))
        assert substitute(value, {"x": v}) == expected, (text, v)
    assert canonicalize(value) == value
    assert parse_expression(str(to_text(value)), T) == value


def test_integer_terms_are_pulled_out_and_results_are_stable() -> None:
    value = parse_scalar("floor(x/2 + 3) + ceil(x/3 - 2)", T)
    assert value == sympy.floor(x / 2) + sympy.ceiling(x / 3) + 1
    assert canonicalize(canonicalize(value)) == canonicalize(value)
    assert canonicalize(5) == sympy.Integer(5)


def test_mod_rewrite_proves_integrality() -> None:
    table = SymbolTable()
    H = table.symbol("H")
    assert parse_scalar("(H - H%2)/2", table) == sympy.floor(H / 2)
    assert parse_scalar("(H - H%3)/3 + 1", table) == sympy.floor(H / 3) + 1
    assert parse_scalar("2*n/2", table) == table.symbol("n")
