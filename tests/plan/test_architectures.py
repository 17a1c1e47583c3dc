"""SegNet (T11), stacked hourglass (T12) and FPN (T9) from planners.md section 9."""

from __future__ import annotations

from .stacks import fpn, hourglass, plan, segnet


class TestSegNet:
    def test_camvid_unpooling_uses_each_pools_input_size(self) -> None:
        out = plan(segnet([360, 480]))
        assert [s["output_size"] for s in out["encoder"]] == [[180, 240], [90, 120], [45, 60], [23, 30], [12, 15]]
        # the two deepest unpoolings need explicit sizes 23x30 and 45x60 (x2 would give 24x30 and 46x60)
        assert [d["output_size"] for d in out["decoder"]] == [[23, 30], [45, 60], [90, 120], [180, 240],
                                                                [360, 480]]
        assert out["output_size"] == [360, 480]

    def test_odd_101_unpools_to_101(self) -> None:
        body = segnet([101], depth=1)
        body["encoder"][0]["layers"][-1]["ceil_mode"] = False
        out = plan(body)
        assert out["encoder"][0]["output_size"] == [50] and out["output_size"] == [101]

    def test_kernel_differing_from_the_pool_is_refused(self) -> None:
        import pytest

        from convplan.errors import LayerError

        body = segnet([64], depth=2)
        body["decoder"][0]["up"][0]["kernel_size"] = 3
        with pytest.raises(LayerError) as info:
            plan(body)
        assert info.value.errors[0].loc == ("decoder", 0, "up", 0, "kernel_size")

    def test_default_x2_unpool_then_indices_of_another_size_is_refused(self) -> None:
        import pytest

        from convplan.errors import LayerError

        body = segnet([360], depth=5)
        body["decoder"][0]["up"][0] = {"op": "max_unpool", "kernel_size": 2}  # 12 -> 24, not 23
        with pytest.raises(LayerError) as info:
            plan(body)
        assert info.value.errors[0].loc == ("decoder", 1, "up", 0)
        assert "23" in info.value.detail and "24" in info.value.detail


class TestHourglass:
    def test_256(self) -> None:
        out = plan(hourglass(256))
        assert [s["output_size"][0] for s in out["encoder"]] == [64, 32, 16, 8, 4]
        assert out["exact"] is True and out["output_size"] == [64, 64]

    def test_250_fails_at_the_deepest_skip(self) -> None:
        out = plan(hourglass(250, align="none"))
        assert [s["output_size"][0] for s in out["encoder"]] == [62, 31, 15, 7, 3]
        assert out["ok"] is False
        assert out["skips"][0]["encoder_size"] == [7, 7] and out["skips"][0]["decoder_size"] == [6, 6]
        # The stem's pool of 125 feeds both paths; the pool of 7 below the deepest skip drops a row.
        assert out["mismatch"]["layer"]["reason"] == "drops_rows"
        assert out["mismatch"]["layer"]["input_size"] == 7

    def test_valid_sizes(self) -> None:
        # multiples of 64, and one less: the 7x7/2 pad-3 stem gives ceil(n/2), so 255 works like 256
        form = plan(hourglass(250))["valid_input_sizes"][0]
        assert form == {"modulus": 64, "residues": [0, 63], "min": 63, "nearest": {"below": 192, "above": 255},
                        "output_size": "16*floor((i + 1)/64)"}


class TestFpn:
    def test_800(self) -> None:
        out = plan(fpn(800))
        assert [s["output_size"][0] for s in out["encoder"]] == [200, 100, 50, 25]
        assert out["ok"] is True and all(s["aligned"] for s in out["skips"])

    def test_1333_fails_at_c3(self) -> None:
        out = plan(fpn(1333))
        assert [s["output_size"][0] for s in out["encoder"]] == [334, 167, 84, 42]
        assert out["ok"] is False
        assert out["mismatch"]["encoder_stage"] == 1
        assert out["skips"][1]["decoder_size"] == [168] and out["skips"][1]["encoder_size"] == [167]
        assert out["mismatch"]["layer"]["loc"] == ["encoder", 2, "layers", 0]  # 167 -> 84 (ceil)

    def test_1344_works(self) -> None:
        out = plan(fpn(1344))
        assert [s["output_size"][0] for s in out["encoder"]] == [336, 168, 84, 42] and out["ok"] is True

    def test_500_mismatches_twice_under_crop(self) -> None:
        out = plan(fpn(500, align="crop"))
        assert [s["output_size"][0] for s in out["encoder"]] == [125, 63, 32, 16]
        assert [s["aligned"] for s in out["skips"]] == [True, False, False]
        assert [(s["encoder_size"][0], s["decoder_size"][0]) for s in out["skips"][1:]] == [(63, 64), (125, 126)]

    def test_valid_sizes_and_half_pixel_warning(self) -> None:
        out = plan(fpn(1333))
        form = out["valid_input_sizes"][0]
        assert form["modulus"] == 32 and form["nearest"]["above"] == 1341
        assert 1344 % 32 in form["residues"]
        # nearest x2 after a k3 s2 p1 conv samples half a pixel off (the maps are not registered)
        assert out["skips"][0]["offset"] == [-0.5] and out["skips"][0]["registered"] is False
