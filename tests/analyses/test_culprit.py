"""The culprit of a mismatch (contract section 7): the first rounding layer after the paths part."""

from __future__ import annotations

from typing import Any

import pytest

from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from tests.graph.networks import body, unet


def _run(request: dict[str, Any]) -> dict[str, Any]:
    return run_graph(GraphRequest.model_validate(dict(request, valid_sizes=False)), symbolic=False)


def _levels(n: int, depth: int, convs: int, pad: int) -> list[int]:
    """The skip size per level of a U-Net (after the level's convs)."""
    sizes, size = [], n
    for _ in range(depth):
        size -= convs * (2 - 2 * pad)
        sizes.append(size)
        size //= 2
    return sizes


class TestPaddedUnet:
    @pytest.mark.parametrize("depth", [3, 4, 5])
    @pytest.mark.parametrize("n", [572, 300, 250, 199, 166, 130, 97])
    def test_the_pool_on_the_deepest_odd_size_is_the_culprit(self, depth: int, n: int) -> None:
        out = _run(body([n], unet(depth, padded=True)))
        skips = _levels(n, depth, 2, 1)
        odd = [level for level, s in enumerate(skips) if s % 2]
        if not odd:
            assert out["ok"] and out["mismatch"] is None
            return
        level = max(odd)  # the decoder runs deepest first: its merge fails first
        assert out["ok"] is False
        mismatch = out["mismatch"]
        assert mismatch["node"] == f"dec{level}.cat"
        assert mismatch["sizes"] == [skips[level], 2 * (skips[level] // 2)]
        assert mismatch["culprit"]["node"] == f"enc{level}.pool"
        assert mismatch["culprit"]["reason"] == "drops_rows"

    def test_the_contracts_572_case_blames_the_pool_on_71_not_the_shared_pool_on_143(self) -> None:
        culprit = _run(body([572], unet(4, padded=True)))["mismatch"]["culprit"]
        assert (culprit["node"], culprit["input_size"], culprit["unread"]) == ("enc3.pool", [71], [1])


class TestValidUnet:
    @pytest.mark.parametrize("depth", [3, 4, 5])
    @pytest.mark.parametrize("n", [572, 573, 444, 445])
    def test_an_unpadded_conv_is_the_culprit_where_no_pool_drops_a_row(self, depth: int, n: int) -> None:
        out = _run(body([n], unet(depth, padded=False)))
        skips = _levels(n, depth, 2, 0)
        if skips[-1] // 2 < 5:
            pytest.skip("too small for this depth")
        culprit = out["mismatch"]["culprit"]
        level = depth - 1
        if skips[level] % 2:
            assert (culprit["node"], culprit["reason"]) == (f"enc{level}.pool", "drops_rows")
        else:
            assert (culprit["node"], culprit["reason"]) == (f"enc{depth}.conv0", "border")


def test_an_up_conv_that_output_padding_fixes_is_the_culprit() -> None:
    nodes = [
        {"id": "down", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 2, "padding": 1},
        {"id": "up", "op": "conv_transpose", "inputs": ["down"], "kernel_size": 3, "stride": 2, "padding": 1},
        {"id": "cat", "op": "concat", "inputs": ["x", "up"]},
    ]
    out = _run(body([8], nodes))
    assert out["mismatch"]["sizes"] == [8, 7]
    assert out["mismatch"]["culprit"]["node"] == "up"
    assert out["mismatch"]["culprit"]["reason"] == "output_padding"
    assert out["merges"][0]["output_padding"] == [None, [1]]


def test_no_output_padding_fix_for_an_up_conv_that_feeds_the_other_input_too() -> None:
    # cat(up, conv(up)): output_padding 1 would make up 53, and the conv after it 54. (A fuzz find: the fix
    # was [1], and applied it left the merge unequal.)
    nodes = [
        {"id": "up", "op": "conv_transpose", "inputs": ["x"], "kernel_size": 2, "stride": 2},
        {"id": "wide", "op": "conv", "inputs": ["up"], "kernel_size": 2, "padding": 1},
        {"id": "cat", "op": "concat", "inputs": ["up", "wide"]},
    ]
    out = _run(body([26], nodes))
    assert out["mismatch"]["sizes"] == [52, 53]
    assert out["merges"][0]["output_padding"] == [[None], None]
    assert (out["mismatch"]["culprit"]["node"], out["mismatch"]["culprit"]["reason"]) == ("wide", "border")


def test_an_up_conv_that_feeds_both_inputs_keeps_its_own_output_padding_where_they_agree() -> None:
    # MONAI's up-sampling block: a residual unit on the conv_transpose's output (both inputs come from it: the
    # 3x3 p1 conv keeps sizes and positions). Its output_padding 1 gives the sizes that agree; no other would.
    nodes = [
        {"id": "up", "op": "conv_transpose", "inputs": ["x"], "kernel_size": 3, "stride": 2, "padding": 1,
         "output_padding": 1},
        {"id": "res", "op": "conv", "inputs": ["up"], "kernel_size": 3, "padding": 1},
        {"id": "sum", "op": "add", "inputs": ["up", "res"]},
    ]
    out = _run(body([13], nodes))
    assert out["ok"] and out["merges"][0]["output_padding"] == [[1], [1]]
