"""Regressions from the contract review (each test names what was wrong)."""

from __future__ import annotations

import pytest

from convplan.plan import PlanRequest, run_plan
from tests.shapes.conftest import refused, shapes


def test_symbolic_stride_that_may_be_zero_is_a_condition_not_a_crash():
    out = shapes([10], [{"op": "conv", "kernel_size": 3, "stride": "s"}], symbols={"s": {"min": 0}})
    assert [c["expr"] for c in out["conditions"]] == ["s >= 1"]


def test_symbolic_upsample_refuses_scales_that_are_not_short_dyadic():
    assert "use `size`" in refused(["2*H"], {"op": "upsample", "scale_factor": 0.3}).detail
    assert shapes(["2*H"], [{"op": "upsample", "scale_factor": 1.5}])["output_size"] == ["3*H"]


def test_pool_same_padding_obeys_the_half_kernel_limit():
    err = refused([10], {"op": "max_pool", "kernel_size": 3, "dilation": 2, "stride": 1, "padding": "same_upper"})
    assert "at most half" in err.detail


def test_i_in_layer_parameters_is_refused_but_fine_as_an_input_size():
    assert "'i'" in refused([10], {"op": "conv", "kernel_size": 3, "padding": "i"}).detail
    assert shapes(["i"], [{"op": "conv", "kernel_size": 3}])["output_size"] == ["i - 2"]


@pytest.mark.parametrize("padding", [["same"], [["same", 0]]])
def test_mode_names_inside_padding_lists_are_refused(padding):
    assert refused([10], {"op": "conv", "kernel_size": 3, "padding": padding}).status == 422


def test_formula_templates_carry_latex():
    layer = shapes([10], [{"op": "max_pool", "kernel_size": 2}])["layers"][0]
    assert layer["formula"] == ["floor(i/2)"]
    assert layer["formula_latex"] == [r"\left\lfloor{\frac{i}{2}}\right\rfloor"]


def _plan(body):
    return run_plan(PlanRequest.model_validate(body))


def test_symbolic_merge_of_different_sizes_is_not_aligned():
    out = _plan({"input_size": ["H"], "encoder": [{"layers": []}, {"layers": [{"op": "max_pool", "kernel_size": 2}]}],
                 "decoder": [{"up": [], "skip": 0, "merge": "add"}]})
    assert out["skips"][0]["aligned"] is False and out["skips"][0]["applied"] == "crop"


@pytest.mark.parametrize("body", [
    {"input_size": ["2*H"], "encoder": [{"layers": []}, {"layers": [{"op": "max_pool", "kernel_size": 2}]}],
     "decoder": [{"up": [], "skip": 0, "merge": "add"}, {"up": [], "skip": 0, "merge": "add"}]},
    {"input_size": ["H"], "align": "pad", "encoder": [{"layers": []}, {"layers": []}],
     "decoder": [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 0, "merge": "concat"},
                 {"up": [], "skip": 1, "merge": "add"}]},
])
def test_symbolic_plans_with_symbolic_offsets_do_not_crash(body):
    assert _plan(body)["ok"] is True


def test_indices_from_outside_a_plan_is_refused():
    err = refused([8], {"op": "max_unpool", "kernel_size": 2, "indices_from": 0})
    assert err.errors[0].loc == ("layers", 0, "indices_from")


@pytest.mark.parametrize("size", [[8, 8], ["H", 8]])
def test_receptive_fields_before_and_after_a_flatten_are_per_input_axis(size):
    """They were per axis of the stack's *output*: a stack ending in a head gave every layer `[]`, the conv
    before the flatten included (and the shapes memo, per input axis, disagreed with the engine)."""
    layers = [{"op": "conv", "kernel_size": 3}, {"op": "flatten"},
              {"op": "linear", "in_features": 3 * 36, "out_features": 4}]
    fields = [layer["receptive_field"] for layer in shapes(size, layers, in_channels=3)["layers"]]
    assert [f["size"] for f in fields[0]] == [3, 3]
    assert fields[1:] == [[None, None], [None, None]]
