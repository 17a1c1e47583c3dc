"""An encoder/decoder plan (``/v1/plan``, explicit or expanded from a template) as one ``Graph``.

Layers keep the plan's global walk order for ids and ``layer`` numbers (every
encoder layer, then per decoder stage ``up``, ``skip_layers``, ``layers``, then
the head) and their locations in the request (``("decoder", 2, "up",
0)``). A skip is a merge node reading the skip map first and the decoder map
second, so its ``offset`` is the decoder map's first pixel in the skip's grid
(the plan's ``offset``) and the merged map takes the skip's grid, as the plan
says; ``align`` is the plan's. ``merge: "none"`` is ``Aligned`` (sizes
compared and aligned, the decoder map's channels). A ``max_unpool`` with
``indices_from: j`` takes the size of the input of encoder stage ``j``'s last
``max_pool`` (``size_of``): PyTorch's default when the pool's indices are
passed with the pool's input shape. What the request gets wrong in its structure (a skip out of range,
``skip_layers`` without a skip, ``indices_from`` naming no pool) is a 422 naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from convplan.errors import LayerError
from convplan.frontends.stack import INPUT
from convplan.graph.ir import Graph, GraphInputSpec, Node, build_graph
from convplan.ops import OpModel
from convplan.ops.merge import Aligned, Concat, Elementwise

if TYPE_CHECKING:
    from convplan.plan.program import Program

__all__ = ["PlanGraph", "StageNodes", "merge_node_id", "plan_graph"]


def merge_node_id(decoder_stage: int) -> str:
    return f"decoder.{decoder_stage}.merge"


def _merge_op(merge: str) -> OpModel:
    if merge == "concat":
        return Concat(op="concat")
    if merge == "add":
        return Elementwise(op="add")
    return Aligned(op="align")


@dataclass(frozen=True)
class StageNodes:
    """A stage's place in the graph: the tensor it starts from, its layer nodes in walk order (a decoder stage:
    ``up``, ``skip_layers``, ``layers``), its ``up`` nodes and its merge node (None without a skip)."""

    kind: str  # "encoder" | "decoder" | "head"
    index: int | None
    input: str
    output: str
    layers: tuple[str, ...]
    up: tuple[str, ...] = ()
    merge: str | None = None
    skip: int | None = None  # the encoder stage merged
    merge_kind: str = "concat"


@dataclass(frozen=True)
class PlanGraph:
    graph: Graph
    stages: tuple[StageNodes, ...] = ()
    #: max_unpool node (with indices_from) -> (the encoder stage, the max_pool node whose indices it takes)
    unpools: dict[str, tuple[int, str]] = field(default_factory=dict)


class _Builder:
    def __init__(self, program: Program, indices: bool) -> None:
        self.program = program
        self.indices = indices
        self.nodes: list[Node] = []
        self.index = 0
        self.done = 0  # encoder stages built
        #: encoder stage -> its last max_pool node and the tensor that pool read
        self.pools: dict[int, tuple[str, str]] = {}
        self.unpools: dict[str, tuple[int, str]] = {}

    def block(self, layers: list[OpModel], source: str, loc: tuple[Any, ...], stage: int | None = None
              ) -> tuple[str, list[str]]:
        ids = []
        for k, layer in enumerate(layers):
            node_id = str(self.index)
            j = getattr(layer, "indices_from", None)
            pool = None if j is None else self._pool(j, (*loc, k, "indices_from"))
            if pool is not None:
                self.unpools[node_id] = (j, pool[0])  # type: ignore[assignment]
            self.nodes.append(Node(node_id, layer, (source,), (*loc, k), self.index,
                                   pool[1] if pool is not None and self.indices else None))
            if stage is not None and getattr(type(layer), "provides_indices", False):
                self.pools[stage] = (node_id, source)
            self.index += 1
            source = node_id
            ids.append(node_id)
        return source, ids

    def _pool(self, j: int, loc: tuple[Any, ...]) -> tuple[str, str]:
        if j not in self.pools:
            stages = len(self.program.encoder)
            why = ("has no max_pool" if j < self.done else "has not run yet (a skip used before it exists)"
                   if j < stages else f"does not exist (the encoder has {stages} stages)")
            raise LayerError.at(f"max_unpool: indices_from={j}: encoder stage {j} {why}", loc=loc, layer=self.index)
        return self.pools[j]


def plan_graph(program: Program, rank: int, *, indices: bool = True) -> PlanGraph:
    """The graph of ``program`` on a ``rank``-axis input named ``INPUT`` (its sizes are given to the evaluator).
    ``indices=False``: a ``max_unpool`` ignores ``indices_from`` (its default size: the valid-size solver's probe
    of where the network runs at all, monotone in the input)."""
    b = _Builder(program, indices)
    stages = []
    current = INPUT
    sources = []
    for j, layers in enumerate(program.encoder):
        start = current
        current, ids = b.block(layers, current, ("encoder", j, "layers"), stage=j)
        stages.append(StageNodes("encoder", j, start, current, tuple(ids)))
        sources.append(current)
        b.done = j + 1
    for t, spec in enumerate(program.decoder):
        base = ("decoder", t)
        start = current
        current, up = b.block(spec.up, current, (*base, "up"))
        skip_ids: list[str] = []
        merge = None
        if spec.skip is not None:
            if spec.skip >= len(sources):
                raise LayerError.at(f"decoder stage {t}: skip {spec.skip} is out of range (the encoder has "
                                    f"{len(sources)} stages)", loc=(*base, "skip"), layer=b.index)
            skip, skip_ids = b.block(spec.skip_layers, sources[spec.skip], (*base, "skip_layers"))
            merge = merge_node_id(t)
            b.nodes.append(Node(merge, _merge_op(spec.merge), (skip, current), (*base, "merge"), b.index))
            current = merge
        elif spec.skip_layers:
            raise LayerError.at(f"decoder stage {t}: skip_layers given without a skip", loc=(*base, "skip_layers"),
                                layer=b.index)
        current, ids = b.block(spec.layers, current, (*base, "layers"))
        stages.append(StageNodes("decoder", t, start, current, (*up, *skip_ids, *ids), tuple(up), merge,
                                  spec.skip, spec.merge))
    start = current
    current, ids = b.block(program.head, current, ("head",))
    stages.append(StageNodes("head", None, start, current, tuple(ids)))
    spec = GraphInputSpec(INPUT, [1] * rank, None, ("input_size",))
    graph = build_graph([spec], b.nodes, [current] if current != INPUT else [], align=program.align)
    return PlanGraph(graph, tuple(stages), b.unpools)
