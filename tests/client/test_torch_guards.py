"""The traced path's guards as the body's ``where`` conditions: the valid sets stay inside them (issue 12).

``size_conditions`` is checked on SymPy guards against brute force; then end to end, captured modules whose
Python code branches on sizes, analysed by the graph core (``run_graph``): every size of every set satisfies
every guard, and the guards that cannot be carried are warnings.
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
sympy = pytest.importorskip("sympy")

import torch.nn.functional as F  # noqa: E402 - after the torch skip
import torch_cases as cases  # noqa: E402
from torch import nn  # noqa: E402

from convplan.graph.schema import GraphRequest  # noqa: E402
from convplan.run.graph import run_graph  # noqa: E402
from convplan_client.torch import Guard, capture  # noqa: E402
from convplan_client.torch._guards import size_conditions  # noqa: E402

pytestmark = pytest.mark.torch

H, W = sympy.Symbol("H"), sympy.Symbol("W")


def _members(condition: dict[str, Any], upto: int) -> list[int]:
    def inside(n: int) -> bool:
        if n in condition["extra"]:
            return True
        top = condition["max"]
        return n >= condition["min"] and (top is None or n <= top) and n % condition["modulus"] in condition["residues"]

    return [n for n in range(1, upto) if inside(n)]


@pytest.mark.parametrize("expr", [
    sympy.Eq(sympy.floor(H / 8), 2 * sympy.floor(H / 16)),  # BasicUNet's: 0..7 mod 16
    sympy.Eq(sympy.Mod(H, 2), 0),
    sympy.Ge(H, 32),
    sympy.Ne(H, 5),  # 1..4 as extra, then every size from 6
    sympy.And(sympy.Le(H, 100), sympy.Eq(sympy.Mod(H, 3), 1)),  # bounded: a max
    sympy.Or(sympy.Lt(H, 3), sympy.Eq(sympy.Mod(H + 1, 4), 0)),
])
def test_a_guard_on_one_axis_is_a_condition_holding_exactly_where_it_does(expr: Any) -> None:
    (condition,), warnings = size_conditions([Guard(str(expr), "net.py:3 in forward", expr)], {"H": 0}, {})
    assert not warnings and condition["axis"] == 0 and condition["note"] == f"{expr} (net.py:3 in forward)"
    assert _members(condition, 400) == [n for n in range(1, 400) if bool(expr.subs(H, n))]


def test_a_guard_over_two_axes_is_a_condition_per_axis_at_the_others_given_size() -> None:
    guard = Guard("H == W", "net.py:3", sympy.Eq(H, W))
    conditions, warnings = size_conditions([guard], {"H": 0, "W": 1}, {"H": 64, "W": 48})
    assert not warnings
    assert [(c["axis"], c["min"], c["max"]) for c in conditions] == [(0, 48, 48), (1, 64, 64)]
    conditions, warnings = size_conditions([guard], {"H": 0, "W": 1}, {})
    assert conditions == [] and "relates two symbolic axes" in warnings[0] and "H == W (net.py:3)" in warnings[0]


class _PadOdd(nn.Module):
    """Pads an odd width to even, down and up by 2, crops back: traced at an even width, no pad in the graph."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(1, 4, 2, stride=2)
        self.up = nn.ConvTranspose2d(4, 1, 2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        width = x.shape[-1]
        if x.shape[-1] % 2:
            x = F.pad(x, (0, 1))
        return self.up(self.down(x))[..., :width]


def test_a_branch_on_the_width_keeps_the_width_sets_inside_its_guard() -> None:
    captured = capture(_PadOdd(), (64, 64), 1)
    assert [g.text for g in captured.guards] == ["x_3 % 2 == 0"]
    ((condition),) = captured.body["inputs"][0]["where"]
    assert (condition["axis"], condition["modulus"], condition["residues"]) == (1, 2, [0])
    answer = run_graph(GraphRequest.model_validate(captured.body))
    height, width = answer["valid_input_sizes"]
    # the traced graph (no pad) would run at odd widths too, but the module pads there: another network
    assert (width["runs"]["modulus"], width["runs"]["residues"]) == (2, [0])
    assert (height["runs"]["modulus"], height["runs"]["residues"], height["runs"]["min"]) == (1, [0], 2)
    assert any("kept inside where[0] (x_3 % 2 == 0" in w for w in answer["warnings"])


def test_basic_unet_valid_sets_are_inside_its_guards() -> None:
    captured = cases.captured_at_ints("monai_basic_unet")
    assert captured.guards and {c["axis"] for c in captured.body["inputs"][0]["where"]} == {0, 1}
    answer = cases.analysed_at_ints("monai_basic_unet")
    for axis, sets in enumerate(answer["valid_input_sizes"]):
        for kind in ("runs", "clean", "same_size"):
            for n in _members(sets[kind], 300):
                env = {"x_2": 64, "x_3": 64, f"x_{2 + axis}": n}
                assert all(guard.holds(env) for guard in captured.guards), (axis, kind, n)
        assert _members(sets["runs"], 300) == list(range(16, 300, 16))
