"""The evaluator's memo shared between nodes of one op (``share``, the valid-size scans' option), and a node
repeating the one before on an equal input."""

from __future__ import annotations

from typing import Any

from convplan.frontends.graph_body import graph_from_request
from convplan.frontends.stack import INPUT, stack_graph
from convplan.graph.coords import AxisMap
from convplan.graph.evaluate import GraphResult, Tensor, evaluate, resolve_inputs
from convplan.graph.schema import GraphRequest
from convplan.shapes import ShapesRequest
from convplan.shapes.engine import make_resolver, resolve_input


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
    assert failure is not None and failure.node.id == "b" and failure.error.errors[0].loc[:2] == ("nodes", 1)


def test_a_map_anchored_at_its_node_is_not_shared() -> None:
    pool = {"op": "adaptive_avg_pool", "inputs": ["x"], "output_size": 4}
    memo: dict[Any, Any] = {}
    _run(16, [{"id": "a", **pool}], memo, {})
    result = _run(16, [{"id": "b", **pool}], memo, {"b": "a"})
    assert result.results[0].node.id == "b" and result.results[0].maps[0].anchor == "b"



def _stack(size: list[Any], layers: list[dict[str, Any]]) -> GraphResult:
    request = ShapesRequest.model_validate({"input_size": size, "in_channels": 3, "layers": layers})
    graph = stack_graph(request.layers, ("layers",))
    resolver = make_resolver(None, symbolic=True)
    sizes, channels = resolve_input(resolver, request.input_size, request.in_channels)
    return evaluate(graph, resolver, {INPUT: Tensor(sizes, channels, [AxisMap(INPUT, 1, 0)] * len(sizes))},
                    strict=True)


def _layer(**params: Any) -> dict[str, Any]:
    return {"op": "conv", "kernel_size": 3, **params}


class TestRepeatedNode:
    """A layer of a stack with the parameters of the one before, on an equal input, takes its shape (the
    second conv of a block); its map is its own. Anything else is evaluated on its own."""

    def test_an_equal_layer_on_an_equal_input_shares_the_shape_and_keeps_its_own_map(self) -> None:
        pool = {"op": "adaptive_avg_pool", "output_size": 12}
        layers = [_layer(padding=1, out_channels=8), _layer(padding=1, out_channels=8),
                  _layer(padding=1, out_channels=8), pool, pool]
        result = _stack([12, 12], layers)
        a, b, c, p, q = result.results
        assert a.shape is not b.shape  # b reads 8 channels, a 3
        assert c.shape is b.shape and c.in_channels == [8] and c.warnings is not b.warnings
        assert q.shape is p.shape and q.maps[0].anchor == "4" and p.maps[0].anchor == "3"
        assert [r.output_size for r in result.results] == [[12, 12]] * 5

    def test_other_parameters_or_another_input_are_evaluated(self) -> None:
        layers = [_layer(padding=1, out_channels=3), _layer(padding=1, out_channels=4),
                  _layer(padding=1, out_channels=4), _layer(out_channels=4), _layer(out_channels=4)]
        a, b, c, d, e = _stack([16, 16], layers).results
        assert b.shape is not a.shape and c.shape is not b.shape  # out_channels; then 4 input channels, not 3
        assert d.shape is not c.shape and e.shape is not d.shape  # padding; then a smaller input
        assert [r.output_size[0] for r in (c, d, e)] == [16, 14, 12] and e.shape.params == 4 * 4 * 9 + 4

    def test_symbolic_sizes_are_evaluated_per_node(self) -> None:
        a, b = _stack(["H"], [_layer(padding=1), _layer(padding=1)]).results
        assert a.shape is not b.shape and str(b.output_size[0]) == "H"
