"""Symbolic sizes: general formulas, U-Net on 16*n, conditions."""

from __future__ import annotations

import random

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from convplan.expr import SymbolTable, parse_expression, substitute
from tests.shapes.conftest import refused, shapes


def value_of(text, **symbols):
    return substitute(parse_expression(str(text), SymbolTable()), symbols)


def test_conv_with_every_parameter_a_symbol_gives_the_general_formula():
    out = shapes(["i"], [{"op": "conv", "kernel_size": "k", "stride": "s", "padding": ["p"], "dilation": "d"}],
                 symbols={"p": {"min": 0}})
    got = parse_expression(out["output_size"][0], SymbolTable({"p": {"min": 0}}))
    i, k, s, p, d = sympy.symbols("i k s p d", integer=True)
    expected = sympy.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1
    for _ in range(200):
        vals = {"i": random.randint(1, 60), "k": random.randint(1, 5), "s": random.randint(1, 4),
                "p": random.randint(0, 3), "d": random.randint(1, 3)}
        expect = int(expected.subs({sympy.Symbol(n, integer=True): v for n, v in vals.items()}))
        assert substitute(got, vals) == expect, vals
    assert out["output_size_latex"][0]


def test_conv_transpose_with_every_parameter_a_symbol():
    out = shapes(["i"], [{"op": "conv_transpose", "kernel_size": "k", "stride": "s", "padding": ["p"],
                          "dilation": "d", "output_padding": "q"}], symbols={"p": {"min": 0}, "q": {"min": 0}})
    got = parse_expression(out["output_size"][0], SymbolTable({"p": {"min": 0}, "q": {"min": 0}}))
    for _ in range(100):
        v = {"i": random.randint(1, 30), "k": random.randint(1, 5), "s": random.randint(1, 4),
             "p": random.randint(0, 3), "d": random.randint(1, 3), "q": random.randint(0, 2)}
        assert substitute(got, v) == (v["i"] - 1) * v["s"] - 2 * v["p"] + v["d"] * (v["k"] - 1) + v["q"] + 1
    assert any("output padding" in (c["where"] or "") for c in out["conditions"])


def padded_unet(depth: int) -> list[dict]:
    down = [{"op": "conv", "kernel_size": 3, "padding": 1}, {"op": "relu"}] * 2 + [{"op": "max_pool", "kernel_size": 2}]
    up = [{"op": "conv_transpose", "kernel_size": 2, "stride": 2}] + [
        {"op": "conv", "kernel_size": 3, "padding": 1}
    ] * 2
    return down * depth + up * depth


def test_padded_unet_on_16n_comes_back_as_16n_with_bottleneck_n():
    out = shapes(["16*n"], padded_unet(4))
    assert out["output_size"] == ["16*n"]
    bottleneck = out["layers"][4 * 5 - 1]["output_size"]
    assert bottleneck == ["n"]
    assert out["conditions"] == []


def test_floor_chain_is_canonical():
    out = shapes(
        ["H"],
        [
            {"op": "conv", "kernel_size": 5},
            {"op": "max_pool", "kernel_size": 2},
            {"op": "conv", "kernel_size": 5},
            {"op": "max_pool", "kernel_size": 2},
        ],
    )
    text = out["output_size"][0]
    assert text.count("floor") == 1, text
    for h in range(14, 80):
        assert value_of(text, H=h) == ((h - 4) // 2 - 4) // 2


def test_undecidable_check_becomes_a_condition():
    out = shapes(["H"], [{"op": "conv", "kernel_size": 3}, {"op": "max_pool", "kernel_size": 2}])
    assert out["conditions"], out
    assert all(c["layer"] in (0, 1) for c in out["conditions"])


def test_check_false_for_every_value_is_refused():
    err = refused(["H"], {"op": "max_pool", "kernel_size": 2, "padding": "H + 5"})
    assert err.status == 422


def test_not_integer_valued_input_is_refused():
    assert refused(["H/2"], {"op": "relu"}).status == 422


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2), st.booleans(), st.integers(0, 40))
def test_symbolic_result_substitutes_to_the_numeric_one(k, s, p, d, ceil, extra):
    layers = [
        {"op": "conv", "kernel_size": k, "stride": s, "padding": p, "dilation": d},
        {"op": "max_pool", "kernel_size": 2, "ceil_mode": ceil},
    ]
    symbolic = shapes(["H"], layers)
    h = d * (k - 1) + 1 + 2 + extra  # large enough for both layers
    try:
        numeric = shapes([h], layers)
    except Exception:
        return
    for sym_layer, num_layer in zip(symbolic["layers"], numeric["layers"]):
        assert value_of(sym_layer["output_size"][0], H=h) == num_layer["output_size"][0]
