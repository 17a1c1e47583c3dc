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
