"""A `/v1/graph` body as a ``Graph``: nodes keep their ids; locations point into the body."""

from __future__ import annotations

from typing import Any

from convplan.errors import ErrorItem, LimitExceeded
from convplan.graph.ir import Graph, GraphInputSpec, Node, build_graph
from convplan.graph.schema import GraphRequest

__all__ = ["check_graph_limits", "graph_from_request"]


def check_graph_limits(nodes: int, edges: int, inputs: int, limits: Any) -> None:
    if limits is None:
        return
    for count, limit, what, loc in ((nodes, limits.max_graph_nodes, "nodes", ("body", "nodes")),
                                    (edges, limits.max_graph_edges, "edges (node inputs)", ("body", "nodes")),
                                    (inputs, limits.max_graph_inputs, "inputs", ("body", "inputs"))):
        if count > limit:
            raise LimitExceeded(f"{count} {what} is over the limit {limit}",
                                [ErrorItem(loc, f"at most {limit} {what}", f"limit.graph_{what.split()[0]}")])


def graph_from_request(request: GraphRequest, limits: Any = None) -> Graph:
    check_graph_limits(len(request.nodes), sum(len(n.inputs) for n in request.nodes), len(request.inputs), limits)
    inputs = [GraphInputSpec(spec.name, list(spec.size), spec.channels, ("body", "inputs", k))
              for k, spec in enumerate(request.inputs)]
    nodes = [Node(node.id, node, tuple(node.inputs), ("body", "nodes", k), k, node.size_of_target())
             for k, node in enumerate(request.nodes)]
    return build_graph(inputs, nodes, request.outputs, align=request.align, outputs_loc=("body", "outputs"))
