"""holds: comparisons of sizes that may be symbolic (graph/holds.py)."""

from __future__ import annotations

import pytest

from convplan.expr import SymbolTable, parse_expression
from convplan.graph import holds as holds_module
from convplan.graph.holds import holds
from convplan.ops import Resolver


def _resolver() -> Resolver:
    return Resolver(SymbolTable({"H": {"min": 1}, "W": {"min": 1}}))


def _e(text: str) -> object:
    return parse_expression(text, SymbolTable({"H": {"min": 1}, "W": {"min": 1}}))


@pytest.mark.parametrize(("lhs", "relation", "rhs", "expected"), [
    ("2*floor(H/32)", "<=", "floor(H/16)", True),  # a U-Net's up-conv against its skip: never longer
    ("2*floor(H/32)", "==", "floor(H/16)", None),  # equal for some H only
    ("floor(H/2) + floor((H + 1)/2)", "==", "H", True),
    ("floor(floor(H/2)/2)", "==", "floor(H/4)", True),
    ("floor((H + 3)/4)", ">=", "floor(H/4)", True),
    ("floor(H/2) - 2*floor(H/4)", ">", "1", False),
])
def test_one_symbol_comparisons_are_settled_over_a_period(lhs: str, relation: str, rhs: str, expected: bool | None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decide(*args: object, **kwargs: object) -> object:
        raise AssertionError("decide is not needed where one period shows every value")

    monkeypatch.setattr(holds_module, "decide", no_decide)
    assert holds(_e(lhs), relation, _e(rhs), _resolver()) is expected


def test_two_symbols_and_unbounded_differences_go_to_decide() -> None:
    assert holds(_e("H + W"), ">", _e("H"), _resolver()) is True
    assert holds(_e("floor(H/4)"), ">", _e("H"), _resolver()) is False
    assert holds(_e("H"), "==", _e("W"), _resolver()) is None


def test_numbers_at_once() -> None:
    assert holds(3, "<", 4, _resolver()) is True


def test_a_symbolic_u_net_crops_its_larger_skip() -> None:
    # The up-conv's 2*floor(H/32) is never longer than the skip's floor(H/16): the skip is cropped (by their
    # difference, 0 or 1), never the up-conv by a negative amount. Settling that needs the lcm of the two
    # floors' periods (32), not their product (512, past the scan's bound).
    from convplan.graph.schema import GraphRequest
    from convplan.run.graph import run_graph
    from convplan.settings import Settings
    from tests.graph.networks import body, unet

    request = GraphRequest.model_validate({**body(["H"], unet(5, padded=True), align="crop"), "valid_sizes": False})
    deepest = next(m for m in run_graph(request, Settings.model_construct())["merges"]
                   if m["sizes"][1] == ["2*floor(H/32)"])
    assert deepest["sizes"][0] == ["floor(H/16)"]
    assert deepest["crop"] == [[[0, "floor(H/16) - 2*floor(H/32)"]], [[0, 0]]]
