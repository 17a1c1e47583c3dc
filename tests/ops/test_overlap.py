"""Overlap of transposed convolutions and unpooling per output phase (contract section 10).

Brute force: scatter every (input pixel, tap) pair of a 1-D transposed
convolution and read off, for each interior output, which taps reach it; the
counts also come from the numeric core (ones transposed-convolved by ones).
"""

from __future__ import annotations

from collections import defaultdict
from math import gcd

import numpy as np
import pytest

import convplan.numeric as cn
from convplan.ops import axis_overlap, checkerboard_warning
from convplan.ops._overlap import MAX_LISTED_TAPS
from convplan.shapes import ShapesRequest, run_shapes


def scatter(k: int, s: int, d: int, p: int, i: int) -> dict[int, set[int]]:
    """Output y -> the taps t some input j writes there (y = s*j + d*t - p), for the interior outputs:
    those every candidate window lies inside the input for."""
    reached: dict[int, set[int]] = defaultdict(set)
    for j in range(i):
        for t in range(k):
            reached[s * j + d * t - p].add(t)
    interior = range(d * (k - 1) - p, (i - 1) * s - p + 1)
    return {y: reached.get(y, set()) for y in interior}


def size_for(k: int, s: int, d: int) -> int:
    """An input long enough for at least two full periods of interior outputs."""
    return (d * (k - 1)) // s + 4


class TestAxisOverlap:
    @pytest.mark.parametrize("k", range(1, 12))
    def test_taps_equal_a_direct_scatter(self, k: int) -> None:
        for s in range(1, 7):
            for d in range(1, 6):
                for p in sorted({0, 1, (d * (k - 1)) // 2, d * (k - 1)}):
                    ov = axis_overlap(k, s, d, p)
                    assert ov.taps is not None
                    interior = scatter(k, s, d, p, size_for(k, s, d))
                    assert len(interior) >= 2 * s
                    for y, taps in interior.items():
                        assert set(ov.taps[y % s]) == taps, (k, s, d, p, y)
                    counts = {len(t) for t in ov.taps}
                    assert ov.uniform == (len(counts) == 1), (k, s, d, p)
                    assert ov.holes == (0 in counts), (k, s, d, p)
                    assert ov.uniform == (gcd(d, s) == 1 and k % s == 0)

    @pytest.mark.parametrize(("k", "s", "d"), [(3, 2, 1), (4, 2, 1), (5, 3, 2), (3, 2, 2), (7, 4, 3), (2, 3, 1)])
    def test_counts_equal_ones_transposed_convolved_by_ones(self, k: int, s: int, d: int) -> None:
        i = size_for(k, s, d)
        out = cn.conv_transpose(np.ones((1, 1, i)), np.ones((1, 1, k)), stride=s, dilation=d)[0, 0]
        ov = axis_overlap(k, s, d, 0)
        assert ov.taps is not None
        for z in range(d * (k - 1), (i - 1) * s + 1):  # padding 0: output index = z
            assert out[z] == len(ov.taps[z % s])

    def test_k3_s2_d2_leaves_holes(self) -> None:
        # The example: only even outputs are reached, three taps each in the interior.
        coverage = cn.conv_transpose(np.ones((1, 1, 4)), np.ones((1, 1, 3)), stride=2, dilation=2)[0, 0]
        assert coverage.tolist() == [1, 0, 2, 0, 3, 0, 3, 0, 2, 0, 1]
        ov = axis_overlap(3, 2, 2, 0)
        assert ov.taps == ((0, 1, 2), ())
        assert ov.holes and not ov.uniform

    def test_named_cases(self) -> None:
        assert axis_overlap(3, 2, 1, 1).taps == ((1,), (0, 2))  # the classic uneven k3 s2
        assert axis_overlap(4, 2, 1, 1).taps == ((1, 3), (0, 2))  # k4 s2 p1: uniform
        assert axis_overlap(4, 2, 1, 1).uniform
        assert axis_overlap(1, 2, 1, 0).taps == ((0,), ())  # k < s: holes
        assert axis_overlap(5, 5, 3, 0).uniform  # gcd(3, 5) = 1 and 5 | 5

    def test_huge_parameters_omit_taps_but_keep_the_closed_forms(self) -> None:
        ov = axis_overlap(10**9, 2, 1, 0)
        assert ov.taps is None and ov.uniform and not ov.holes
        assert axis_overlap(MAX_LISTED_TAPS - 2, 2, 1, 0).taps is not None
        assert axis_overlap(10**9 + 1, 2, 2, 0).holes

    def test_warning_names_the_checkerboard_paper(self) -> None:
        assert checkerboard_warning([axis_overlap(4, 2, 1, 1)]) is None
        text = checkerboard_warning([axis_overlap(4, 2, 1, 1), axis_overlap(3, 2, 1, 1)])
        assert text is not None
        assert text.startswith("axis 1: uneven overlap (taps per output phase: 1, 2)")
        assert "Odena, Dumoulin, Olah" in text and "Distill 2016" in text
        assert "axis 0: holes (taps per output phase: 3, 0)" in str(checkerboard_warning([axis_overlap(3, 2, 2, 0)]))


def shapes(layers: list[dict[str, object]], size: list[object]) -> dict[str, object]:
    return run_shapes(ShapesRequest.model_validate({"input_size": size, "layers": layers}))


class TestLayerOverlap:
    def test_conv_transpose_and_max_unpool_report_it_other_ops_null(self) -> None:
        out = shapes([{"op": "conv", "kernel_size": 3}, {"op": "conv_transpose", "kernel_size": [3, 4], "stride": 2,
                                                          "padding": 1},
                      {"op": "max_unpool", "kernel_size": 3, "stride": 2}], [9, 9])
        conv, convt, unpool = out["layers"]  # type: ignore[misc]
        assert conv["overlap"] is None and conv["warnings"] == []
        assert convt["overlap"] == [{"taps": [[1], [0, 2]], "uniform": False, "holes": False},
                                    {"taps": [[1, 3], [0, 2]], "uniform": True, "holes": False}]
        assert convt["warnings"][0].startswith("axis 0: uneven overlap")
        assert unpool["overlap"][0] == {"taps": [[0, 2], [1]], "uniform": False, "holes": False}
        assert any(w.startswith("layer 2: axis 0: uneven overlap") for w in out["warnings"])  # type: ignore[attr-defined]

    def test_uniform_layer_has_no_warning(self) -> None:
        out = shapes([{"op": "conv_transpose", "kernel_size": 2, "stride": 2}], [4])
        assert out["warnings"] == []
        assert out["layers"][0]["overlap"] == [{"taps": [[0], [1]], "uniform": True, "holes": False}]  # type: ignore[index]

    def test_symbolic_parameter_gives_null_axis(self) -> None:
        out = shapes([{"op": "conv_transpose", "kernel_size": ["k", 3], "stride": 2}], ["H", "W"])
        assert out["layers"][0]["overlap"] == [None, {"taps": [[0, 2], [1]], "uniform": False,  # type: ignore[index]
                                                      "holes": False}]

    def test_symbolic_input_size_keeps_numeric_overlap(self) -> None:
        out = shapes([{"op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1}], ["H"])
        assert out["layers"][0]["overlap"] == [{"taps": [[1, 3], [0, 2]], "uniform": True,  # type: ignore[index]
                                                "holes": False}]


def test_plan_layers_carry_overlap() -> None:
    from convplan.plan import PlanRequest, run_plan

    out = run_plan(PlanRequest.model_validate({"input_size": [572], "in_channels": 1,
                                               "template": {"name": "unet", "depth": 4}}))
    ups = [layer for stage in out["decoder"] for layer in stage["layers"] if layer["op"] == "conv_transpose"]
    assert len(ups) == 4
    assert all(layer["overlap"] == [{"taps": [[0], [1]], "uniform": True, "holes": False}] for layer in ups)
    others = [layer for stage in out["encoder"] for layer in stage["layers"]]
    assert others and all(layer["overlap"] is None for layer in others)
