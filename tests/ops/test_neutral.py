"""The shape-neutral vocabulary against PyTorch: parameter counts and refusals.

``tests/fixtures/neutral_ops.json`` was made by running torch 2.13 (see
``make_neutral_fixtures.py`` beside it); the replay needs no torch, the
regeneration check skips without it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from convplan.errors import ConvplanError
from convplan.shapes import ShapesRequest, run_shapes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES: list[dict[str, Any]] = json.loads((FIXTURES / "neutral_ops.json").read_text())["cases"]


def _disagreement(case: dict[str, Any]) -> str | None:
    try:
        result = run_shapes(ShapesRequest.model_validate(case["request"]))
    except ConvplanError as exc:
        if case["error"] is None:
            return f"refused ({exc.detail}); torch gave {case['expected']}"
        return None
    if case["error"] is not None:
        return f"ran (params {result['params']}); torch refused: {case['error']['message']}"
    got = {"params": result["params"], "out_channels": result["out_channels"], "output_size": result["output_size"]}
    return None if got == case["expected"] else f"{got} != torch's {case['expected']}"


def test_every_fixture_case_agrees_with_torch() -> None:
    failures = {c["id"]: why for c in CASES if (why := _disagreement(c)) is not None}
    shown = "\n".join(f"{cid} {next(c['request'] for c in CASES if c['id'] == cid)}: {why}"
                      for cid, why in list(failures.items())[:10])
    assert not failures, f"{len(failures)} of {len(CASES)} disagree:\n{shown}"


def test_fixtures_cover_refusals_and_parameters() -> None:
    ops = {c["request"]["layers"][0]["op"] for c in CASES}
    assert {"instance_norm", "group_norm", "layer_norm", "prelu", "batch_norm", "softmax", "dropout3d"} <= ops
    refused = {c["request"]["layers"][0]["op"] for c in CASES if c["error"]}
    assert {"instance_norm", "batch_norm", "group_norm", "layer_norm", "prelu", "dropout1d"} <= refused
    assert any(c["expected"] and c["expected"]["params"] == 288 for c in CASES)  # layer_norm [6, 3, 2, 4]


@pytest.mark.torch
def test_fixtures_are_what_torch_does_now() -> None:
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("make_neutral_fixtures", FIXTURES / "make_neutral_fixtures.py")
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.build() == CASES


def _shapes(layers: list[dict[str, Any]], size: list[Any], channels: Any = 8, **extra: Any) -> dict[str, Any]:
    return run_shapes(ShapesRequest.model_validate({"input_size": size, "in_channels": channels, "layers": layers,
                                                    **extra}))


class TestRefusals:
    def test_instance_norm_refuses_one_pixel_in_eval(self) -> None:
        with pytest.raises(ConvplanError, match="more than 1 spatial element") as info:
            _shapes([{"op": "conv", "kernel_size": 3, "padding": 1}, {"op": "instance_norm"}], [1, 1])
        assert info.value.errors[0].loc == ("layers", 1)
        assert info.value.status == 422

    def test_instance_norm_with_running_stats_runs_in_eval_only(self) -> None:
        layer = {"op": "instance_norm", "track_running_stats": True}
        assert _shapes([layer], [1, 1])["output_size"] == [1, 1]
        with pytest.raises(ConvplanError, match="more than 1 spatial element"):
            _shapes([layer], [1, 1], training=True)

    def test_batch_norm_refuses_one_value_per_channel_in_training(self) -> None:
        assert _shapes([{"op": "batch_norm"}], [1])["params"] == 16
        with pytest.raises(ConvplanError, match="more than 1 value per channel"):
            _shapes([{"op": "batch_norm"}], [1], training=True)

    def test_symbolic_sizes_give_conditions(self) -> None:
        result = _shapes([{"op": "instance_norm"}, {"op": "layer_norm", "normalized_shape": [8, 16]}], ["H", "W"])
        exprs = sorted(c["expr"] for c in result["conditions"])
        assert exprs == ["H == 8", "H*W >= 2", "W == 16"]
        assert result["params"] == 256

    def test_group_norm_groups_must_divide_channels(self) -> None:
        with pytest.raises(ConvplanError, match=r"num_channels \(8\) must be divisible by num_groups \(3\)") as info:
            _shapes([{"op": "group_norm", "num_groups": 3}], [4])
        assert info.value.errors[0].loc == ("layers", 0, "num_groups")

    def test_unknown_channels_skip_the_groups_check_with_a_warning(self) -> None:
        result = _shapes([{"op": "group_norm", "num_groups": 3}], [4], channels=None)
        assert result["params"] is None
        assert any("num_groups" in w for w in result["layers"][0]["warnings"])

    def test_softmax_over_a_spatial_axis_is_refused(self) -> None:
        with pytest.raises(ConvplanError, match="only dim 1"):
            _shapes([{"op": "softmax", "dim": 2}], [4, 4])
        assert _shapes([{"op": "log_softmax", "dim": -3}], [4, 4])["output_size"] == [4, 4]


def test_a_transparent_op_is_one_torch_never_refused_and_that_kept_the_shape() -> None:
    """``OpModel.transparent`` (the valid-size scans leave such nodes out) against the torch replay: every
    case of an op that says so in the case's mode ran in torch, with the input's size and channels."""
    from convplan.ops import OPS

    seen = set()
    for case in CASES:
        request = case["request"]
        layer = request["layers"][0]
        op = OPS[layer["op"]].model_validate(layer)
        if not op.transparent(request["training"]):
            continue
        seen.add((layer["op"], request["training"]))
        assert case["error"] is None, case
        assert case["expected"]["output_size"] == request["input_size"], case
        assert case["expected"]["out_channels"] == request["in_channels"], case
    assert {("relu", False), ("batch_norm", False), ("instance_norm", False)} <= seen
    assert ("batch_norm", True) not in seen and ("relu", True) in seen

