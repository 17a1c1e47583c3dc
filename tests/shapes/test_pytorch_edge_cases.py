"""PyTorch 2.13 edge cases (shared/reference/semantics.md section 8), by number."""

from __future__ import annotations

import pytest

from tests.shapes.conftest import refused, shapes, sizes


def conv(**kw): return {"op": "conv", **kw}
def convt(**kw): return {"op": "conv_transpose", **kw}
def maxp(**kw): return {"op": "max_pool", **kw}
def avgp(**kw): return {"op": "avg_pool", **kw}


class TestConv:
    def test_1_stride_two_maps_5_and_6_to_3(self):
        assert sizes([5, 6], conv(kernel_size=3, stride=2, padding=1)) == [3, 3]

    def test_2_dilation(self):
        assert sizes([7], conv(kernel_size=3, dilation=2)) == [3]

    def test_3_kernel_larger_than_input(self):
        err = refused([3], conv(kernel_size=5))
        assert err.status == 422 and err.errors[0].layer == 0 and err.errors[0].axis == 0
        assert "kernel size" in err.detail
        assert sizes([3], conv(kernel_size=5, padding=1)) == [1]

    def test_4_same_even_kernel_pads_extra_after(self):
        layer = shapes([5], [conv(kernel_size=4, padding="same")])["layers"][0]
        assert layer["padding_resolved"] == [[1, 2]] and layer["output_size"] == [5]

    def test_5_same_with_dilation(self):
        assert shapes([5], [conv(kernel_size=3, dilation=2, padding="same")])["layers"][0]["padding_resolved"] == [
            [2, 2]
        ]

    def test_6_same_with_stride_is_refused(self):
        err = refused([8], conv(kernel_size=3, stride=2, padding="same"))
        assert "strided" in err.detail

    def test_7_padding_modes(self):
        assert refused([3], conv(kernel_size=3, padding=3, padding_mode="reflect")).status == 422
        assert sizes([3], conv(kernel_size=3, padding=2, padding_mode="reflect")) == [5]
        assert sizes([3], conv(kernel_size=3, padding=3, padding_mode="circular")) == [7]
        assert refused([3], conv(kernel_size=3, padding=4, padding_mode="circular")).status == 422
        assert sizes([3], conv(kernel_size=3, padding=5, padding_mode="replicate")) == [11]

    def test_8_groups(self):
        err = refused([8, 8], conv(kernel_size=3, groups=2, out_channels=6), in_channels=3)
        assert "divisible by groups" in err.detail
        out = shapes([8, 8], [conv(kernel_size=3, groups=2, out_channels=6)], in_channels=4)
        assert out["params"] == 6 * 2 * 9 + 6

    def test_9_anisotropic_3d(self):
        layer = conv(kernel_size=[3, 5, 1], stride=[1, 2, 3], padding=[1, 2, 0], dilation=[2, 1, 1])
        assert sizes([7, 8, 9], layer) == [5, 4, 3]


class TestConvTranspose:
    def test_10_output_padding(self):
        assert sizes([3], convt(kernel_size=3, stride=2, padding=1)) == [5]
        assert sizes([3], convt(kernel_size=3, stride=2, padding=1, output_padding=1)) == [6]

    def test_11_output_padding_must_be_below_stride_or_dilation(self):
        assert (
            "smaller than either stride or dilation"
            in refused([3], convt(kernel_size=3, stride=2, output_padding=2)).detail
        )
        assert refused([3], convt(kernel_size=3, stride=1, output_padding=1)).status == 422

    def test_12_output_padding_below_dilation_is_legal(self):
        assert sizes([3], convt(kernel_size=3, stride=1, dilation=2, output_padding=1)) == [8]
        assert sizes([3], convt(kernel_size=3, stride=2, dilation=3, output_padding=2)) == [13]

    def test_13_output_size_window(self):
        assert sizes([3], convt(kernel_size=3, stride=2, padding=1, output_size=6)) == [6]
        err = refused([3], convt(kernel_size=3, stride=2, padding=1, output_size=[7]))
        assert "valid sizes range from 5 to 6" in err.detail
        assert err.errors[0].loc == ("layers", 0, "output_size", 0)
        assert refused([3], convt(kernel_size=3, stride=2, padding=1, output_size=[4])).status == 422

    def test_14_output_size_window_uses_stride_only(self):
        assert "from 7 to 7" in refused([3], convt(kernel_size=3, stride=1, dilation=2, output_size=[8])).detail

    def test_15_wide_window(self):
        assert sizes([3], convt(kernel_size=3, stride=3, output_size=[11])) == [11]

    def test_16_restores_sizes(self):
        assert sizes([5], convt(kernel_size=4, stride=2, padding=1)) == [10]
        assert sizes([5], convt(kernel_size=2, stride=2)) == [10]
        layer = convt(kernel_size=[3, 4, 1], stride=[2, 2, 3], padding=[1, 1, 0], output_padding=[1, 0, 2])
        assert sizes([4, 4, 4], layer) == [8, 8, 12]

    def test_17_padding_crops_until_too_small(self):
        assert sizes([5], convt(kernel_size=3, stride=2, padding=3)) == [5]
        assert "too small" in refused([2], convt(kernel_size=3, stride=1, padding=3)).detail

    def test_same_upper_gives_i_times_s(self):
        assert sizes([7], convt(kernel_size=4, stride=2, padding="same_upper")) == [14]
        assert sizes([7], convt(kernel_size=3, stride=2, padding="same_lower", output_padding=1)) == [14]
        assert refused([7], convt(kernel_size=1, stride=2, padding="same_upper")).status == 422
        assert "same_upper" in refused([7], convt(kernel_size=3, padding="same")).detail


class TestPooling:
    def test_19_floor_and_ceil(self):
        assert sizes([5], maxp(kernel_size=2, stride=2)) == [2]
        assert sizes([5], maxp(kernel_size=2, stride=2, ceil_mode=True)) == [3]

    def test_20_ceil_with_padding(self):
        assert sizes([6], maxp(kernel_size=3, stride=2, padding=1, ceil_mode=True)) == [4]
        assert sizes([6], maxp(kernel_size=3, stride=2, padding=1)) == [3]

    def test_21_last_window_rule(self):
        assert sizes([12], maxp(kernel_size=1, stride=2, ceil_mode=True)) == [6]
        assert sizes([13], maxp(kernel_size=1, stride=2, ceil_mode=True)) == [7]
        assert sizes([9, 9], avgp(kernel_size=4, stride=4, padding=2, ceil_mode=True)) == [3, 3]
        assert sizes([3, 6, 5], maxp(kernel_size=3, padding=1, ceil_mode=True)) == [2, 3, 2]
        assert sizes([1], maxp(kernel_size=2, stride=2, padding=1, ceil_mode=True)) == [1]

    def test_22_padding_at_most_half_the_kernel(self):
        assert "at most half" in refused([9], maxp(kernel_size=3, stride=1, padding=2)).detail
        assert refused([9, 9], maxp(kernel_size=3, stride=1, padding=2, dilation=2)).status == 422
        assert refused([9], avgp(kernel_size=2, stride=2, padding=2)).status == 422

    def test_23_output_zero_is_refused_but_ceil_gives_one(self):
        assert refused([3], maxp(kernel_size=4)).status == 422
        assert sizes([3], maxp(kernel_size=4, ceil_mode=True)) == [1]

    def test_24_dilated_pool(self):
        assert sizes([7], maxp(kernel_size=3, stride=1, dilation=2)) == [3]
        assert sizes([7], maxp(kernel_size=3)) == [2]

    def test_unread_and_overhang(self):
        layer = shapes([5], [maxp(kernel_size=2)])["layers"][0]
        assert layer["unread"] == [1] and layer["overhang"] == [0]
        layer = shapes([5], [maxp(kernel_size=2, ceil_mode=True)])["layers"][0]
        assert layer["unread"] == [0] and layer["overhang"] == [1]


class TestUnpoolUpsampleShuffle:
    def test_27_unpool_window(self):
        assert sizes([2], {"op": "max_unpool", "kernel_size": 2}) == [4]
        assert sizes([2], {"op": "max_unpool", "kernel_size": 2, "output_size": [5]}) == [5]
        err = refused([2], {"op": "max_unpool", "kernel_size": 2, "output_size": [6]})
        assert "between 2 and 6" in err.detail

    def test_31_sizes_from_scale_in_double(self):
        cases = [
            (5, 1.5, 7),
            (5, 0.5, 2),
            (9, 1 / 3, 3),
            (3, 2.9, 8),
            (100, 0.29, 28),
            (88, 120 / 88, 119),
            (32, 1.8, 57),
        ]
        for i, f, o in cases:
            assert sizes([i], {"op": "upsample", "scale_factor": f}) == [o], (i, f)
        assert refused([5], {"op": "upsample", "scale_factor": 0.1}).status == 422

    def test_37_option_refusals(self):
        assert refused([4], {"op": "upsample", "size": 8, "align_corners": True}).status == 422
        assert refused([4], {"op": "upsample", "size": 8, "scale_factor": 2}).status == 422
        assert refused([4], {"op": "upsample", "size": 8, "recompute_scale_factor": True}).status == 422
        assert refused([4], {"op": "upsample", "size": 8, "mode": "bilinear"}).status == 422

    def test_38_pixel_shuffle(self):
        out = shapes([3, 3], [{"op": "pixel_shuffle", "upscale_factor": 2}], in_channels=8)
        assert out["output_size"] == [6, 6] and out["out_channels"] == 2
        assert refused([2, 2], {"op": "pixel_shuffle", "upscale_factor": 2}, in_channels=6).status == 422
        out = shapes([4, 4], [{"op": "pixel_unshuffle", "downscale_factor": 2}], in_channels=1)
        assert out["output_size"] == [2, 2] and out["out_channels"] == 4
        assert refused([5, 4], {"op": "pixel_unshuffle", "downscale_factor": 2}, in_channels=1).status == 422


class TestCircularCrop:
    """``F.pad(mode="circular")`` with one side cropping deeper than the input: ATen's wrap-around copies
    (``_pad_circular_symint``) disagree in size for most such pads, not all. Outcomes recorded from torch 2.13
    on a (2, 3, n) tensor; tests/shapes/test_torch_crosscheck.py compares the whole grid live."""

    @staticmethod
    def pad(*amounts):
        return {"op": "pad", "mode": "circular", "padding": [list(amounts)]}

    @pytest.mark.parametrize(("n", "before", "after"), [(3, 3, -4), (3, 2, -4), (3, -4, 3), (4, 2, -5), (5, -6, 4)])
    def test_refused_where_the_copies_differ(self, n, before, after):
        err = refused([n], self.pad(before, after))
        assert err.errors[0].loc == ("layers", 0, "padding", 0) and err.errors[0].axis == 0
        assert "crops more rows than the input has" in err.detail

    @pytest.mark.parametrize(("n", "before", "after", "out"), [(2, -3, 2, 1), (3, -4, 2, 1), (3, -5, 3, 1),
                                                              (4, -6, 4, 2), (3, 3, -3, 3), (3, 1, -2, 2)])
    def test_accepted_where_they_fit(self, n, before, after, out):
        assert sizes([n], self.pad(before, after)) == [out]

    def test_the_fuzzed_2d_case(self):
        # found by the live cross-check (seed 2014): axis 0 crops 4 of 3 rows after padding 3 before
        err = refused([3, 6], {"op": "pad", "mode": "circular", "padding": [[3, -4], 3]}, in_channels=4)
        assert err.errors[0].axis == 0

    def test_a_symbolic_size_is_held_to_each_crop_at_most_the_input(self):
        out = shapes(["H"], [self.pad(3, -4)])
        assert out["output_size"] == ["H - 1"]
        # wrapping at most once (3 <= H), the crop (4 <= H) and an output of at least 1 (H >= 2)
        assert [c["expr"] for c in out["conditions"]] == ["H >= 3", "H >= 4", "H >= 2"]


class TestErrors:
    def test_refusal_carries_the_layers_before_it(self):
        err = refused([8], conv(kernel_size=3), conv(kernel_size=3), conv(kernel_size=9))
        assert [layer["output_size"] for layer in err.extra["layers"]] == [[6], [4]]
        assert err.errors[0].layer == 2 and err.errors[0].loc[:2] == ("layers", 2)

    def test_per_axis_list_of_wrong_length(self):
        err = refused([8, 8], conv(kernel_size=[3, 3, 3]))
        assert err.errors[0].loc == ("layers", 0, "kernel_size")

    @pytest.mark.parametrize("bad", [0, -1])
    def test_non_positive_stride(self, bad):
        assert refused([8], conv(kernel_size=3, stride=bad)).status == 422

    @pytest.mark.parametrize(
        "layer", [{"op": "max_unpool", "kernel_size": 2, "padding": "same"}, {"op": "pad", "padding": "valid"}]
    )
    def test_mode_names_where_only_amounts_fit_are_refused_not_symbols(self, layer):
        err = refused([8], layer)
        assert err.errors[0].loc == ("layers", 0, "padding") and "not available" in err.detail
