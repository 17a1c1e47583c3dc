"""A plan as one graph (``convplan.frontends.plan``): the one evaluator on it agrees with ``/v1/plan`` layer by
layer, its merges read the skip first (so their offsets are the plan's), and ``indices_from`` unpools to the
pool's input."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from convplan.frontends.plan import merge_node_id, plan_graph
from convplan.frontends.stack import INPUT
from convplan.graph.coords import AxisMap
from convplan.graph.evaluate import GraphResult, Tensor, evaluate
from convplan.plan import PlanRequest, run_plan
from convplan.plan.program import build_program
from convplan.shapes.engine import make_resolver
from tests.plan.stacks import hourglass, segnet

_FCN = {"input_size": [500, 500], "in_channels": 3, "template": {"name": "fcn", "variant": "8s"}}
_UNET = {"input_size": [572, 572], "in_channels": 1, "template": {"name": "unet", "depth": 4}}


def _evaluate(body: dict[str, Any]) -> GraphResult:
    program, _ = build_program(PlanRequest.model_validate(body))
    rank = len(body["input_size"])
    graph = plan_graph(program, rank).graph
    maps = [AxisMap(INPUT, Fraction(1), Fraction(0))] * rank
    return evaluate(graph, make_resolver(None, symbolic=False), {INPUT: Tensor(list(body["input_size"]),
                                                                                 body.get("in_channels"), maps)},
                    strict=True)


def _plan_layers(out: dict[str, Any]) -> list[dict[str, Any]]:
    return [layer for part in (*out["encoder"], *out["decoder"], out["head"]) for layer in part["layers"]]


@pytest.mark.parametrize("body", [_UNET, _FCN, segnet([360, 480]), hourglass(256)],
                         ids=["unet", "fcn8s", "segnet", "hourglass"])
def test_every_layer_agrees_with_the_plan(body: dict[str, Any]) -> None:
    out = run_plan(PlanRequest.model_validate(body))
    result = _evaluate(body)
    layers = [r for r in result.results if not r.node.op.merges]
    assert [(r.node.index, list(r.node.loc)) for r in layers] == [
        (k, layer["loc"]) for k, layer in enumerate(_plan_layers(out))]
    assert [r.shape.output_size for r in layers] == [layer["output_size"] for layer in _plan_layers(out)]
    assert result.ok and result.by_id[result.graph.outputs[0]].shape.output_size == out["output_size"]


def test_a_merge_reads_the_skip_first_so_its_offset_is_the_plans() -> None:
    out = run_plan(PlanRequest.model_validate(_FCN))
    result = _evaluate(_FCN)
    merges = {m.node: m for m in result.merges}
    for skip in out["skips"]:
        merge = merges[merge_node_id(skip["decoder_stage"])]
        assert [float(o) for o in merge.offset[1]] == skip["offset"]  # Caffe's crop offsets 5, 9 and -31
    last = merges[merge_node_id(2)]  # merge "none": the decoder map's channels, cropped to the input's size
    record = result.by_id[last.node]
    assert record.shape.output_size == [500, 500] and record.shape.out_channels == 21


def test_unpooling_with_indices_takes_the_pools_input_size() -> None:
    result = _evaluate(segnet([360, 480]))
    unpools = [r for r in result.results if r.node.op.op == "max_unpool"]
    assert [r.node.size_of is not None for r in unpools] == [True] * 5
    assert [r.shape.output_size for r in unpools] == [[23, 30], [45, 60], [90, 120], [180, 240], [360, 480]]


def test_without_indices_unpooling_takes_its_default_size() -> None:
    program, _ = build_program(PlanRequest.model_validate(segnet([360, 480])))
    plan = plan_graph(program, 2, indices=False)
    assert all(node.size_of is None for node in plan.graph.nodes)
    assert sorted(j for j, _ in plan.unpools.values()) == [0, 1, 2, 3, 4]
