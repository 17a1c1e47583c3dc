"""The ops' plain-int fast paths and plain rules (ops/_plain.py) against their general size rules.

The fast path may decline (return None, the general rule runs); when it answers, the ``LayerShape`` and the
warnings must be the general rule's, and it must never answer where the general rule refuses."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convplan.errors import ConvplanError
from convplan.ops import OPS, LayerContext
from convplan.ops import pool as pool_module
from convplan.ops.conv import Conv, ConvTranspose
from convplan.shapes.engine import make_resolver

_small = st.integers(min_value=0, max_value=5)
_positive = st.integers(min_value=1, max_value=5)


def _per_axis(values: st.SearchStrategy[Any], rank: int) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.lists(values, min_size=rank, max_size=rank))


def _padding(rank: int) -> st.SearchStrategy[Any]:
    pair = st.lists(_small, min_size=2, max_size=2)
    return st.one_of(_small, st.just("valid"), st.just("same"), st.just(-1),
                     st.lists(st.one_of(_small, pair), min_size=rank, max_size=rank))


@st.composite
def _cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[int], int | None]:
    rank = draw(st.integers(min_value=1, max_value=3))
    op = draw(st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool"]))
    layer: dict[str, Any] = {"op": op, "kernel_size": draw(_per_axis(_positive, rank)),
                             "stride": draw(_per_axis(_positive, rank)), "padding": draw(_padding(rank))}
    if op in ("conv", "conv_transpose"):
        layer["dilation"] = draw(_per_axis(_positive, rank))
        layer["groups"] = draw(st.sampled_from([1, 1, 2, 3]))
        layer["out_channels"] = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=12)))
        layer["bias"] = draw(st.booleans())
    if op == "conv":
        layer["padding_mode"] = draw(st.sampled_from(["zeros", "zeros", "reflect", "circular"]))
    if op == "conv_transpose":
        layer["output_padding"] = draw(_per_axis(_small, rank))
        if layer["padding"] == "same":
            layer["padding"] = "same_upper"
    if op == "max_pool":
        layer["dilation"] = draw(_per_axis(_positive, rank))
    if op in ("max_pool", "avg_pool"):
        layer["ceil_mode"] = draw(st.booleans())
        if draw(st.booleans()):
            layer["stride"] = None
        if layer["padding"] == "same":
            layer["padding"] = 0
    size = draw(st.lists(st.integers(min_value=1, max_value=24), min_size=rank, max_size=rank))
    channels = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=12)))
    return layer, size, channels


def _run(layer: Any, size: list[int], channels: int | None) -> tuple[str, Any]:
    ctx = LayerContext(make_resolver(None, symbolic=False), 0, layer.op, len(size), ("layers", 0))
    try:
        shape = layer.infer(ctx, size, channels)
    except ConvplanError as exc:
        return "refused", str(exc)
    return "ok", (shape, ctx.warnings)


def _general(layer: Any, size: list[int], channels: int | None) -> tuple[str, Any]:
    declined = mock.patch.object(type(layer), "_plain_infer", return_value=None) \
        if isinstance(layer, (Conv, ConvTranspose)) else mock.patch.object(pool_module, "_plain_pool_sizes",
                                                                             return_value=None)
    with declined:
        return _run(layer, size, channels)


@settings(max_examples=600, deadline=None)
@given(_cases())
def test_the_fast_path_is_the_general_rule(case: tuple[dict[str, Any], list[int], int | None]) -> None:
    data, size, channels = case
    layer = OPS[data["op"]].model_validate(data)
    assert _run(layer, size, channels) == _general(layer, size, channels)


@pytest.mark.parametrize(("data", "size", "channels"), [
    ({"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, [572, 572], 1),
    ({"op": "conv", "kernel_size": [3, 1], "stride": 2, "padding": [[0, 1], 2], "groups": 2, "out_channels": 4},
     [9, 8], 6),
    ({"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, [7], 3),
    ({"op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [10, 11], None),
    ({"op": "avg_pool", "kernel_size": 2}, [5, 4, 3], 2),
])
def test_the_fast_path_answers_plain_layers(data: dict[str, Any], size: list[int], channels: int | None) -> None:
    layer = OPS[data["op"]].model_validate(data)
    plain = layer._plain_infer if isinstance(layer, (Conv, ConvTranspose)) else None
    ctx = LayerContext(make_resolver(None, symbolic=False), 0, layer.op, len(size), ())
    if plain is not None:
        assert plain(ctx, size, channels) is not None
    else:
        assert pool_module._plain_pool_sizes(ctx, layer, size, dilation=data["op"] == "max_pool",
                                             padding=layer.padding) is not None
    assert _run(layer, size, channels) == _general(layer, size, channels)


_NEUTRAL = [{"op": name} for name, model in sorted(OPS.items()) if model.shape_neutral and name != "group_norm"] + [
    {"op": "dropout", "p": 1}, {"op": "dropout2d", "p": 0.25}, {"op": "dropout1d"}, {"op": "leaky_relu"},
    {"op": "prelu", "num_parameters": 1}, {"op": "group_norm", "num_groups": 2},
]


@st.composite
def _rule_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[int], int | None]:
    layer, size, channels = draw(_cases())
    if draw(st.booleans()):
        layer = draw(st.sampled_from(_NEUTRAL))
    return layer, size, channels


@settings(max_examples=600, deadline=None)
@given(_rule_cases())
def test_a_plain_rule_is_its_ops_general_rule(case: tuple[dict[str, Any], list[int], int | None]) -> None:
    """``PlainRule.shape`` (what a stack template runs alone) against the op's rule without its fast path: the
    same shape and warnings where it answers; where it declines, the op may refuse or answer."""
    data, size, channels = case
    try:
        layer = OPS[data["op"]].model_validate(data)
    except ValueError:
        return  # parameters the schema refuses
    rule = layer.remembered_plain_rule(len(size), channels, make_resolver(None, symbolic=False).max_size)
    if rule is None:
        return
    general = _general(layer, size, channels) if data["op"] in ("conv", "conv_transpose", "max_pool", "avg_pool") \
        else _run(layer, size, channels)
    shape = rule.shape(size)
    if shape is not None:
        assert general == ("ok", (shape, list(rule.warnings)))
