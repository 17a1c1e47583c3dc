"""The evaluator's memo shared between nodes of one op (``share``, the valid-size scans' option)."""

from __future__ import annotations

from typing import Any

from convplan.frontends.graph_body import graph_from_request
from convplan.graph.evaluate import GraphResult, evaluate, resolve_inputs
from convplan.graph.schema import GraphRequest
from convplan.shapes.engine import make_resolver


def _run(size: int, nodes: list[dict[str, Any]], memo: dict[Any, Any], share: dict[str, str]) -> GraphResult:
    request = GraphRequest.model_validate({"inputs": [{"name": "x", "size": [size]}], "nodes": nodes})
    graph = graph_from_request(request)
    resolver = make_resolver(None, symbolic=False)
    return evaluate(graph, resolver, resolve_inputs(graph, resolver), strict=False, magnitude=False, memo=memo,
                    share=share)


def _conv(nid: str, src: str = "x", **params: Any) -> dict[str, Any]:
    return {"id": nid, "op": "conv", "inputs": [src], "kernel_size": 3, **params}


def test_a_chain_of_equal_size_keeping_convs_evaluates_each_size_once() -> None:
    nodes = [_conv("a", padding=1), _conv("b", "a", padding=1), _conv("c", "b", padding=1)]
    memo: dict[Any, Any] = {}
    shared = _run(9, nodes, memo, {"b": "a", "c": "a"})
    alone = _run(9, nodes, {}, {})
    assert [r.node.id for r in shared.results] == ["a", "b", "c"] == list(shared.by_id)
    assert [(r.output_size, r.maps) for r in shared.results] == [(r.output_size, r.maps) for r in alone.results]
    assert shared.results[2].shape is shared.results[0].shape and len(memo) == 1


def test_a_refusal_is_not_taken_from_another_node() -> None:
    memo: dict[Any, Any] = {}
    assert _run(2, [_conv("a")], memo, {}).failure.node.id == "a"  # type: ignore[union-attr]
    first = {"id": "p", "op": "max_pool", "inputs": ["x"], "kernel_size": 1}
    failure = _run(2, [first, _conv("b")], memo, {"b": "a"}).failure
    assert failure is not None and failure.node.id == "b" and failure.error.errors[0].loc[:3] == ("body", "nodes", 1)


def test_a_map_anchored_at_its_node_is_not_shared() -> None:
    pool = {"op": "adaptive_avg_pool", "inputs": ["x"], "output_size": 4}
    memo: dict[Any, Any] = {}
    _run(16, [{"id": "a", **pool}], memo, {})
    result = _run(16, [{"id": "b", **pool}], memo, {"b": "a"})
    assert result.results[0].node.id == "b" and result.results[0].maps[0].anchor == "b"
