"""What the valid-size scans evaluate: a reduced graph, walked in memoised blocks.

The scans run the same graph at hundreds of input sizes. Two things make most of that work repeat:
nodes that cannot change a membership (``ScanGraph``: transparent nodes left out, equal nodes sharing
their results), and whole stretches of the network below a downsampling node, whose input changes only
every few sizes (``Blocks``: a U-Net's inner levels, for every other size of the outer one). Both are
exact: a left-out node passes its input on and refuses nothing, and a block reads nothing but its entry's
tensor, so its results are a function of that tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from convplan.graph.evaluate import GraphResult, MergeResult, NodeFailure, NodeResult, Tensor, evaluate
from convplan.graph.ir import Graph, Node
from convplan.ops import Resolver

__all__ = ["Blocks", "ScanGraph", "lenient_graph"]

#: The fewest nodes a block must hold to be worth a memo entry of its own.
MIN_BLOCK = 4


def lenient_graph(graph: Graph, align: str) -> Graph:
    """``graph`` for the scans' lenient runs: under ``align`` (crop: merges of unequal inputs cropped, so
    that refusing is monotone in the size), each node's op its ``monotone`` twin (an unshuffle's
    divisibility floored). The graph itself where neither changes anything."""
    twins = {node.id: node.op.monotone() for node in graph.nodes}
    if align == graph.align and all(twins[node.id] is node.op for node in graph.nodes):
        return graph
    nodes = tuple(node if twins[node.id] is node.op else replace(node, op=twins[node.id]) for node in graph.nodes)
    return replace(graph, nodes=nodes, align=align)


@dataclass(frozen=True)
class ScanGraph:
    """The graph the scans evaluate: ``full`` without its transparent nodes (``OpModel.transparent``: a
    ReLU, a batch norm with running statistics in eval), which pass their input on unchanged and refuse
    nothing, so they change no membership; in a conv-norm-activation network they are two nodes in three.
    Their readers read what they pass on. A node that refuses some size (an instance norm on one pixel, a
    batch norm in training) stays, as do the outputs and every node on a map without spatial axes. Kept nodes
    of one op with equal parameters share their memoised results (``evaluate``'s ``share``): in a chain of
    equal size-keeping convs, one evaluation per size serves them all."""

    full: Graph
    graph: Graph
    #: removed node -> the kept node or input whose tensor it passes on
    source: dict[str, str]
    #: removed node -> how many kept nodes come before it (it is reached when they all were)
    before: dict[str, int]
    #: kept node -> the first kept node of the same op and parameters (merges: none)
    share: dict[str, str]
    #: the inputs and nodes whose tensors have spatial axes (none after a flatten)
    spatial: frozenset[str]

    @classmethod
    def of(cls, graph: Graph, training: bool) -> ScanGraph:
        source: dict[str, str] = {}
        before: dict[str, int] = {}
        spatial = {spec.name: True for spec in graph.inputs}
        outputs = set(graph.outputs)
        kept: list[Node] = []
        for node in graph.nodes:
            spatial[node.id] = node.op.spatial_output and spatial[node.inputs[0]]
            if (len(node.inputs) == 1 and node.size_of is None and node.id not in outputs
                    and spatial[node.inputs[0]] and node.op.transparent(training)):
                source[node.id] = source.get(node.inputs[0], node.inputs[0])
                before[node.id] = len(kept)
                continue
            kept.append(node)
        share: dict[str, str] = {}
        first: dict[tuple[Any, ...], str] = {}
        for node in kept:
            if not node.op.merges:
                same = first.setdefault((type(node.op), node.op.model_dump_json(exclude={"id", "inputs"})), node.id)
                if same != node.id:
                    share[node.id] = same
        has_axes = frozenset(name for name, yes in spatial.items() if yes)
        if not source:
            return cls(graph, graph, source, before, share, has_axes)
        nodes = tuple(replace(node, inputs=tuple(source.get(name, name) for name in node.inputs),
                              size_of=source.get(node.size_of, node.size_of) if node.size_of else None)
                      for node in kept)
        reduced = Graph(graph.inputs, nodes, graph.outputs, graph.align, {node.id: k for k, node in enumerate(nodes)})
        return cls(graph, reduced, source, before, share, has_axes)

    def reached(self, node_id: str, result: GraphResult) -> bool:
        """Whether a run of the full graph would have evaluated ``node_id`` (``result``: the same run here)."""
        if node_id in self.source:
            return len(result.results) >= self.before[node_id]
        return node_id in result.by_id

    def output_size(self, node_id: str, result: GraphResult) -> list[Any]:
        name = self.source.get(node_id, node_id)
        return result.inputs[name].size if name in result.inputs else result.by_id[name].shape.output_size


@dataclass(frozen=True)
class _Stretch:
    """Consecutive nodes, evaluated as one graph from the tensors they read from before them."""

    graph: Graph
    lenient: Graph
    reads: tuple[str, ...]


@dataclass(frozen=True)
class _Block:
    """Consecutive nodes reading nothing from before them but ``entry``'s tensor (top level: the inputs)."""

    entry: str | None
    parts: tuple[_Stretch | _Block, ...]
    #: its tensors that nodes after it read
    exports: tuple[str, ...]


@dataclass
class _Walked:
    """What a walk (or a block of it) evaluated, in order, and where it stopped."""

    results: list[NodeResult] = field(default_factory=list)
    merges: list[MergeResult] = field(default_factory=list)
    mismatch: MergeResult | None = None
    failure: NodeFailure | None = None

    @property
    def stopped(self) -> bool:
        return self.mismatch is not None or self.failure is not None


class Blocks:
    """The scan graph cut into nested blocks, each entered through the output of a node that grows slower
    (on the scanned axis) than the block around it, down to 0 (a fixed size), and memoised by that tensor.
    Walking them gives exactly what ``evaluate`` gives on the whole graph: the nodes in the same order,
    stopping at the same refusal or mismatch."""

    def __init__(self, graph: Graph, lenient: Graph, ratios: dict[str, Fraction], *, memo: dict[bool, dict[Any, Any]],
                 share: dict[str, str]) -> None:
        self.graph = graph
        self.lenient = lenient
        self.memo = memo
        self.share = share
        self.done: dict[bool, dict[Any, tuple[_Walked, dict[str, Tensor]]]] = {True: {}, False: {}}
        nodes = graph.nodes
        ends = _block_ends(nodes, {spec.name for spec in graph.inputs})
        chosen: list[tuple[int, int]] = []  # (start, end) of the blocks, by start
        stack: list[tuple[Fraction, int]] = []  # enclosing blocks: (entry ratio, end)
        for k, node in enumerate(nodes):
            while stack and stack[-1][1] < k:
                stack.pop()
            ratio = ratios.get(node.id)
            if ratio is None or ratio >= (stack[-1][0] if stack else 1) or ends[k] - k < MIN_BLOCK:
                continue
            chosen.append((k, ends[k]))
            stack.append((ratio, ends[k]))
        self.top = self._block(None, 0, len(nodes) - 1, chosen, set())

    def _block(self, entry: str | None, first: int, last: int, chosen: list[tuple[int, int]],
               later: set[str]) -> _Block:
        """Nodes ``first..last`` (positions), with the chosen blocks inside them nested."""
        nodes = self.graph.nodes
        parts: list[_Stretch | _Block] = []
        k = first
        inner = [(s, e) for s, e in chosen if first <= s <= last]
        outermost = [(s, e) for s, e in inner if not any(o < s and e <= f for o, f in inner)]
        for s, e in outermost:
            if k <= s:
                parts.append(self._stretch(nodes[k:s + 1]))
            reads_after = {name for node in nodes[e + 1:last + 1] for name in _reads(node)} | later
            parts.append(self._block(nodes[s].id, s + 1, e, chosen, reads_after))
            k = e + 1
        if k <= last:
            parts.append(self._stretch(nodes[k:last + 1]))
        mine = {node.id for node in nodes[first:last + 1]}
        return _Block(entry, tuple(parts), tuple(sorted(mine & later)))

    def _stretch(self, nodes: tuple[Node, ...]) -> _Stretch:
        own = {node.id for node in nodes}
        reads = tuple(dict.fromkeys(name for node in nodes for name in _reads(node) if name not in own))
        graph = Graph((), nodes, (), self.graph.align, {node.id: k for k, node in enumerate(nodes)}, origin=self.graph)
        return _Stretch(graph, lenient_graph(graph, self.lenient.align), reads)

    def run(self, resolver: Resolver, inputs: dict[str, Tensor], *, lenient: bool) -> GraphResult:
        walked = _Walked()
        self._walk(self.top, resolver, dict(inputs), walked, lenient)
        return GraphResult(graph=self.lenient if lenient else self.graph, inputs=inputs, results=walked.results,
                           by_id={r.node.id: r for r in walked.results}, merges=walked.merges,
                           mismatch=walked.mismatch, failure=walked.failure)

    def _walk(self, block: _Block, resolver: Resolver, tensors: dict[str, Tensor], walked: _Walked,
              lenient: bool) -> None:
        for part in block.parts:
            if isinstance(part, _Block):
                entry = tensors[part.entry]  # type: ignore[index]
                key = (part.entry, tuple(entry.size), entry.channels, tuple(entry.maps))
                done = self.done[lenient].get(key)
                if done is None:
                    inner = _Walked()
                    mine = {part.entry: entry}  # type: ignore[dict-item]
                    self._walk(part, resolver, mine, inner, lenient)
                    done = self.done[lenient][key] = inner, {name: mine[name] for name in part.exports
                                                             if name in mine}
                inner, exported = done
                walked.results += inner.results
                walked.merges += inner.merges
                walked.mismatch, walked.failure = inner.mismatch, inner.failure
                tensors.update(exported)
            else:
                result = evaluate(part.lenient if lenient else part.graph, resolver,
                                  {name: tensors[name] for name in part.reads}, strict=False, magnitude=False,
                                  memo=self.memo[lenient], share=self.share)
                walked.results += result.results
                walked.merges += result.merges
                walked.mismatch, walked.failure = result.mismatch, result.failure
                for record in result.results:
                    tensors[record.node.id] = Tensor(record.shape.output_size, record.shape.out_channels,
                                                     record.maps)
            if walked.stopped:
                return


def _reads(node: Node) -> tuple[str, ...]:
    return node.inputs if node.size_of is None else (*node.inputs, node.size_of)


def _block_ends(nodes: tuple[Node, ...], inputs: set[str]) -> list[int]:
    """Per position ``k``: the last position ``e`` such that the nodes after ``k`` up to ``e`` read nothing
    before ``k`` (one sweep: node ``j`` closes every block entered after the earliest tensor it reads)."""
    position = {node.id: k for k, node in enumerate(nodes)}
    ends = [len(nodes) - 1] * len(nodes)
    open_: list[int] = []
    for j, node in enumerate(nodes):
        earliest = min((-1 if name in inputs else position[name] for name in _reads(node)), default=j)
        while open_ and open_[-1] > earliest:
            ends[open_.pop()] = j - 1
        open_.append(j)
    return ends
