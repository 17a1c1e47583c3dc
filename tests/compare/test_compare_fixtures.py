"""Replays ``tests/fixtures/compare_upsamplers.json`` (PyTorch 2.13 float64, made by
``tests/fixtures/make_compare_fixtures.py``) through ``compare_upsamplers``, without torch:
relative 1e-9, absolute 1e-12 x max|output| (contract section 4); coverage exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convplan.compare import CompareUpsamplersRequest, compare_upsamplers
from convplan.settings import Settings

FIXTURE = Path(__file__).parent.parent / "fixtures" / "compare_upsamplers.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


def assert_close(actual: np.ndarray, expected: Any) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    scale = float(np.abs(expected).max(initial=0.0))
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12 * scale)


def test_fixtures_cover_every_method_and_rank() -> None:
    seen = {(np.asarray(c["request"]["input"]).ndim - 2, m) for c in CASES for m in c["expected"]}
    for rank in (1, 2, 3):
        for method in ("nearest", "bilinear", "bilinear_align_corners", "conv_transpose", "max_unpool"):
            assert (rank, method) in seen
    assert (2, "bicubic") in seen
    assert any("weight" in c["request"] for c in CASES) and any("weight" not in c["request"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_fixture(case: dict[str, Any]) -> None:
    request = CompareUpsamplersRequest.model_validate(case["request"])
    result = compare_upsamplers(request, Settings.model_construct()).as_dict()
    assert list(result["methods"]) == list(case["expected"])
    for method, expected in case["expected"].items():
        got = result["methods"][method]
        assert got["shape"] == expected["shape"]
        assert_close(got["output"], expected["output"])
        if "coverage" in expected:
            assert got["coverage"].tolist() == expected["coverage"]
