"""The op protocol: what code outside ``convplan.ops`` asks an op, and the refusals for ops that lack it."""

from __future__ import annotations

from typing import Literal

import pytest

from convplan.commands._spec import OP_NAMES, SpecError, parse_layer
from convplan.compute import REQUESTS, run_compute
from convplan.errors import UnknownOp
from convplan.numeric._plan import make_plan
from convplan.ops import OPS, OpModel, register
from convplan.ops.pool import AvgPoolParams, AvgPoolRequest
from convplan.settings import Settings


def test_compute_ops_come_from_the_registry_in_listing_order() -> None:
    assert list(REQUESTS) == ["conv", "conv_transpose", "max_pool", "avg_pool", "lp_pool", "adaptive_avg_pool",
                              "adaptive_max_pool", "max_unpool", "upsample", "pixel_shuffle", "pixel_unshuffle"]
    assert all(OPS[op].compute_request is REQUESTS[op] for op in REQUESTS)


def test_a_compute_op_without_a_kernel_is_refused_at_registration() -> None:
    class Half(OpModel):
        names = ("half_declared_op",)
        compute_params = AvgPoolParams
        compute_request = AvgPoolRequest

        op: Literal["half_declared_op"]

    with pytest.raises(RuntimeError, match="compute_params, compute_request and kernel together"):
        register(Half)
    assert "half_declared_op" not in OPS


def test_an_op_without_a_kernel_is_not_computed() -> None:
    with pytest.raises(UnknownOp):
        make_plan("relu", {"input": (1, 1, 4)}, {})
    with pytest.raises(UnknownOp):
        run_compute("batch_norm", {"input": [[[1.0]]]}, Settings.model_construct())


def test_command_line_names_and_keys_are_the_ops() -> None:
    assert OP_NAMES["bn"] == "batch_norm" and OP_NAMES["deconv"] == "conv_transpose"
    assert parse_layer("pixel_unshuffle:r=2") == {"op": "pixel_unshuffle", "downscale_factor": 2}
    assert parse_layer("pixel_unshuffle:upscale_factor=2") == {"op": "pixel_unshuffle", "downscale_factor": 2}
    assert parse_layer("shuffle:2") == {"op": "pixel_shuffle", "upscale_factor": 2}
    assert parse_layer("conv:3,c=8,pm=reflect") == {"op": "conv", "kernel_size": 3, "out_channels": 8,
                                                   "padding_mode": "reflect"}
    with pytest.raises(SpecError, match="no main parameter"):
        parse_layer("group_norm:4")


@pytest.mark.parametrize(("layer", "symmetric"), [
    ({"op": "conv", "kernel_size": 3, "padding": [1, 1]}, True),
    ({"op": "conv", "kernel_size": [3, 5]}, False),
    ({"op": "conv", "kernel_size": 3, "padding": [[0, 1], [0, 1]]}, True),
    ({"op": "conv", "kernel_size": 3, "padding": [[0, 1], [1, 0]]}, False),
    ({"op": "conv_transpose", "kernel_size": 2, "stride": 2, "output_padding": [0, 1]}, False),
    ({"op": "max_pool", "kernel_size": 2, "dilation": [1, 2]}, False),
    ({"op": "avg_pool", "kernel_size": 2, "padding": [1, 0]}, False),
    ({"op": "upsample", "scale_factor": [2, 2]}, True),
    ({"op": "upsample", "size": [8, 9]}, False),
    ({"op": "add", "other_size": [1, 7]}, False),
    ({"op": "concat"}, True),
    ({"op": "batch_norm"}, True),
    ({"op": "layer_norm", "normalized_shape": 8}, False),  # the last axis only
    ({"op": "pad", "padding": [0, [0, 0]]}, False),  # the same amounts, written differently
    ({"op": "pad", "size_of": "y"}, True),
    ({"op": "crop", "size_of": "y", "axes": [1]}, False),
    ({"op": "crop", "crop": [[1, 2]]}, True),
    ({"op": "adaptive_avg_pool", "output_size": 4}, False),  # not declared
])
def test_axis_symmetric_needs_one_value_for_every_axis(layer: dict[str, object], symmetric: bool) -> None:
    assert OPS[layer["op"]].model_validate(layer).axis_symmetric() is symmetric


class TestAlongAxis:
    """``OpModel.along_axis``: a layer as the 1-D layer a plan's per-axis valid-size solver runs."""

    def test_per_axis_lists_keep_the_axis_entry(self) -> None:
        conv = OPS["conv"].model_validate({"op": "conv", "kernel_size": [3, 5], "stride": [1, 2], "padding": 1})
        sliced = conv.along_axis(1)
        assert sliced.kernel_size == [5] and sliced.stride == [2] and sliced.padding == 1  # type: ignore[attr-defined]
        assert type(sliced) is type(conv)

    def test_multi_axis_interpolation_is_linear_on_one_axis(self) -> None:
        up = OPS["upsample"].model_validate({"op": "upsample", "scale_factor": [2, 4], "mode": "bilinear",
                                             "antialias": True})
        sliced = up.along_axis(1)
        assert (sliced.mode, sliced.antialias, sliced.scale_factor) == ("linear", False, [4])  # type: ignore[attr-defined]

    def test_pixel_unshuffle_is_an_avg_pool_that_reports_instead_of_refusing(self) -> None:
        sliced = OPS["pixel_unshuffle"].model_validate({"op": "pixel_unshuffle", "downscale_factor": 3}).along_axis(0)
        assert sliced.op == "avg_pool" and sliced.kernel_size == 3 and sliced.stride == 3  # type: ignore[attr-defined]

    def test_shape_neutral_ops_declare_it(self) -> None:
        neutral = {name for name, model in OPS.items() if model.shape_neutral}
        assert {"relu", "batch_norm", "instance_norm", "dropout", "identity", "gelu"} <= neutral
        assert not neutral & {"conv", "max_pool", "upsample", "pad", "crop", "concat", "add"}
