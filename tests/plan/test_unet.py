"""U-Net: the original paper's numbers (planners.md T1, T2), the padded variant (T3, T4) and the
strided-conv variant (T5)."""

from __future__ import annotations

import pytest

from .stacks import STRIDED, plan, unet


def _sizes(stages: list[dict]) -> list[int]:
    return [s["output_size"][0] for s in stages]


@pytest.fixture(scope="module")
def out() -> dict:
    return plan({"input_size": [572, 572], "in_channels": 1, "template": unet()})


class TestOriginalUnet572:
    """Ronneberger et al. 2015: valid 3x3 convs, 2x2 max-pool, 2x2 up-conv, depth 4."""

    def test_skips_bottleneck_and_output(self, out: dict) -> None:
        assert [s["encoder_size"] for s in out["skips"]] == [[64, 64], [136, 136], [280, 280], [568, 568]]
        assert [s["decoder_size"][0] for s in out["skips"]] == [56, 104, 200, 392]
        assert out["encoder"][4]["output_size"] == [28, 28]
        assert out["output_size"] == [388, 388]
        assert out["ok"] is True

    def test_crops_come_from_the_offsets(self, out: dict) -> None:
        assert [s["offset"] for s in out["skips"]] == [[4, 4], [16, 16], [40, 40], [88, 88]]
        assert [s["crop"][0] for s in out["skips"]] == [[4, 4], [16, 16], [40, 40], [88, 88]]
        assert all(s["scale"] == [1, 1] and s["registered"] and s["applied"] == "crop" for s in out["skips"])
        assert [s["crop_decoder"] for s in out["skips"]] == [[None, None]] * 4

    def test_valid_input_sizes(self, out: dict) -> None:
        form = {"modulus": 16, "residues": [12], "min": 188, "nearest": {"below": 572, "above": 572},
                "output_size": "i - 184"}
        assert out["valid_input_sizes"] == [form, form]
        assert out["valid_input_sizes_reason"] == [None, None]
        assert out["warnings"] == []

    def test_expanded_is_the_explicit_form(self, out: dict) -> None:
        expanded = out["expanded"]
        assert len(expanded["encoder"]) == 5 and len(expanded["decoder"]) == 4
        assert expanded["decoder"][0]["up"] == [{"op": "conv_transpose", "kernel_size": 2, "stride": 2,
                                                 "out_channels": 512}]
        again = plan({"input_size": [572, 572], "in_channels": 1, **expanded})
        assert again["output_size"] == [388, 388] and again["expanded"] is None

    def test_params_match_the_paper_network(self, out: dict) -> None:
        assert out["params"] == 31_030_658  # torch replica (tests/plan/test_torch.py)

    def test_layer_indices_are_global_in_walk_order(self, out: dict) -> None:
        layers = [layer for part in (*out["encoder"], *out["decoder"], out["head"]) for layer in part["layers"]]
        assert [layer["index"] for layer in layers] == list(range(len(layers)))
        assert out["decoder"][1]["layers"][0]["loc"] == ["decoder", 1, "up", 0]


class TestOriginalUnetOtherSizes:
    def test_every_valid_size_crops_the_same(self) -> None:
        for n, expected in ((188, 4), (204, 20), (220, 36), (236, 52), (252, 68)):
            out = plan({"input_size": [n], "template": unet()})
            assert out["output_size"] == [expected]
            assert [s["crop"][0][0] for s in out["skips"]] == [4, 16, 40, 88]
            assert out["warnings"] == []

    def test_574_runs_but_is_not_valid(self) -> None:
        out = plan({"input_size": [574], "template": unet()})
        assert out["output_size"] == [388]  # PyTorch runs it: 574 -> 570 -> 285 -> 281 -> 140 ...
        assert out["skips"][2]["encoder_size"] == [281]
        assert out["skips"][2]["crop"] == [[40, 41]]  # lopsided
        assert out["valid_input_sizes"][0]["nearest"] == {"below": 572, "above": 588}
        assert any("574 is not clean" in w for w in out["warnings"])

    def test_574_with_align_none_names_the_bottleneck_conv(self) -> None:
        # The pool on 281 is shared by both paths of the deepest skip, so it cannot make them differ (contract
        # section 7's culprit rule); the first unpadded conv below the skip loses the borders.
        out = plan({"input_size": [574], "template": unet(), "align": "none"})
        assert out["ok"] is False and out["output_size"] is None
        mismatch = out["mismatch"]
        assert mismatch["skip"] == 0 and mismatch["decoder_stage"] == 0 and mismatch["encoder_stage"] == 3
        assert mismatch["layer"]["op"] == "conv" and mismatch["layer"]["reason"] == "border"
        assert mismatch["layer"]["loc"] == ["encoder", 4, "layers", 1]
        assert mismatch["layer"]["input_size"] == 32
        assert out["decoder"][1]["output_size"] is None and out["decoder"][1]["layers"] == []

    @pytest.mark.parametrize(("depth", "minimum", "loss"), [(1, 18, 16), (2, 44, 40), (3, 92, 88),
                                                             (4, 188, 184), (5, 380, 376)])
    def test_depth_generalisation(self, depth: int, minimum: int, loss: int) -> None:
        form = plan({"input_size": [572], "template": unet(depth=depth)})["valid_input_sizes"][0]
        assert form["modulus"] == 2**depth and form["min"] == minimum
        assert form["residues"] == [(-4) % 2**depth]
        assert form["output_size"] == f"i - {loss}"


class TestPaddedUnet:
    """T3 / T4: 3x3 pad-1 convs, MaxPool2d(2) floor, ConvTranspose k2 s2."""

    def test_exact_only_for_multiples_of_16(self) -> None:
        out = plan({"input_size": [96], "template": unet(conv={"padding": 1}), "align": "pad"})
        assert out["exact"] is True and out["output_size"] == [96]
        assert out["valid_input_sizes"][0] == {"modulus": 16, "residues": [0], "min": 16,
                                               "nearest": {"below": 96, "above": 96}, "output_size": "i"}

    def test_100_pads_one_level(self) -> None:
        out = plan({"input_size": [100], "template": unet(conv={"padding": 1}), "align": "pad"})
        assert [s["encoder_size"][0] for s in out["skips"]] == [12, 25, 50, 100]
        assert [s["decoder_size"][0] for s in out["skips"]] == [12, 24, 50, 100]
        assert [s["applied"] for s in out["skips"]] == [None, "pad", None, None]
        assert out["skips"][1]["pad"] == [[0, 1]] and out["skips"][1]["applied_decoder"] == [[0, 1]]
        assert out["skips"][1]["output_padding"] == [1]
        assert out["output_size"] == [100]

    def test_572_pads_two_levels(self) -> None:
        out = plan({"input_size": [572], "template": unet(conv={"padding": 1}), "align": "pad"})
        assert [s["encoder_size"][0] for s in out["skips"]] == [71, 143, 286, 572]
        assert [s["decoder_size"][0] for s in out["skips"]] == [70, 142, 286, 572]
        assert [s["pad"][0] for s in out["skips"]] == [[0, 1], [0, 1], [0, 0], [0, 0]]
        assert [s["applied"] for s in out["skips"]] == ["pad", "pad", None, None]

    def test_t4_odd_input_floor(self) -> None:
        out = plan({"input_size": [101], "template": unet(depth=3, conv={"padding": 1}), "align": "pad"})
        assert _sizes(out["encoder"]) == [101, 50, 25, 12]
        assert [s["decoder_size"][0] for s in out["skips"]] == [24, 50, 100]
        assert [s["pad"][0] for s in out["skips"]] == [[0, 1], [0, 0], [0, 1]]
        assert out["output_size"] == [101]

    def test_t4_depth_4_floor(self) -> None:
        out = plan({"input_size": [101], "template": unet(depth=4, conv={"padding": 1}), "align": "pad"})
        assert [s["encoder_size"][0] for s in out["skips"]] == [12, 25, 50, 101]
        assert [s["pad"][0] for s in out["skips"]] == [[0, 0], [0, 1], [0, 0], [0, 1]]

    def test_t4_ceil_mode(self) -> None:
        down = {"op": "max_pool", "kernel_size": 2, "ceil_mode": True}
        out = plan({"input_size": [101], "template": unet(depth=3, conv={"padding": 1}, down=down)})
        assert _sizes(out["encoder"]) == [101, 51, 26, 13]
        assert [s["decoder_size"][0] for s in out["skips"]] == [26, 52, 102]
        assert [s["applied"] for s in out["skips"]] == [None, "crop_decoder", "crop_decoder"]
        assert [s["crop_decoder"][0] for s in out["skips"]] == [[0, 0], [0, 1], [0, 1]]
        assert out["output_size"] == [101]


class TestStridedConvUnet:
    """T5: up gives 2i - 1 + output_padding, so output_padding = 1 exactly where the target skip is even."""

    def test_output_padding_where_target_is_even(self) -> None:
        # align pad: each level then starts from the exact size the output_padding fix would give
        out = plan({"input_size": [101], "template": STRIDED, "align": "pad"})
        assert _sizes(out["encoder"]) == [101, 51, 26, 13]
        assert [s["encoder_size"][0] for s in out["skips"]] == [26, 51, 101]
        assert [s["output_padding"] for s in out["skips"]] == [[1], [0], [0]]
        assert all(s["output_size_ok"] == [True] for s in out["skips"])

    def test_96_needs_it_everywhere(self) -> None:
        out = plan({"input_size": [96], "template": STRIDED, "align": "pad"})
        assert [s["output_padding"] for s in out["skips"]] == [[1], [1], [1]]

    def test_fixed_output_padding_fails_at_the_odd_level(self) -> None:
        up = {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}
        out = plan({"input_size": [101], "template": {**STRIDED, "up": up}, "align": "none"})
        assert out["ok"] is False
        assert out["skips"][0]["aligned"] is True
        assert out["skips"][1]["encoder_size"] == [51] and out["skips"][1]["decoder_size"] == [52]
        assert out["mismatch"]["skip"] == 1

    def test_mismatch_names_the_up_conv_that_output_padding_fixes(self) -> None:
        # The 3x3 s2 p1 conv on 26 drops nothing (its padding absorbs the remainder): the culprit is the up-conv,
        # whose output_padding would fit the skip (contract section 7, rule 2).
        out = plan({"input_size": [101], "template": STRIDED, "align": "none"})
        assert out["mismatch"]["layer"]["reason"] == "output_padding"
        assert out["mismatch"]["layer"]["op"] == "conv_transpose"
        assert out["mismatch"]["layer"]["loc"][:2] == ["decoder", 0]

    def test_half_pixel_with_k2_up(self) -> None:
        up = {"op": "conv_transpose", "kernel_size": 2, "stride": 2}
        out = plan({"input_size": [96], "template": {**STRIDED, "up": up}})
        assert [s["aligned"] for s in out["skips"]] == [True] * 3
        assert [s["offset"] for s in out["skips"]] == [[-0.5]] * 3
        assert not any(s["registered"] for s in out["skips"])
        assert sum("fraction of a pixel" in w for w in out["warnings"]) == 3


class TestPaddedUnetCulprit:
    def test_572_blames_the_pool_on_71_not_the_shared_pool_on_143(self) -> None:
        # Contract section 7: padded U-Net (3x3 p1, 2x2 pools, k2 s2 up-convs, depth 4) at 572, skip 71 vs 70.
        template = {"name": "unet", "depth": 4, "conv": {"kernel_size": 3, "padding": 1}}
        out = plan({"input_size": [572], "template": template, "align": "none"})
        assert out["skips"][0]["encoder_size"] == [71] and out["skips"][0]["decoder_size"] == [70]
        layer = out["mismatch"]["layer"]
        assert (layer["op"], layer["input_size"], layer["unread"], layer["reason"]) == ("max_pool", 71, 1,
                                                                                        "drops_rows")
