"""Symbolic input sizes: sizes as expressions, undecidable equalities as conditions, valid sizes from the
numeric per-axis solver."""

from __future__ import annotations

from convplan.expr import SymbolTable, parse_scalar

from .stacks import plan, unet


def _at(text: str | int, h: int) -> int:
    """The value of a response expression at H = h (responses are never compared as text)."""
    table = SymbolTable({})
    return int(parse_scalar(str(text), table).subs(table.symbol("H"), h))


def test_multiple_of_the_period_is_exact() -> None:
    out = plan({"input_size": ["16*n"], "template": unet(depth=2, conv={"padding": 1})})
    assert out["output_size"] == ["16*n"]
    assert [s["aligned"] for s in out["skips"]] == [True, True]
    assert out["valid_input_sizes"][0]["residues"] == [0] and out["valid_input_sizes"][0]["modulus"] == 4
    assert out["valid_input_sizes"][0]["nearest"] == {"below": None, "above": None}


def test_padded_unet_on_h_pads_by_an_expression() -> None:
    out = plan({"input_size": ["H"], "template": unet(depth=2, conv={"padding": 1}), "align": "pad"})
    assert all(_at(out["output_size"][0], h) == h for h in range(4, 40))
    deepest = out["skips"][0]
    for h in range(8, 40):
        assert _at(deepest["encoder_size"][0], h) == h // 2 and _at(deepest["decoder_size"][0], h) == h // 4 * 2
        assert deepest["pad"][0][0] == 0 and _at(deepest["pad"][0][1], h) == h // 2 - h // 4 * 2
    assert deepest["pad_latex"][0][0] is None and deepest["pad_latex"][0][1]
    assert deepest["applied"] == "pad"


def test_valid_unet_on_h_crops_by_the_constant_offset() -> None:
    out = plan({"input_size": ["H"], "template": unet(depth=2)})
    assert [s["crop"][0][0] for s in out["skips"]] == [4, 16]
    assert any(c["expr"] == "H >= 44" for c in out["conditions"])
    assert out["valid_input_sizes"][0]["min"] == 44 and out["valid_input_sizes"][0]["output_size"] == "i - 40"
