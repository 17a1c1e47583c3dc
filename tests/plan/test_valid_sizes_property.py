"""The valid-size closed form agrees with brute force (the full planner run size by size)."""

from __future__ import annotations

from typing import Any

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convplan.errors import ConvplanError
from convplan.expr import SymbolTable, parse_scalar

from .stacks import plan

RANGE = 160

convs = st.lists(st.builds(lambda k, p: {"op": "conv", "kernel_size": k, "padding": p},
                           st.sampled_from([1, 3, 5]), st.integers(0, 2)), max_size=2)
downs = st.sampled_from([
    {"op": "max_pool", "kernel_size": 2},
    {"op": "max_pool", "kernel_size": 2, "ceil_mode": True},
    {"op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1},
    {"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1},
    {"op": "avg_pool", "kernel_size": 3, "stride": 3},
])
ups = st.sampled_from([
    {"op": "conv_transpose", "kernel_size": 2, "stride": 2},
    {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1},
    {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
    {"op": "conv_transpose", "kernel_size": 3, "stride": 3},
    {"op": "upsample", "scale_factor": 2},
])


@st.composite
def stacks(draw: Any) -> dict[str, Any]:
    depth = draw(st.integers(1, 3))
    encoder = [{"layers": draw(convs)}]
    level_downs = []
    for _ in range(depth):
        down = draw(downs)
        level_downs.append(down)
        encoder.append({"layers": [down, *draw(convs)]})
    decoder = []
    for t in range(depth):
        down = level_downs[depth - 1 - t]
        stride = down.get("stride", down["kernel_size"])
        up = draw(ups.filter(lambda u, stride=stride: u.get("stride", u.get("scale_factor")) == stride)
                  | st.just({"op": "conv_transpose", "kernel_size": stride, "stride": stride}))
        skip = draw(st.sampled_from([depth - 1 - t, None]))
        decoder.append({"up": [up], "skip": skip, "layers": draw(convs)})
    return {"encoder": encoder, "decoder": decoder, "align": draw(st.sampled_from(["crop", "pad", "none"]))}


def _clean(out: dict[str, Any], align: str) -> bool:
    layers = [layer for part in (*out["encoder"], *out["decoder"], out["head"]) for layer in part["layers"]]
    if any(layer["op"] in ("conv", "max_pool", "avg_pool") and (layer["unread"][0] or layer["overhang"][0])
           for layer in layers):
        return False
    for skip in out["skips"]:
        if skip["aligned"]:
            continue
        if not (align == "crop" and skip["registered"] and skip["applied"] in ("crop", "crop_decoder")):
            return False
    return out["ok"]


def _brute(body: dict[str, Any]) -> dict[int, int]:
    """{valid size: output size} over 1..RANGE."""
    found = {}
    for n in range(1, RANGE + 1):
        try:
            out = plan({**body, "input_size": [n]})
        except ConvplanError:
            continue
        if _clean(out, body["align"]):
            found[n] = out["output_size"][0]
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_closed_form_matches_brute_force(body: dict[str, Any]) -> None:
    form = plan({**body, "input_size": [RANGE]})["valid_input_sizes"][0]
    assert form is not None
    brute = _brute(body)
    claimed = {n for n in range(1, RANGE + 1)
               if form["min"] is not None and n >= form["min"] and n % form["modulus"] in form["residues"]}
    assert claimed == set(brute)
    if brute:
        table = SymbolTable({"i": {"min": 1}})
        expr = parse_scalar(str(form["output_size"]), table)
        i = table.symbol("i")
        for n, out in brute.items():
            assert int(sympy.sympify(expr).subs(i, n)) == out
    # the period is minimal
    m = form["modulus"]
    for d in range(1, m):
        if m % d == 0:
            assert {(r + d) % m for r in form["residues"]} != set(form["residues"])
