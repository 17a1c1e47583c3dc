"""Bad stacks are 422s (413 over a limit) located in the body, naming the stage and layer."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from convplan.errors import ConvplanError, InvalidRequest, LayerError, LimitExceeded
from convplan.plan import PlanRequest, run_plan

from .stacks import conv, plan, unet

ENCODER = [{"layers": [conv(3, 1, 8)]}, {"layers": [{"op": "max_pool", "kernel_size": 2}, conv(3, 1, 16)]}]


def _refused(body: dict[str, Any], cls: type[ConvplanError] = LayerError) -> ConvplanError:
    with pytest.raises(cls) as info:
        plan(body)
    return info.value


def test_skip_out_of_range() -> None:
    err = _refused({"input_size": [32], "encoder": ENCODER,
                    "decoder": [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 5}]})
    assert err.errors[0].loc == ("decoder", 0, "skip")
    assert "out of range" in err.detail


def test_unpool_indices_used_before_they_exist() -> None:
    encoder = [{"layers": [{"op": "max_unpool", "kernel_size": 2, "indices_from": 1}]}, *ENCODER]
    err = _refused({"input_size": [32], "encoder": encoder})
    assert err.errors[0].loc == ("encoder", 0, "layers", 0, "indices_from")
    assert "before it exists" in err.detail


def test_channel_mismatch_on_add() -> None:
    err = _refused({"input_size": [32], "in_channels": 3, "encoder": ENCODER,
                    "decoder": [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 0, "merge": "add"}]})
    assert err.errors[0].loc == ("decoder", 0, "merge")
    assert "16" in err.detail and "8" in err.detail
    assert err.extra["layers"]  # the layers computed before, for drawing the partial stack


def test_concat_sums_channels() -> None:
    out = plan({"input_size": [32], "in_channels": 3, "encoder": ENCODER,
                "decoder": [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 0}]})
    assert out["skips"][0]["merged_channels"] == 24 and out["out_channels"] == 24


def test_template_with_explicit_stages() -> None:
    err = _refused({"input_size": [572], "template": unet(), "encoder": ENCODER}, InvalidRequest)
    assert err.errors[0].loc == ("encoder",)


def test_size_below_one_names_stage_and_layer() -> None:
    err = _refused({"input_size": [100], "template": unet()})
    loc = err.errors[0].loc
    assert loc[:1] == ("encoder",) and loc[2] == "layers"
    assert err.errors[0].layer is not None


def test_per_axis_error_location_in_a_decoder() -> None:
    decoder = [{"up": [{"op": "conv_transpose", "kernel_size": [2, 2, 2], "stride": 2}], "skip": 0}]
    err = _refused({"input_size": [32, 32], "encoder": ENCODER, "decoder": decoder})
    assert err.errors[0].loc == ("decoder", 0, "up", 0, "kernel_size")
    assert err.errors[0].layer == 3  # global index: 3 encoder layers before it


def test_skip_must_be_non_negative() -> None:
    with pytest.raises(ValidationError):
        PlanRequest.model_validate({"input_size": [32], "encoder": ENCODER, "decoder": [{"skip": -1}]})


def test_stage_limit() -> None:
    from convplan.settings import Settings

    limits = Settings.model_construct(max_stages=2)
    request = PlanRequest.model_validate({"input_size": [32], "encoder": [{"layers": []}] * 3})
    with pytest.raises(LimitExceeded):
        run_plan(request, limits)
