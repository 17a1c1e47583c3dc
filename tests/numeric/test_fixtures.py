"""Replays the golden fixtures (generated from torch by
``tests/fixtures/make_numeric_fixtures.py``) against ``convplan.numeric``,
without torch: relative 1e-9, absolute 1e-12 x max|output|, indices exact.

They include ``antialias=True`` with an output one column wide while the height changes, where torch 2.13's
kernel repeats row 0 (``kernels/interp.py``): that is reproduced as well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import convplan.numeric as cn

FIXTURES = Path(__file__).parent.parent / "fixtures"
OPS = ["conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "adaptive_avg_pool", "adaptive_max_pool",
       "upsample", "pixel_shuffle", "pixel_unshuffle"]


def _cases() -> list[Any]:
    out = []
    for op in OPS:
        data = json.loads((FIXTURES / f"numeric_{op}.json").read_text())
        for n, c in enumerate(data["cases"]):
            out.append(pytest.param(c, id=f"{op}-{n}"))
    return out


def assert_close(actual: np.ndarray, expected: Any) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    scale = float(np.abs(expected).max(initial=0.0))
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12 * scale)


@pytest.mark.parametrize("case", _cases())
def test_fixture(case: dict[str, Any]) -> None:
    fn = getattr(cn, case["op"])
    tensors = [np.asarray(t) for t in case["tensors"]]
    if case["op"] == "max_unpool":
        tensors[1] = tensors[1].astype(np.int64)
    result = fn(*tensors, **case["kwargs"])
    if "indices" in case["expected"]:
        values, indices = result
        np.testing.assert_array_equal(indices, np.asarray(case["expected"]["indices"]))
    else:
        values = result
    assert_close(values, case["expected"]["output"])


def test_fixture_counts() -> None:
    counts = {op: len(json.loads((FIXTURES / f"numeric_{op}.json").read_text())["cases"]) for op in OPS}
    assert all(n >= 10 for n in counts.values()), counts
