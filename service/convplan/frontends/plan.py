"""An encoder/decoder plan (``/v1/plan``, explicit or expanded from a template) as one ``Graph``.

Layers keep the plan's global walk order for ids and ``layer`` numbers (every
encoder layer, then per decoder stage ``up``, ``skip_layers``, ``layers``, then
the head) and their locations in the request (``("body", "decoder", 2, "up",
0)``). A skip is a merge node reading the skip map first and the decoder map
second, so its ``offset`` is the decoder map's first pixel in the skip's grid
(the plan's ``offset``) and the merged map takes the skip's grid, as the plan
says; ``align`` is the plan's. ``merge: "none"`` is ``Aligned`` (sizes
compared and aligned, the decoder map's channels). A ``max_unpool`` with
``indices_from: j`` takes the size of the input of encoder stage ``j``'s last
``max_pool`` (``size_of``): PyTorch's default when the pool's indices are
passed with the pool's input shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from convplan.frontends.stack import INPUT
from convplan.graph.ir import Graph, GraphInputSpec, Node, build_graph
from convplan.ops import OpModel
from convplan.ops.merge import Aligned, Concat, Elementwise

if TYPE_CHECKING:
    from convplan.plan.program import Program

__all__ = ["PlanGraph", "merge_node_id", "plan_graph"]


def merge_node_id(decoder_stage: int) -> str:
    return f"decoder.{decoder_stage}.merge"


def _merge_op(merge: str) -> OpModel:
    if merge == "concat":
        return Concat(op="concat")
    if merge == "add":
        return Elementwise(op="add")
    return Aligned(op="align")


@dataclass(frozen=True)
class PlanGraph:
    graph: Graph
    #: max_unpool node (with indices_from) -> (the encoder stage, the max_pool node whose indices it takes)
    unpools: dict[str, tuple[int, str]] = field(default_factory=dict)


class _Builder:
    def __init__(self, indices: bool) -> None:
        self.indices = indices
        self.nodes: list[Node] = []
        self.index = 0
        #: encoder stage -> its last max_pool node and the tensor that pool read
        self.pools: dict[int, tuple[str, str]] = {}
        self.unpools: dict[str, tuple[int, str]] = {}

    def block(self, layers: list[OpModel], source: str, loc: tuple[Any, ...], stage: int | None = None) -> str:
        for k, layer in enumerate(layers):
            node_id = str(self.index)
            j = getattr(layer, "indices_from", None)
            pool = None if j is None else self.pools.get(j)
            if pool is not None:
                self.unpools[node_id] = (j, pool[0])
            self.nodes.append(Node(node_id, layer, (source,), (*loc, k), self.index,
                                   pool[1] if pool is not None and self.indices else None))
            if stage is not None and getattr(type(layer), "provides_indices", False):
                self.pools[stage] = (node_id, source)
            self.index += 1
            source = node_id
        return source


def plan_graph(program: Program, rank: int, *, indices: bool = True) -> PlanGraph:
    """The graph of ``program`` on a ``rank``-axis input named ``INPUT`` (its sizes are given to the evaluator).
    ``indices=False``: a ``max_unpool`` ignores ``indices_from`` (its default size: the valid-size solver's probe
    of where the network runs at all, monotone in the input)."""
    b = _Builder(indices)
    current = INPUT
    sources = []
    for j, layers in enumerate(program.encoder):
        current = b.block(layers, current, ("body", "encoder", j, "layers"), stage=j)
        sources.append(current)
    for t, spec in enumerate(program.decoder):
        base = ("body", "decoder", t)
        current = b.block(spec.up, current, (*base, "up"))
        if spec.skip is not None:
            skip = b.block(spec.skip_layers, sources[spec.skip], (*base, "skip_layers"))
            merge = merge_node_id(t)
            b.nodes.append(Node(merge, _merge_op(spec.merge), (skip, current), (*base, "merge"), b.index))
            current = merge
        current = b.block(spec.layers, current, (*base, "layers"))
    current = b.block(program.head, current, ("body", "head"))
    spec = GraphInputSpec(INPUT, [1] * rank, None, ("body", "input_size"))
    graph = build_graph([spec], b.nodes, [current] if current != INPUT else [], align=program.align)
    return PlanGraph(graph, b.unpools)
