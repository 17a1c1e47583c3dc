"""A stack of layers (``/v1/shapes``, and the blocks of a plan) as a chain graph.

Node ids are the layers' global indices; locations point at ``loc + (offset,)``,
so every error names the user's own layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from convplan.errors import LayerError
from convplan.graph.ir import Graph, GraphInputSpec, Node, chain
from convplan.ops import OpModel

__all__ = ["INPUT", "stack_graph"]

#: The stack's input (not a valid node id of /v1/graph, so it cannot clash with one).
INPUT = "@input"


def stack_graph(layers: Sequence[OpModel], loc: tuple[Any, ...], *, first_index: int = 0, offset: int = 0,
                input_loc: tuple[Any, ...] = ()) -> Graph:
    """``first_index`` numbers the layers (``layer`` in errors); ``offset`` is the first one's position under
    ``loc`` (a block run in segments)."""
    nodes = []
    previous = INPUT
    for k, layer in enumerate(layers):
        index = first_index + k
        here = (*loc, offset + k)
        if layer.min_inputs > 1:
            raise LayerError.at(f"{layer.op} merges two or more tensors: a stack has one path; use /v1/graph (or "
                                "a plan's decoder stages)", loc=(*here, "op"), layer=index, type="value_error.inputs")
        if layer.size_of_target() is not None:
            raise LayerError.at(f"{layer.op}: size_of names a node or input of a graph: it is only meaningful in "
                                "/v1/graph", loc=(*here, "size_of"), layer=index, type="value_error.size_of")
        node_id = str(index)
        nodes.append(Node(node_id, layer, (previous,), here, index))
        previous = node_id
    return chain(GraphInputSpec(INPUT, (), None, input_loc), nodes)
