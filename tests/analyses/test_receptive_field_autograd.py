"""Receptive fields against autograd (contract section 9): the committed fixtures (made by PyTorch, see
tests/fixtures/make_receptive_field_fixtures.py) always, fresh random stacks when torch is installed."""

from __future__ import annotations

import importlib.util
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from tests.analyses.rf_check import check_spans

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = json.loads((FIXTURES / "receptive_field_stacks.json").read_text())["cases"]


def _check_all(cases: list[dict]) -> Counter:
    """Check every case; count what was exercised (the fixture must reach the phases that matter)."""
    seen: Counter = Counter()
    for case in cases:
        checked = check_spans(case["request"], case["spans"])
        seen["cases"] += 1
        seen["with interior pixels"] += bool(checked)
        seen["pixels"] += len(checked)
        seen["phased (period > 1)"] += any(period > 1 for _, _, period in checked)
        seen["empty phases"] += any(span is None for row in case["spans"] for span in row)
        seen["axes > 1"] += len(case["request"]["input_size"]) > 1
    return seen


def test_fixture_cases_agree_with_autograd() -> None:
    seen = _check_all(CASES)
    assert seen["with interior pixels"] >= 0.9 * seen["cases"], seen
    assert seen["phased (period > 1)"] >= 0.3 * seen["cases"], seen
    assert seen["empty phases"] and seen["axes > 1"], seen


@pytest.mark.torch
def test_fresh_random_stacks_agree_with_autograd() -> None:
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("make_rf", FIXTURES / "make_receptive_field_fixtures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seed = int(os.environ.get("CONVPLAN_CROSSCHECK_SEED", "7"))
    seen = _check_all(module.make_cases(seed, 60))
    assert seen["with interior pixels"] >= 0.8 * seen["cases"], seen


@pytest.mark.torch
def test_unet_plan_joins_agree_with_autograd() -> None:
    """The U-Net paper's network in 1-D (/v1/plan, crops as applied): every output pixel's field, through
    the merges' joins, is autograd's span (concat then a conv of ones sums both inputs)."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    from convplan.plan.models import PlanRequest
    from convplan.plan.runner import run_plan

    body = run_plan(PlanRequest.model_validate({"input_size": [572], "template": {"name": "unet"}}))
    x = torch.ones(1, 1, 572, dtype=torch.float64, requires_grad=True)

    def ones(channels: int, k: int) -> torch.Tensor:
        return torch.ones(1, channels, k, dtype=torch.float64)

    h, skips = x, []
    for level in range(5):
        h = F.avg_pool1d(h, 2) if level else h
        h = F.conv1d(F.conv1d(h, ones(1, 3)), ones(1, 3))
        skips.append(h)
    for t in range(4):
        h = F.conv_transpose1d(h, ones(1, 2), stride=2)
        (before, after), = body["skips"][t]["applied_skip"]
        skip = skips[3 - t][..., -before: skips[3 - t].shape[-1] + after]
        h = F.conv1d(F.conv1d(torch.cat([skip, h], 1), ones(2, 3)), ones(1, 3))
    rf = body["head"]["layers"][-1]["receptive_field"][0]
    assert (rf["jump"], rf["period"], rf["size"], rf["size_min"]) == (1, 16, 204, 188)
    for y in range(h.shape[-1]):
        (grad,) = torch.autograd.grad(h[0, 0, y], x, retain_graph=True)
        hit = torch.nonzero(grad[0, 0]).flatten()
        lo, hi = rf["phases"][y % 16]
        assert [int(hit.min()), int(hit.max())] == [y + lo, y + hi], y
