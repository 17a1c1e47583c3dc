"""``compare_upsamplers``: the methods' definitions (contract section 10), without torch."""

from __future__ import annotations

import numpy as np
import pytest

import convplan.numeric as cn
from convplan.compare import CompareUpsamplersRequest, compare_upsamplers
from convplan.compare.upsamplers import bilinear_kernel, transposed_padding
from convplan.errors import InvalidRequest, LimitExceeded
from convplan.settings import Settings

SETTINGS = Settings.model_construct()


def run(**body: object) -> dict:
    return compare_upsamplers(CompareUpsamplersRequest.model_validate(body), SETTINGS).as_dict()["methods"]


class TestBilinearInitialisation:
    def test_kernel_is_fcns(self) -> None:
        assert bilinear_kernel(2).tolist() == [0.25, 0.75, 0.75, 0.25]
        assert bilinear_kernel(3).tolist() == pytest.approx([1 / 3, 2 / 3, 1, 2 / 3, 1 / 3])
        assert bilinear_kernel(1).tolist() == [1.0]

    @pytest.mark.parametrize("f", range(1, 7))
    def test_padding_gives_f_times_i(self, f: int) -> None:
        k = 2 * f - f % 2
        p, op = transposed_padding(k, f)
        assert (p, op) == ((f - 1 + 1) // 2, 0)  # p = ceil((f - 1)/2), no output_padding
        for i in (1, 2, 5):
            assert (i - 1) * f - 2 * p + k + op == f * i

    @pytest.mark.parametrize("rank", [1, 2, 3])
    @pytest.mark.parametrize("f", range(1, 6))
    def test_equals_bilinear_except_the_first_and_last_floor_f_over_2_outputs(self, rank: int, f: int) -> None:
        """Documented (contract section 10): inside, the transposed conv is linear interpolation with
        align_corners=False; at the border its taps fall on zero padding, where F.interpolate clamps the
        source index (repeats the edge pixel), so the first and last floor(f/2) outputs per axis differ."""
        rng = np.random.default_rng(f * 10 + rank)
        for i in (1, 2, 4):
            x = rng.random((1, 2) + (i,) * rank) + 0.5  # positive: every border output really differs
            methods = run(input=x.tolist(), scale_factor=f, methods=["bilinear", "conv_transpose"])
            bilinear, convt = methods["bilinear"]["output"], methods["conv_transpose"]["output"]
            m, n = f // 2, f * i
            index = np.indices((n,) * rank)
            inside = np.all((index >= m) & (index < n - m), axis=0)
            same = np.isclose(bilinear, convt, rtol=1e-12, atol=0)[0, 0]
            assert same[inside].all()
            assert not same[~inside].any()

    def test_default_weight_is_channel_c_to_c(self) -> None:
        x = np.arange(2 * 3, dtype=float).reshape(1, 2, 3)
        out = run(input=x.tolist(), scale_factor=2, methods=["conv_transpose"])["conv_transpose"]
        w = np.zeros((2, 2, 4))
        w[0, 0] = w[1, 1] = bilinear_kernel(2)
        np.testing.assert_allclose(out["output"], cn.conv_transpose(x, w, stride=2, padding=1))
        assert out["weight_init"] == "bilinear" and out["kernel_size"] == [4] and out["padding"] == [1]


class TestCoverageAndOverlap:
    def test_coverage_counts_input_tap_pairs(self) -> None:
        out = run(input=[[[1, 2, 3, 4]]], scale_factor=2, weight=[[[1, 1, 1]]],
                  methods=["conv_transpose"])["conv_transpose"]
        # k3 f2: p 1, output_padding 1; interior phases get 1 and 2 taps.
        assert out["coverage"].tolist() == [[[1, 2, 1, 2, 1, 2, 1, 1]]]
        assert out["overlap"] == [{"taps": [[1], [0, 2]], "uniform": False, "holes": False}]
        assert out["output"].tolist() == [[[1, 3, 2, 5, 3, 7, 4, 4]]]

    def test_uneven_overlap_warns(self) -> None:
        body = CompareUpsamplersRequest(input=[[[1, 2]]], scale_factor=2, weight=[[[1, 1, 1]]])
        warnings = compare_upsamplers(body, SETTINGS).warnings
        assert len(warnings) == 1 and "Odena, Dumoulin, Olah" in warnings[0]
        assert compare_upsamplers(CompareUpsamplersRequest(input=[[[1, 2]]], scale_factor=2), SETTINGS).warnings == []

    def test_coverage_is_output_shaped(self) -> None:
        x = np.ones((2, 3, 2, 3))
        out = run(input=x.tolist(), scale_factor=3, methods=["conv_transpose"])["conv_transpose"]
        assert out["coverage"].shape == out["output"].shape == (2, 3, 6, 9)
        assert out["coverage"].dtype == np.int64


class TestMaxUnpool:
    def test_values_at_the_pools_indices(self) -> None:
        out = run(input=[[[10, 20]]], scale_factor=2, pooled_from=[[[1, 5, 4, 2]]], methods=["max_unpool"])
        assert out["max_unpool"]["output"].tolist() == [[[0, 10, 20, 0]]]

    def test_pooled_from_with_a_remainder_unpools_where_its_indices_point(self) -> None:
        # 2-D, pooled_from 5x5 pools (f = 2) to 2x2: its flat indices are in a 5-wide plane.
        pooled = np.zeros((1, 1, 5, 5))
        pooled[0, 0, 1, 1] = pooled[0, 0, 0, 3] = pooled[0, 0, 3, 0] = pooled[0, 0, 2, 2] = 1
        out = run(input=[[[[1, 2], [3, 4]]]], scale_factor=2, pooled_from=pooled.tolist(), methods=["max_unpool"])
        expected = np.zeros((1, 1, 4, 4))
        expected[0, 0, 1, 1], expected[0, 0, 0, 3], expected[0, 0, 3, 0], expected[0, 0, 2, 2] = 1, 2, 3, 4
        assert out["max_unpool"]["output"].tolist() == expected.tolist()

    def test_pool_result_must_have_the_inputs_shape(self) -> None:
        with pytest.raises(InvalidRequest) as info:
            run(input=[[[1, 2]]], scale_factor=2, pooled_from=[[[1, 2, 3, 4, 5, 6]]])
        assert info.value.errors[0].loc == ("pooled_from",)


class TestMethods:
    def test_default_methods(self) -> None:
        assert list(run(input=[[[1, 2]]], scale_factor=2)) == ["nearest", "bilinear", "bilinear_align_corners",
                                                                "conv_transpose"]
        assert list(run(input=[[[[1]]]], scale_factor=2, pooled_from=[[[[1, 2], [3, 4]]]])) == [
            "nearest", "bilinear", "bilinear_align_corners", "bicubic", "conv_transpose", "max_unpool"]

    def test_requested_order_is_kept(self) -> None:
        assert list(run(input=[[[1, 2]]], scale_factor=2, methods=["conv_transpose", "nearest"])) == [
            "conv_transpose", "nearest"]

    @pytest.mark.parametrize("rank", [1, 3])
    def test_bicubic_outside_2d_is_a_422(self, rank: int) -> None:
        with pytest.raises(InvalidRequest) as info:
            run(input=np.ones((1, 1) + (2,) * rank).tolist(), scale_factor=2, methods=["nearest", "bicubic"])
        assert info.value.errors[0].loc == ("methods", 1)

    def test_linear_mode_of_the_rank(self) -> None:
        x = np.random.default_rng(0).random((1, 1, 2, 3, 2))
        out = run(input=x.tolist(), scale_factor=2, methods=["bilinear", "bilinear_align_corners"])
        np.testing.assert_array_equal(out["bilinear"]["output"], cn.upsample(x, scale_factor=2, mode="trilinear",
                                                                             align_corners=False))
        np.testing.assert_array_equal(out["bilinear_align_corners"]["output"],
                                      cn.upsample(x, scale_factor=2, mode="trilinear", align_corners=True))

    @pytest.mark.parametrize(("f", "k", "why"), [(4, 1, "negative"), (5, 2, "negative"), (1, 2, "output_padding")])
    def test_illegal_weight_is_a_422(self, f: int, k: int, why: str) -> None:
        with pytest.raises(InvalidRequest, match=why) as info:
            run(input=[[[1, 2]]], scale_factor=f, weight=[[[1.0] * k]])
        assert info.value.errors[0].loc == ("weight",)

    def test_weight_shape_must_be_c_c_k(self) -> None:
        with pytest.raises(InvalidRequest, match=r"\(C, C, \*kernel\)"):
            run(input=[[[1, 2], [3, 4]]], scale_factor=2, weight=[[[1, 1]]])

    def test_output_limit_counts_every_method_and_the_coverage(self) -> None:
        settings = Settings.model_construct(max_output_elements=5 * 8)  # 4 outputs + coverage of 8 each
        body = CompareUpsamplersRequest(input=[[[1, 2, 3, 4]]], scale_factor=2)
        assert len(compare_upsamplers(body, settings).results) == 4
        with pytest.raises(LimitExceeded):
            compare_upsamplers(body, Settings.model_construct(max_output_elements=5 * 8 - 1))

    def test_work_limit(self) -> None:
        body = CompareUpsamplersRequest(input=np.ones((1, 1, 8, 8)).tolist(), scale_factor=4,
                                        methods=["conv_transpose"])
        with pytest.raises(LimitExceeded) as info:
            compare_upsamplers(body, Settings.model_construct(max_compute_work=1000))
        assert info.value.extra["limit"] == "max_compute_work"

    def test_input_limit_counts_every_tensor(self) -> None:
        body = CompareUpsamplersRequest(input=[[[1, 2]]], scale_factor=2, pooled_from=[[[1, 2, 3, 4]]])
        with pytest.raises(LimitExceeded):
            compare_upsamplers(body, Settings.model_construct(max_input_elements=5))
