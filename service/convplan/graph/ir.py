"""The network IR: nodes with named inputs, validated and topologically ordered.

Every frontend (a stack, an encoder/decoder, a /v1/graph body, an imported
model) builds a ``Graph``; ``convplan.graph.evaluate`` walks it once.
Locations (``loc``) are given by the frontend, pointing into what the user
sent, so errors and conditions name the user's own layer.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from convplan.errors import ErrorItem, InvalidRequest
from convplan.ops import OpModel

__all__ = ["Graph", "GraphInputSpec", "Node", "build_graph", "chain"]

#: Formulas use ``i`` for a layer's input size, so no node or input may be called that.
_RESERVED = "i"


@dataclass(slots=True)
class Node:
    """A node of the graph. Not frozen (never changed once built, but a frozen dataclass sets each field
    through ``object.__setattr__``: three times the cost, once per layer of every request)."""

    id: str
    op: OpModel
    inputs: tuple[str, ...]
    #: Where the node sits in what the user sent, e.g. ``("nodes", 3)``.
    loc: tuple[Any, ...]
    #: Its number in errors and conditions (``layer``): the request's node or layer index.
    index: int
    #: The tensor whose spatial size the op takes (``size_of``): an ordering edge, not an input.
    size_of: str | None = None


@dataclass(frozen=True, slots=True)
class GraphInputSpec:
    name: str
    size: Sequence[Any]  # as given: ints or expression strings
    channels: Any
    loc: tuple[Any, ...]


@dataclass(frozen=True)
class Graph:
    inputs: tuple[GraphInputSpec, ...]
    nodes: tuple[Node, ...]  # topological order
    outputs: tuple[str, ...]
    align: str = "none"
    #: node id -> position in ``nodes``
    position: dict[str, int] = field(default_factory=dict)
    #: The graph this one is a stretch of (the valid-size scans' blocks): it knows the tensors read from before.
    origin: Graph | None = field(default=None, compare=False, repr=False)
    _grows: dict[tuple[str, int], bool] = field(init=False, default_factory=dict, compare=False, repr=False)

    @property
    def first_input(self) -> GraphInputSpec:
        return self.inputs[0]

    def grows(self, name: str, axis: int) -> bool:
        """Whether tensor ``name``'s size on ``axis`` changes with the network's input sizes. Not so where the
        parameters set it (a global pool's 1, a constant operand's size: ``OpModel.size_source``) or an input
        other than the first is given a number there. A merge of several inputs grows where one does (its
        output is the largest) or, a concat under align "crop", where all do (cropped to the smallest). A map of size 1
        here that grows is broadcast at this size only: no registered merge (contract section 7)."""
        key = (name, axis)
        known = self._grows.get(key)
        if known is None:
            known = self._grows[key] = self._find_growth(name, axis)
        return known

    def _find_growth(self, name: str, axis: int) -> bool:
        k = self.position.get(name)
        if k is None:
            spec = next((s for s in self.inputs if s.name == name), None)
            if spec is None:
                return self.origin.grows(name, axis) if self.origin is not None else True
            return spec is self.inputs[0] or axis >= len(spec.size) or type(spec.size[axis]) is not int
        node = self.nodes[k]
        if node.op.merges and len(node.inputs) > 1:
            each = [self.grows(i, axis) for i in node.inputs]
            # Cropped to the smallest: fixed where one input is, but a broadcast 1 is stretched, never cropped to.
            return all(each) if self.align == "crop" and not node.op.broadcasts else any(each)
        source = node.op.size_source(axis)
        if source == "parameters":
            return False
        if source == "size_of" and node.size_of is not None:
            return self.grows(node.size_of, axis)
        return self.grows(node.inputs[0], axis)


def _fail(msg: str, loc: tuple[Any, ...], kind: str, index: int | None = None) -> InvalidRequest:
    return InvalidRequest(msg, [ErrorItem(loc, msg, kind, index)])


def build_graph(inputs: Sequence[GraphInputSpec], nodes: Sequence[Node], outputs: Sequence[str] | None = None,
                *, align: str = "none", outputs_loc: tuple[Any, ...] = ("outputs",)) -> Graph:
    """Check names and arities, and order the nodes: Kahn's algorithm taking the earliest ready node in the
    order given, so a stack or a graph written in order keeps its order. A cycle (``size_of`` edges
    included), an unknown name or a wrong number of inputs is a 422 naming the node."""
    names: dict[str, tuple[Any, ...]] = {}
    for spec in inputs:
        _claim(names, spec.name, (*spec.loc, "name"))
    for node in nodes:
        _claim(names, node.id, (*node.loc, "id"))
    for node in nodes:
        _check_arity(node)
        for k, name in enumerate(node.inputs):
            if name not in names:
                raise _fail(f"node {node.id!r}: input {name!r} is neither a node nor an input",
                            (*node.loc, "inputs", k),
                            "value_error.graph.unknown", node.index)
            if name == node.id:
                raise _fail(f"node {node.id!r} reads itself", (*node.loc, "inputs", k), "value_error.graph.cycle",
                            node.index)
        if node.size_of is not None and node.size_of not in names:
            raise _fail(f"node {node.id!r}: size_of names {node.size_of!r}, which is neither a node nor an input",
                        (*node.loc, "size_of"), "value_error.graph.unknown", node.index)
    ordered = _topological(inputs, nodes)
    position = {node.id: k for k, node in enumerate(ordered)}
    if outputs is None:
        read = {name for node in nodes for name in node.inputs}
        chosen = tuple(node.id for node in ordered if node.id not in read)
    else:
        for k, name in enumerate(outputs):
            if name not in position:
                raise _fail(f"output {name!r} is not a node", (*outputs_loc, k), "value_error.graph.unknown")
        chosen = tuple(dict.fromkeys(outputs))
    return Graph(tuple(inputs), tuple(ordered), chosen, align, position)


def _claim(names: dict[str, tuple[Any, ...]], name: str, loc: tuple[Any, ...]) -> None:
    if name == _RESERVED:
        raise _fail("the name 'i' is reserved (formulas use it for a layer's input size)", loc,
                    "value_error.graph.reserved")
    if name in names:
        raise _fail(f"{name!r} is used twice (node ids and input names share one namespace)", loc,
                    "value_error.graph.duplicate")
    names[name] = loc


def _check_arity(node: Node) -> None:
    op = node.op
    count = len(node.inputs)
    if count < op.min_inputs or (op.max_inputs is not None and count > op.max_inputs):
        if op.max_inputs == op.min_inputs:
            want = f"exactly {op.min_inputs} input{'s' if op.min_inputs != 1 else ''}"
        elif op.max_inputs is None:
            want = f"{op.min_inputs} or more inputs"
        else:
            want = f"{op.min_inputs} to {op.max_inputs} inputs"
        raise _fail(f"node {node.id!r}: {op.op} takes {want}, got {count}", (*node.loc, "inputs"),
                    "value_error.graph.inputs", node.index)


def _topological(inputs: Sequence[GraphInputSpec], nodes: Sequence[Node]) -> list[Node]:
    ready_names = {spec.name for spec in inputs}
    waiting: dict[str, set[str]] = {}
    readers: dict[str, list[int]] = {}
    for k, node in enumerate(nodes):
        deps = set(node.inputs)
        if node.size_of is not None:
            deps.add(node.size_of)
        deps -= ready_names
        waiting[node.id] = deps
        for name in deps:
            readers.setdefault(name, []).append(k)
    heap = [k for k, node in enumerate(nodes) if not waiting[node.id]]
    heapq.heapify(heap)
    ordered: list[Node] = []
    while heap:
        k = heapq.heappop(heap)
        node = nodes[k]
        ordered.append(node)
        for j in readers.get(node.id, ()):
            deps = waiting[nodes[j].id]
            deps.discard(node.id)
            if not deps:
                heapq.heappush(heap, j)
    if len(ordered) < len(nodes):
        stuck = next(node for node in nodes if waiting[node.id])
        raise _fail(f"node {stuck.id!r} is in or behind a cycle (through inputs or size_of)", (*stuck.loc, "inputs"),
                    "value_error.graph.cycle", stuck.index)
    return ordered


def chain(spec: GraphInputSpec, nodes: Sequence[Node]) -> Graph:
    """A stack as a graph: each node reads the one before (already in order, nothing to sort)."""
    return Graph((spec,), tuple(nodes), (nodes[-1].id,) if nodes else (), "none",
                 {node.id: k for k, node in enumerate(nodes)})
