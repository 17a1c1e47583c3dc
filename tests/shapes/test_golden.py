"""Replays the PyTorch golden fixtures (tests/fixtures/shapes_*.json) through the engine.

Every size must equal PyTorch's, and every PyTorch refusal (and every empty
output, which the API refuses as a size below 1) must be a refusal at the
same layer. The fixtures were made by really running torch 2.13; see
tests/fixtures/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from convplan.errors import ConvplanError
from convplan.shapes import ShapesRequest, run_shapes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _cases(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text())["cases"]


def _check(case: dict[str, Any]) -> str | None:
    """None when the engine agrees with PyTorch, else a description."""
    request = ShapesRequest.model_validate(case["request"])
    expected_layers = case["expected"]["layers"]
    error = case["error"]
    try:
        result = run_shapes(request)
    except ConvplanError as exc:
        if error is None:
            return f"refused ({exc.detail}) but torch gave {case['expected']['output_size']}"
        layer = exc.errors[0].layer if exc.errors else None
        done = exc.extra.get("layers", [])
        if layer is not None and error["layer"] < layer and _unmodelled(error, done[error["layer"]]):
            return None  # torch stopped where no size rule can say (below); a later layer refuses
        if layer != error["layer"]:
            return f"refused at layer {layer} ({exc.detail}); torch refused at {error['layer']}: {error['message']}"
        partial = [entry["output_size"] for entry in done]
        if partial != [entry["output_size"] for entry in expected_layers]:
            return f"partial layers {partial} differ from {expected_layers}"
        return None
    if error is not None:
        if error["layer"] < len(result["layers"]) and _unmodelled(error, result["layers"][error["layer"]]):
            return None
        return f"accepted ({result['output_size']}) but torch refused at layer {error['layer']}: {error['message']}"
    got = [(entry["output_size"], entry["out_channels"]) for entry in result["layers"]]
    want = [(entry["output_size"], entry["out_channels"]) for entry in expected_layers]
    # Channels the API marks unknown (a conv without out_channels) are not compared.
    for (g_size, g_ch), (w_size, w_ch) in zip(got, want):
        if g_size != w_size or (g_ch is not None and g_ch != w_ch):
            return f"got {got}, torch {want}"
    return None


def _unmodelled(error: dict[str, Any], layer: dict[str, Any]) -> bool:
    """Whether torch's refusal at ``layer`` is one the API, by design, does not make there: a mixed-sign
    circular pad's memory-overlap error (it depends on the tensor's layout, not on sizes: ops/_padding.py,
    ``check_circular``), or, after a conv without out_channels, a check that needs the channel count, which
    contract section 2 marks unknown and skips with a warning (torch knows the real count)."""
    if "refer to a single memory location" in error["message"]:
        return True
    return layer["in_channels"] is None and any("unknown" in warning for warning in layer["warnings"])


@pytest.mark.parametrize("name", ["shapes_single.json", "shapes_stacks.json"])
def test_every_fixture_agrees_with_pytorch(name: str) -> None:
    cases = _cases(name)
    failures = {case["id"]: problem for case in cases if (problem := _check(case)) is not None}
    shown = "\n".join(f"{cid}: {msg}" for cid, msg in list(failures.items())[:25])
    assert not failures, f"{len(failures)} of {len(cases)} cases disagree with PyTorch:\n{shown}"


def test_formulas_evaluate_to_the_sizes() -> None:
    """Every per-axis formula, with `i` = the layer's input size, gives its output size."""
    from convplan.expr import SymbolTable, parse_expression, substitute

    table = SymbolTable()
    parsed: dict[str, object] = {}
    checked = 0
    for case in _cases("shapes_single.json")[:3000]:
        if case["error"] is not None:
            continue
        for layer in run_shapes(ShapesRequest.model_validate(case["request"]))["layers"]:
            for i, formula, out in zip(layer["input_size"], layer["formula"], layer["output_size"]):
                if isinstance(formula, int):
                    assert formula == out, (case["id"], formula, out)
                    continue
                if "floor(" in formula and "*i/" in formula:
                    continue  # non-dyadic interpolation scale: the formula reads it as a fraction
                expr = parsed.setdefault(formula, parse_expression(formula, table))
                assert substitute(expr, {"i": i}) == out, (case["id"], formula, i, out)
                checked += 1
    assert checked > 1000
