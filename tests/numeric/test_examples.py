"""The classic worked examples (semantics.md section 8), as named tests."""

from __future__ import annotations

import numpy as np
import pytest

import convplan.numeric as cn
from convplan.errors import LayerError


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64).reshape(1, 1, -1)


def row(x: np.ndarray) -> list[float]:
    return np.asarray(x).ravel().round(4).tolist()


class TestConvTranspose:
    def test_stride_2(self) -> None:
        assert row(cn.conv_transpose(a(1, 2, 3), np.ones((1, 1, 3)), stride=2)) == [1, 1, 3, 2, 5, 3, 3]

    def test_stride_2_padding_1_output_padding_1(self) -> None:
        y = cn.conv_transpose(a(1, 2, 3), np.ones((1, 1, 3)), stride=2, padding=1, output_padding=1)
        assert row(y) == [1, 3, 2, 5, 3, 3]

    def test_more_item_18(self) -> None:
        assert row(cn.conv_transpose(a(1, 1, 1), np.ones((1, 1, 3)), stride=2)) == [1, 1, 2, 1, 2, 1, 1]
        assert row(cn.conv_transpose(a(1, 1, 1), np.ones((1, 1, 4)), stride=2, padding=1)) == [1, 2, 2, 2, 2, 1]
        assert row(cn.conv_transpose(a(1, 2), a(1, 10), stride=3)) == [1, 10, 0, 2, 20]
        assert row(cn.conv_transpose(a(1, 2), a(1, 2, 3))) == [1, 4, 7, 6]

    def test_output_size_picks_output_padding(self) -> None:
        y = cn.conv_transpose(a(1, 2, 3), np.ones((1, 1, 3)), stride=2, padding=1, output_size=[6])
        assert row(y) == [1, 3, 2, 5, 3, 3]
        with pytest.raises(LayerError, match="valid sizes range from 5 to 6"):
            cn.conv_transpose(a(1, 2, 3), np.ones((1, 1, 3)), stride=2, padding=1, output_size=[7])

    def test_unbatched(self) -> None:
        y = cn.conv_transpose(np.array([[1.0, 2, 3]]), np.ones((1, 1, 3)), stride=2)
        assert y.shape == (1, 7)


class TestConv:
    def test_same_even_kernel_pads_extra_after(self) -> None:
        x = a(1, 2, 3, 4, 5)
        assert row(cn.conv(x, a(1, 0, 0, 0), padding="same")) == [0, 1, 2, 3, 4]
        assert row(cn.conv(x, a(0, 0, 0, 1), padding="same")) == [3, 4, 5, 0, 0]
        assert row(cn.conv(x, a(1, 0, 0, 0), padding="same", padding_mode="circular")) == [5, 1, 2, 3, 4]

    def test_same_dilated(self) -> None:
        assert row(cn.conv(a(1, 2, 3, 4, 5), a(1, 0, 0), padding="same", dilation=2)) == [0, 0, 1, 2, 3]

    def test_kernel_wider_than_input(self) -> None:
        with pytest.raises(LayerError, match="kernel size can't be greater"):
            cn.conv(a(1, 2, 3), np.ones((1, 1, 5)))


class TestPools:
    def test_max_pool_and_unpool(self) -> None:
        v, i = cn.max_pool(a(1, 2, 3, 4, 5), 2, return_indices=True)
        assert row(v) == [2, 4] and row(i) == [1, 3]
        assert row(cn.max_unpool(v, i, 2)) == [0, 2, 0, 4]
        assert row(cn.max_unpool(v, i, 2, output_size=[5])) == [0, 2, 0, 4, 0]
        with pytest.raises(LayerError, match="between 2 and 6"):
            cn.max_unpool(v, i, 2, output_size=[6])
        with pytest.raises(LayerError, match="invalid max index: 3"):
            cn.max_unpool(v, i, 2, output_size=[3])

    def test_max_unpool_of_padded_pool(self) -> None:
        v, i = cn.max_pool(a(1, 2, 3, 4, 5, 6), 3, 2, 1, return_indices=True)
        assert row(i) == [1, 3, 5]
        with pytest.raises(LayerError, match="invalid max index: 5"):
            cn.max_unpool(v, i, 3, 2, 1)
        assert row(cn.max_unpool(v, i, 3, 2, 1, output_size=[6])) == [0, 2, 0, 4, 0, 6]

    def test_max_unpool_repeated_index_keeps_last_write(self) -> None:
        y = cn.max_unpool(a(7, 9), np.array([[[1, 1]]]), 2)
        assert row(y) == [0, 9, 0, 0]

    def test_max_pool_ties_first_maximum(self) -> None:
        x = np.array([[[[1.0, 5], [5, 5]]]])
        v, i = cn.max_pool(x, 2, return_indices=True)
        assert row(v) == [5] and row(i) == [1]

    def test_max_pool_ceil(self) -> None:
        assert row(cn.max_pool(a(1, 2, 3, 4, 5), 2, 2, ceil_mode=True)) == [2, 4, 5]
        assert row(cn.max_pool(a(1, 2, 3, 4, 5, 6), 3, 2, 1, ceil_mode=True)) == [2, 4, 6, 6]
        assert row(cn.max_pool(a(*range(1, 8)), 3, 1, dilation=2)) == [5, 6, 7]
        assert row(cn.max_pool(a(*range(1, 8)), 3)) == [3, 6]

    def test_last_window_rule_sizes(self) -> None:
        assert cn.max_pool(np.ones((1, 1, 12, 12)), 1, 2, ceil_mode=True).shape[-1] == 6
        assert cn.max_pool(np.ones((1, 1, 13, 13)), 1, 2, ceil_mode=True).shape[-1] == 7
        assert cn.avg_pool(np.ones((1, 1, 9, 9)), 4, 4, 2, ceil_mode=True).shape[-1] == 3
        assert cn.max_pool(np.ones((1, 1, 3, 6, 5)), 3, padding=1, ceil_mode=True).shape[2:] == (2, 3, 2)
        assert cn.max_pool(a(1), 2, 2, 1, ceil_mode=True).shape[-1] == 1

    def test_pool_padding_limits(self) -> None:
        with pytest.raises(LayerError, match="half of kernel size"):
            cn.max_pool(a(1, 2, 3, 4), 3, 1, 2)
        with pytest.raises(LayerError, match="too small"):
            cn.max_pool(a(1, 2, 3), 4)
        assert row(cn.max_pool(a(1, 2, 3), 4, ceil_mode=True)) == [3]

    def test_avg_pool_count_include_pad(self) -> None:
        y = cn.avg_pool(np.ones((1, 1, 3, 3)), 3, 1, 1)
        assert row(y) == [0.4444, 0.6667, 0.4444, 0.6667, 1.0, 0.6667, 0.4444, 0.6667, 0.4444]
        assert row(cn.avg_pool(np.ones((1, 1, 3, 3)), 3, 1, 1, count_include_pad=False)) == [1.0] * 9

    def test_avg_pool_ceil_mode(self) -> None:
        x = a(1, 2, 3, 4, 5, 6)
        assert row(cn.avg_pool(x, 3, 2, 1, ceil_mode=True)) == [1, 3, 5, 3]
        assert row(cn.avg_pool(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)) == [1.5, 3, 5, 6]
        assert row(cn.avg_pool(a(1, 2, 3, 4, 5), 2, 2, ceil_mode=True)) == [1.5, 3.5, 5]
        grid = np.arange(1.0, 17).reshape(1, 1, 4, 4)
        assert row(cn.avg_pool(grid, 3, 2, 1, ceil_mode=True)) == [1.5556, 3.3333, 2.0, 6.3333, 11.0, 6.0, 4.5, 7.5,
                                                                    4.0]

    def test_adaptive(self) -> None:
        assert row(cn.adaptive_avg_pool(a(1, 2, 3, 4, 5), 3)) == [1.5, 3, 4.5]
        assert row(cn.adaptive_max_pool(a(1, 2, 3, 4, 5), 3)) == [2, 4, 5]
        assert row(cn.adaptive_avg_pool(a(1, 2, 3), 5)) == [1, 1.5, 2, 2.5, 3]
        assert row(cn.adaptive_avg_pool(a(*range(7)), 3)) == [1, 3, 5]


class TestUpsample:
    def test_nearest_vs_nearest_exact(self) -> None:
        assert row(cn.upsample(a(1, 2, 3), 5)) == [1, 1, 2, 2, 3]
        assert row(cn.upsample(a(1, 2, 3), 5, mode="nearest-exact")) == [1, 1, 2, 3, 3]
        assert row(cn.upsample(a(1, 2, 3, 4, 5), 3)) == [1, 2, 4]
        assert row(cn.upsample(a(1, 2, 3, 4, 5), 3, mode="nearest-exact")) == [1, 3, 5]
        assert row(cn.upsample(a(1, 2, 3, 4), 2)) == [1, 3]
        assert row(cn.upsample(a(1, 2, 3, 4), 2, mode="nearest-exact")) == [2, 4]
        assert row(cn.upsample(a(1, 2, 3, 4), scale_factor=1.5)) == [1, 1, 2, 3, 3, 4]
        assert row(cn.upsample(a(1, 2, 3, 4), scale_factor=1.5, mode="nearest-exact")) == [1, 2, 2, 3, 4, 4]

    def test_nearest_float32_source_index(self) -> None:
        # The double product 55 * (18/66) is 14.999999999999998; torch rounds it to float32 first: 15.
        y = cn.upsample(np.arange(18.0).reshape(1, 1, 18), 66)
        assert y[0, 0, 55] == 15.0

    def test_sizes_from_scale(self) -> None:
        for size, scale, expected in ((5, 1.5, 7), (5, 0.5, 2), (9, 1 / 3, 3), (3, 2.9, 8), (100, 0.29, 28),
                                      (88, 120 / 88, 119), (32, 1.8, 57)):
            assert cn.upsample(np.ones((1, 1, size)), scale_factor=scale).shape[-1] == expected
        with pytest.raises(LayerError):
            cn.upsample(np.ones((1, 1, 5)), scale_factor=0.1)

    def test_linear_recompute_scale_factor(self) -> None:
        x = a(1, 2, 3, 4, 5)
        assert row(cn.upsample(x, scale_factor=1.5, mode="linear")) == [1, 1.5, 2.1667, 2.8333, 3.5, 4.1667, 4.8333]
        assert row(cn.upsample(x, scale_factor=1.5, mode="linear", recompute_scale_factor=True)) == [
            1, 1.5714, 2.2857, 3, 3.7143, 4.4286, 5]

    def test_linear_align_corners(self) -> None:
        assert row(cn.upsample(a(0, 1), 4, mode="linear")) == [0, 0.25, 0.75, 1]
        assert row(cn.upsample(a(0, 1), 4, mode="linear", align_corners=True)) == [0, 0.3333, 0.6667, 1]
        assert row(cn.upsample(a(1, 2, 3), 1, mode="linear", align_corners=True)) == [1]
        assert row(cn.upsample(a(1, 2, 3), 1, mode="linear")) == [2]
        assert row(cn.upsample(a(1, 2, 3, 4, 5), 2, mode="linear")) == [1.75, 4.25]

    def test_bilinear(self) -> None:
        x = np.array([[[[1.0, 2], [3, 4]]]])
        y = cn.upsample(x, scale_factor=2, mode="bilinear")
        assert row(y[0, 0, 0]) == [1, 1.25, 1.75, 2] and row(y[0, 0, 1]) == [1.5, 1.75, 2.25, 2.5]
        assert row(cn.upsample(x, scale_factor=2, mode="bilinear", align_corners=True)[0, 0, 0]) == [
            1, 1.3333, 1.6667, 2]

    def test_bicubic_overshoot(self) -> None:
        x = np.array([0.0, 0, 1, 1]).reshape(1, 1, 1, 4)
        y = cn.upsample(x, (1, 8), mode="bicubic")
        assert row(y) == [0, -0.0352, -0.1055, 0.2266, 0.7734, 1.1055, 1.0352, 1]
        y = cn.upsample(x, (1, 8), mode="bicubic", align_corners=True)
        assert row(y) == [0, -0.0787, -0.0787, 0.2638, 0.7362, 1.0787, 1.0787, 1]
        z = cn.upsample(np.array([[[[1.0, 2], [3, 4]]]]), scale_factor=2, mode="bicubic")
        assert round(float(z.min()), 4) == 0.6836 and round(float(z.max()), 4) == 4.3164

    def test_antialias(self) -> None:
        x = np.arange(8.0).reshape(1, 1, 1, 8)
        assert row(cn.upsample(x, (1, 4), mode="bilinear")) == [0.5, 2.5, 4.5, 6.5]
        assert row(cn.upsample(x, (1, 4), mode="bilinear", antialias=True)) == [0.7143, 2.5, 4.5, 6.2857]
        with pytest.raises(LayerError, match="Anti-alias"):
            cn.upsample(np.arange(8.0).reshape(1, 1, 8), 4, mode="linear", antialias=True)

    def test_antialias_to_one_column_repeats_row_0_as_torch_does(self) -> None:
        # torch 2.13: F.interpolate(x, size=[3, 1], mode="bilinear", antialias=True) on this 5 x 4 map answers
        # 4.2143 three times; resized as the transposed map (to [1, 3]) the three rows are 4.2143, 10.5, 16.7857
        x = np.arange(1.0, 21.0).reshape(1, 1, 5, 4)
        assert row(cn.upsample(x, (3, 1), mode="bilinear", antialias=True)) == [4.2143] * 3
        assert row(cn.upsample(x.transpose(0, 1, 3, 2), (1, 3), mode="bilinear", antialias=True)) == [
            4.2143, 10.5, 16.7857]
        assert row(cn.upsample(x, (3, 1), mode="bilinear")) == [3.8333, 10.5, 17.1667]  # no antialias: three rows

    def test_refusals(self) -> None:
        with pytest.raises(LayerError, match="align_corners"):
            cn.upsample(a(1, 2), 4, align_corners=True)
        with pytest.raises(LayerError, match="exactly one"):
            cn.upsample(a(1, 2), 4, scale_factor=2.0)


class TestPixelShuffle:
    def test_shuffle(self) -> None:
        assert cn.pixel_shuffle(np.zeros((1, 8, 3, 3)), 2).shape == (1, 2, 6, 6)
        assert row(cn.pixel_shuffle(np.arange(4.0).reshape(1, 4, 1, 1), 2)) == [0, 1, 2, 3]
        assert cn.pixel_shuffle(np.zeros((8, 3, 3)), 2, spatial_rank=2).shape == (2, 6, 6)
        with pytest.raises(LayerError):
            cn.pixel_shuffle(np.zeros((1, 6, 2, 2)), 2)

    def test_unshuffle(self) -> None:
        assert cn.pixel_unshuffle(np.zeros((1, 1, 4, 4)), 2).shape == (1, 4, 2, 2)
        with pytest.raises(LayerError):
            cn.pixel_unshuffle(np.zeros((1, 1, 5, 4)), 2)

    @pytest.mark.parametrize("rank", [1, 2, 3])
    def test_round_trip(self, rank: int) -> None:
        x = np.random.default_rng(rank).standard_normal((2, 3 * 2**rank, *([3] * rank)))
        y = cn.pixel_shuffle(x, 2)
        assert y.shape == (2, 3, *([6] * rank))
        np.testing.assert_array_equal(cn.pixel_unshuffle(y, 2), x)
