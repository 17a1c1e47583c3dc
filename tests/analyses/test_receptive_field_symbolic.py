"""Receptive fields with symbolic layer parameters (contract section 9): expressions where they are closed-form,
and equal to the numeric field wherever numbers are put in for the symbols."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convplan.expr import SymbolTable, parse_expression
from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from convplan.shapes import ShapesRequest, run_shapes
from tests.graph.networks import body

FIELDS = ("jump", "size", "size_min", "start", "center")


def fields(layers: list[dict[str, Any]], size: list[Any] | None = None, channels: int = 36,
           symbols: dict[str, Any] | None = None) -> list[dict[str, Any] | None]:
    """Per layer, the first axis's receptive field of ``run_shapes``."""
    request: dict[str, Any] = {"input_size": size or [256], "in_channels": channels, "layers": layers}
    if symbols:
        request["symbols"] = symbols
    out = [layer["receptive_field"][0] for layer in run_shapes(ShapesRequest.model_validate(request))["layers"]]
    return [None if f is None else _without_latex(f) for f in out]


def _without_latex(field: dict[str, Any]) -> dict[str, Any]:
    """The field without its ``_latex`` siblings, having checked that each stands beside an expression (a
    string naming a symbol; rationals such as "1/3" are numbers) and only there."""
    def symbolic(value: Any) -> bool:
        return isinstance(value, str) and any(c.isalpha() for c in value)

    for key in ("jump", "size", "size_min", "start", "center"):
        if key + "_latex" in field:
            assert (field[key + "_latex"] is not None) == symbolic(field[key]), (key, field)
        else:
            assert not symbolic(field[key]), (key, field)
    return {k: v for k, v in field.items() if not k.endswith("_latex")}


def conv(**params: Any) -> dict[str, Any]:
    return {"op": "conv", "out_channels": 36, **params}


def transpose(**params: Any) -> dict[str, Any]:
    return {"op": "conv_transpose", "out_channels": 36, **params}


class TestNamedStacks:
    def test_one_conv(self) -> None:
        assert fields([conv(kernel_size="k", stride="s")]) == [
            {"jump": "s", "period": 1, "phases": [[0, "k - 1"]], "size": "k", "size_min": "k", "start": 0,
             "center": "(k - 1)/2"}]

    def test_two_strided_convs_compose_size_and_jump(self) -> None:
        rf = fields([conv(kernel_size="k1", stride="s1"), conv(kernel_size="k2", stride="s2")])[-1]
        assert rf is not None
        assert (rf["jump"], rf["size"], rf["start"], rf["phases"]) == (
            "s1*s2", "k1 + k2*s1 - s1", 0, [[0, "k1 + k2*s1 - s1 - 1"]])

    def test_dilation_and_padding_enter_start_and_size(self) -> None:
        rf = fields([conv(kernel_size=3, dilation="d", padding="p"), {"op": "max_pool", "kernel_size": "k"}])
        assert rf[0] == {"jump": 1, "period": 1, "phases": [["-p", "2*d - p"]], "size": "2*d + 1",
                         "size_min": "2*d + 1", "start": "-p", "center": "d - p"}
        assert (rf[1]["jump"], rf[1]["size"], rf[1]["start"]) == ("k", "2*d + k", "-p")  # type: ignore[index]

    def test_a_numeric_transposed_conv_keeps_symbolic_phases(self) -> None:
        # conv k, then conv_transpose k3 s2 (phases [[-1, 0], [-1/2, -1/2]]), then conv k3 p1: phases of
        # expressions, and the hull of each phase decided exactly (the symbols cancel in every comparison)
        rf = fields([conv(kernel_size="k"), transpose(kernel_size=3, stride=2), conv(kernel_size=3, padding=1)])
        assert rf[1] == {"jump": 0.5, "period": 2, "phases": [[-1, "k - 1"], [-0.5, "(2*k - 3)/2"]],
                         "size": "k + 1", "size_min": "k", "start": -1, "center": "(k - 2)/2"}
        assert rf[2] == {"jump": 0.5, "period": 2, "phases": [[-1, "k - 1"], [-1.5, "(2*k - 1)/2"]],
                         "size": "k + 2", "size_min": "k + 1", "start": -1, "center": "(k - 2)/2"}

    def test_a_symbolic_stride_transposed_conv_has_no_phases(self) -> None:
        # s phases: their number is symbolic. 2*s taps over stride s: every output reads exactly 2 inputs
        rf = fields([conv(kernel_size="k"), transpose(kernel_size="2*s", stride="s")])[-1]
        assert rf is not None
        assert (rf["jump"], rf["period"], rf["phases"], rf["size"], rf["size_min"]) == ("1/s", None, None, "k + 1",
                                                                                        "k + 1")
        assert (rf["start"], rf["center"]) == (-1, "(k - 2)/2")  # floor((2s - 1)/s) = 1 for every s >= 1

    def test_k3_over_a_symbolic_stride_says_what_it_can(self) -> None:
        rf = fields([transpose(kernel_size=3, stride="s")])[0]
        # at most ceil(3/s) inputs; some phases read nothing once s > 3, so size_min depends on s: null
        assert rf == {"jump": "1/s", "period": None, "phases": None, "size": "ceil(3/s)", "size_min": None,
                      "start": "-floor(2/s)", "center": "-floor(2/s)/2"}

    def test_nearest_by_a_symbolic_factor(self) -> None:
        # pixel_shuffle by f is nearest upsampling by f (upsample's scale_factor is a number, contract section 2)
        rf = fields([conv(kernel_size=3, stride=2), {"op": "pixel_shuffle", "upscale_factor": "f"}],
                    size=[64, 64])[-1]
        assert rf == {"jump": "2/f", "period": None, "phases": None, "size": 3, "size_min": 3, "start": 0,
                      "center": 1}

    def test_after_a_symbolic_period_a_pad_keeps_the_sizes_and_a_conv_only_the_jump(self) -> None:
        rf = fields([{"op": "pixel_shuffle", "upscale_factor": "f"}, {"op": "relu"}, {"op": "pad", "padding": "q"},
                     conv(kernel_size=3)], size=[64, 64])
        # output 0 of the pad is output -q of the shuffle, in phase -q mod f: its start is not closed-form
        assert (rf[2]["size"], rf[2]["start"], rf[2]["center"]) == (1, None, None)  # type: ignore[index]
        assert rf[3] == {"jump": "1/f", "period": None, "phases": None, "size": None, "size_min": None,
                         "start": None, "center": None}

    @pytest.mark.parametrize("padding", ["q", 1])
    def test_a_strided_tap_after_a_symbolic_period_keeps_only_the_jump(self, padding: Any) -> None:
        # conv_transpose k1 s2 padded p: odd or even outputs read nothing, as p is. A conv k1 s2 after it reads
        # every other output: each reads one pixel, or none, as p - q is odd or even. Its sizes were those of
        # every output (size 1, size_min 0), wrong at either parity
        rf = fields([transpose(kernel_size=1, stride=2, padding="p"), conv(kernel_size=1, stride=2,
                                                                            padding=padding)])
        assert rf[0] == {"jump": 0.5, "period": None, "phases": None, "size": 1, "size_min": 0, "start": None,
                         "center": None}
        assert rf[1] == {"jump": 1, "period": None, "phases": None, "size": None, "size_min": None, "start": None,
                         "center": None}
        for p in (1, 2):  # the numbers: every output reads one pixel, or every output none
            numeric = fields([transpose(kernel_size=1, stride=2, padding=p),
                              conv(kernel_size=1, stride=2, padding=1 if padding == 1 else 2)])[1]
            assert numeric is not None and numeric["size"] == numeric["size_min"]

    def test_numeric_phases_through_symbolic_taps_keep_only_the_jump(self) -> None:
        rf = fields([transpose(kernel_size=3, stride=2), conv(kernel_size="k")])[-1]
        assert rf == {"jump": 0.5, "period": None, "phases": None, "size": None, "size_min": None, "start": None,
                      "center": None}

    def test_a_residual_join_of_symbolic_fields_is_aligned(self) -> None:
        # k = 2m + 1 with padding m: centred windows, so the sum's inputs are centred alike
        nodes = [{"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": "2*m + 1", "padding": "m",
                  "out_channels": 4},
                 {"id": "b", "op": "conv", "inputs": ["a"], "kernel_size": "2*m + 1", "padding": "m",
                  "out_channels": 4},
                 {"id": "sum", "op": "add", "inputs": ["b", "x"]}]
        out = run_graph(GraphRequest.model_validate(body([32], nodes, channels=4)))
        assert _without_latex(out["nodes"][-1]["receptive_field"][0]) == {
            "jump": 1, "period": 1, "phases": [["-2*m", "2*m"]], "size": "4*m + 1", "size_min": "4*m + 1",
            "start": "-2*m", "center": 0}
        assert out["merges"][0]["rf_aligned"] is True

    def test_a_join_that_depends_on_the_symbols_keeps_the_jump(self) -> None:
        # [-p, k - p - 1] joined with [0, 0]: which end is outermost depends on k and p
        nodes = [{"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": "k", "padding": "p", "out_channels": 4},
                 {"id": "sum", "op": "add", "inputs": ["a", "x"]}]
        out = run_graph(GraphRequest.model_validate(body([32], nodes, channels=4)))
        assert out["nodes"][-1]["receptive_field"][0]["jump"] == 1
        assert out["nodes"][-1]["receptive_field"][0]["size"] is None


# -- substituting numbers into the symbolic field gives the numeric field ----------------------------------------

# Per op: its parameters and the values drawn for them (sizes stay valid at a 256 input, periods below the limit).
OPS: dict[str, dict[str, tuple[int, ...]]] = {
    "conv": {"kernel_size": (1, 2, 3, 4), "stride": (1, 2, 3), "dilation": (1, 2), "padding": (1, 2)},
    "max_pool": {"kernel_size": (2, 3), "stride": (1, 2)},
    "conv_transpose": {"kernel_size": (1, 2, 3, 4), "stride": (1, 2, 3), "padding": (1,)},
    "pixel_shuffle": {"upscale_factor": (2, 3)},
    "pad": {"padding": (1, 2)},
}


@st.composite
def stacks(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """The same stack twice: with some parameters symbols, and with their numbers; and the symbols' values."""
    symbolic, numeric, values = [], [], {}
    ops = draw(st.lists(st.sampled_from(sorted(OPS)), min_size=1, max_size=4))
    if ops.count("pixel_shuffle") > 2:  # 36 channels on one axis: at most two shuffles by 2 or 3
        ops = [op for op in ops if op != "pixel_shuffle"] + ["pixel_shuffle"] * 2
    for i, op in enumerate(ops):
        sym: dict[str, Any] = {"op": op}
        num: dict[str, Any] = {"op": op}
        if op in ("conv", "conv_transpose"):
            sym["out_channels"] = num["out_channels"] = 36
        for name, choices in OPS[op].items():
            value = draw(st.sampled_from(choices))
            num[name] = value
            sym[name] = value
            if draw(st.booleans()):
                symbol = f"{name[0]}{i}"
                sym[name], values[symbol] = symbol, value
        symbolic.append(sym)
        numeric.append(num)
    return symbolic, numeric, values


def number(value: Any, values: dict[str, int]) -> Fraction | None:
    """A JSON value of the field as an exact number, with the symbols set to ``values``."""
    if value is None or isinstance(value, (int, float)):
        return None if value is None else Fraction(value)
    parsed = parse_expression(value, SymbolTable())
    if isinstance(parsed, Fraction):
        return parsed
    settled = parsed.subs({s: sympy.Integer(values[s.name]) for s in parsed.free_symbols})
    return Fraction(int(settled.p), int(settled.q))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_substituting_the_symbols_gives_the_numeric_field(case: tuple[Any, Any, dict[str, int]]) -> None:
    symbolic, numeric, values = case
    for sym, num in zip(fields(symbolic), fields(numeric), strict=True):
        assert sym is not None and num is not None
        assert number(sym["jump"], values) == number(num["jump"], values)  # the jump is always known
        if num["period"] is None:  # over the period limit: the numeric field keeps only its jump
            continue
        for key in FIELDS:
            if sym[key] is not None:
                assert number(sym[key], values) == number(num[key], values), (key, sym, num)
        if sym["phases"] is not None:
            assert sym["period"] == num["period"]
            assert [None if s is None else [number(v, values) for v in s] for s in sym["phases"]] == [
                None if s is None else [number(v, values) for v in s] for s in num["phases"]]
