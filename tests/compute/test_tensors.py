"""The nested-list walk: counted level by level, strict leaves, located errors."""

from __future__ import annotations

import pytest

from convplan.compute.tensors import build, measure
from convplan.errors import InvalidRequest, LimitExceeded


def test_shape_and_values() -> None:
    m = measure([[[1, 2.5], [3, 4]]], ("input",), budget=100, limit=100)
    assert m.shape == (1, 2, 2)
    assert build(m).tolist() == [[[1, 2.5], [3, 4]]]


def test_stops_counting_at_the_budget() -> None:
    with pytest.raises(LimitExceeded) as info:
        measure([[0] * 50] * 50, ("input",), budget=100, limit=100)
    assert info.value.status == 413


@pytest.mark.parametrize(
    ("value", "loc"),
    [([[1, 2], [3]], ("x", 1)), ([[1, False]], ("x", 0, 1)), ([[[]]], ("x", 0, 0)),
     ([1, [2]], ("x", 1)), ([[1, "2"]], ("x", 0, 1))],
)
def test_located_errors(value: object, loc: tuple) -> None:
    with pytest.raises(InvalidRequest) as info:
        measure(value, ("x",), budget=100, limit=100)
    assert info.value.errors[0].loc == loc


def test_integers_only_for_indices() -> None:
    with pytest.raises(InvalidRequest):
        measure([[1, 2.0]], ("indices",), budget=10, limit=10, integer=True)
    assert (
        build(measure([[1, 2]], ("indices",), budget=10, limit=10, integer=True), integer=True).dtype.kind == "i"
    )


def test_huge_integer_is_422() -> None:
    with pytest.raises(InvalidRequest):
        build(measure([[10**400]], ("input",), budget=10, limit=10))
