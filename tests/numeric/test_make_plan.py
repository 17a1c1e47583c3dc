"""``numeric._plan``: the op and shape checks before any kernel runs."""

from __future__ import annotations

import pytest

from convplan.compute import run_compute
from convplan.errors import UnknownOp
from convplan.numeric._plan import make_plan
from convplan.ops import COMPUTE_OPS, OPS
from convplan.settings import Settings


def test_an_unknown_op_lists_the_compute_ops_as_the_route_does() -> None:
    with pytest.raises(UnknownOp) as library:
        make_plan("nope", {"input": (1, 1, 3)}, {})
    with pytest.raises(UnknownOp) as service:
        run_compute("nope", {}, Settings.model_construct())
    assert library.value.detail == service.value.detail
    assert library.value.detail.endswith("compute ops: " + ", ".join(COMPUTE_OPS))
    assert library.value.errors[0].loc == ("op",)


def test_a_shape_only_op_is_no_compute_op() -> None:
    assert "relu" in OPS and "relu" not in COMPUTE_OPS
    with pytest.raises(UnknownOp):
        make_plan("relu", {"input": (1, 1, 3)}, {})
