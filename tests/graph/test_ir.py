"""The network IR: names, arities, cycles and the stable topological order."""

from __future__ import annotations

from typing import Any

import pytest

from convplan.errors import InvalidRequest
from convplan.frontends.graph_body import graph_from_request
from convplan.graph.schema import GraphRequest


def _graph(nodes: list[dict[str, Any]], **extra: Any) -> Any:
    request = GraphRequest.model_validate({"inputs": [{"name": "x", "size": [16]}], "nodes": nodes, **extra})
    return graph_from_request(request)


def _refusal(nodes: list[dict[str, Any]], **extra: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        _graph(nodes, **extra)
    return info.value


class TestOrder:
    def test_nodes_in_any_order_come_out_topologically_keeping_the_request_order_where_free(self) -> None:
        graph = _graph([
            {"id": "c", "op": "add", "inputs": ["a", "b"]},
            {"id": "b", "op": "relu", "inputs": ["x"]},
            {"id": "a", "op": "relu", "inputs": ["x"]},
        ])
        assert [n.id for n in graph.nodes] == ["b", "a", "c"]

    def test_size_of_is_an_ordering_edge(self) -> None:
        graph = _graph([
            {"id": "up", "op": "upsample", "inputs": ["x"], "size_of": "late"},
            {"id": "late", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
        ])
        assert [n.id for n in graph.nodes] == ["late", "up"]

    def test_outputs_default_to_nodes_nobody_reads(self) -> None:
        graph = _graph([{"id": "a", "op": "relu", "inputs": ["x"]}, {"id": "b", "op": "relu", "inputs": ["a"]},
                        {"id": "c", "op": "relu", "inputs": ["a"]}])
        assert graph.outputs == ("b", "c")


class TestRefusals:
    def test_a_cycle_names_a_node_on_it(self) -> None:
        err = _refusal([{"id": "a", "op": "relu", "inputs": ["b"]}, {"id": "b", "op": "relu", "inputs": ["a"]}])
        assert err.errors[0].type == "value_error.graph.cycle"
        assert err.errors[0].loc == ("nodes", 0, "inputs")

    def test_a_cycle_through_size_of(self) -> None:
        err = _refusal([{"id": "a", "op": "upsample", "inputs": ["x"], "size_of": "b"},
                        {"id": "b", "op": "relu", "inputs": ["a"]}])
        assert "cycle" in err.detail

    def test_a_node_fed_by_itself(self) -> None:
        assert "reads itself" in _refusal([{"id": "a", "op": "relu", "inputs": ["a"]}]).detail

    def test_an_unknown_input_is_located(self) -> None:
        err = _refusal([{"id": "a", "op": "concat", "inputs": ["x", "nope"]}])
        assert err.errors[0].loc == ("nodes", 0, "inputs", 1)

    def test_a_duplicate_name(self) -> None:
        err = _refusal([{"id": "x", "op": "relu", "inputs": ["x"]}])
        assert err.errors[0].type == "value_error.graph.duplicate"

    def test_the_reserved_name_i(self) -> None:
        assert _refusal([{"id": "i", "op": "relu", "inputs": ["x"]}]).errors[0].type == "value_error.graph.reserved"

    @pytest.mark.parametrize(("op", "inputs"), [("concat", ["x"]), ("relu", ["x", "x"]), ("conv", ["x", "x"])])
    def test_the_wrong_number_of_inputs(self, op: str, inputs: list[str]) -> None:
        extra = {"kernel_size": 1} if op == "conv" else {}
        err = _refusal([{"id": "a", "op": op, "inputs": inputs, **extra}])
        assert err.errors[0].type == "value_error.graph.inputs"

    def test_an_unknown_output(self) -> None:
        err = _refusal([{"id": "a", "op": "relu", "inputs": ["x"]}], outputs=["zz"])
        assert err.errors[0].loc == ("outputs", 0)
