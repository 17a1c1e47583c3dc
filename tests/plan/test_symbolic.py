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


class TestFixesAtEveryAdmissibleSize:
    """A symbolic fix is given where it holds at every admissible size (or is the one applied: then a
    condition says where); else null, as the numeric answer is null at some sizes (a sweep of random plans at
    H against every numeric size found these)."""

    def test_an_output_padding_that_stride_2_refuses_at_some_sizes_is_null(self) -> None:
        body = {"encoder": [{"layers": [{"op": "conv", "kernel_size": 3, "stride": 2}]},
                            {"layers": [{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1}]}],
                "decoder": [{"up": [{"op": "conv_transpose", "kernel_size": 2, "stride": 2, "padding": 1}],
                             "skip": 0, "merge": "add"}], "align": "pad"}
        # The fit is floor((H - 3)/2) - 2*floor((H - 3)/4) + 1: 1 at H = 20, 2 (illegal) at H = 21.
        assert plan({**body, "input_size": [20]})["skips"][0]["output_padding"] == [1]
        assert plan({**body, "input_size": [21]})["skips"][0]["output_padding"] == [None]
        assert plan({**body, "input_size": ["H"]})["skips"][0]["output_padding"] == [None]  # was the expression

    def test_a_crop_of_the_decoder_that_would_be_negative_at_odd_sizes_is_null(self) -> None:
        body = {"encoder": [{"layers": [{"op": "conv", "kernel_size": 3}]},
                            {"layers": [{"op": "max_pool", "kernel_size": 2}]}],
                "decoder": [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 0, "merge": "concat"}],
                "align": "pad"}
        skip = plan({**body, "input_size": ["H"]})["skips"][0]
        assert skip["crop_decoder"] == [None]  # was [0, 2*floor(H/2) - H]: -1 at odd H
        assert skip["crop"][0][0] == 0 and all(_at(skip["crop"][0][1], h) == h % 2 for h in range(4, 30))
        assert plan({**body, "input_size": [21]})["skips"][0]["crop_decoder"] == [None]
