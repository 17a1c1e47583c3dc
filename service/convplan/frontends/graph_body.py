"""A `/v1/graph` body as a ``Graph``: nodes keep their ids; locations point into the graph document."""

from __future__ import annotations

from typing import Any

from convplan.graph.ir import Graph, GraphInputSpec, Node, build_graph
from convplan.graph.schema import GraphRequest, check_graph_limits

__all__ = ["graph_from_request"]


def graph_from_request(request: GraphRequest, limits: Any = None) -> Graph:
    check_graph_limits(len(request.nodes), sum(len(n.inputs) for n in request.nodes), len(request.inputs), limits)
    inputs = [GraphInputSpec(spec.name, list(spec.size), spec.channels, ("inputs", k))
              for k, spec in enumerate(request.inputs)]
    nodes = [Node(node.id, node, tuple(node.inputs), ("nodes", k), k, node.size_of_target())
             for k, node in enumerate(request.nodes)]
    return build_graph(inputs, nodes, request.outputs, align=request.align, outputs_loc=("outputs",))
