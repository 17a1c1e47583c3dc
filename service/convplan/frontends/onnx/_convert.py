"""The walk: ONNX nodes in topological order, each mapped by its handler.

State lives in :class:`Importer`: the value of every ONNX tensor, the
convplan nodes emitted so far, the unsupported nodes (all of them are
collected, then refused at once), warnings, and the names.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import onnx
from onnx import helper

from convplan.errors import ErrorItem, InvalidModel, InvalidRequest, UnsupportedModel
from convplan.frontends.onnx._declared import DeclaredSizes
from convplan.frontends.onnx._names import NameSpace
from convplan.frontends.onnx._shapes import Item, Leaf, leaf, leaves, print_expr, sample_worlds
from convplan.frontends.onnx._values import Feature, Flat, Known, Poison, Rearranged, Value, Weight, constant_of
from convplan.ops import OPS

__all__ = ["Importer", "Node", "UnresolvedChain", "Unsupported"]

_A = onnx.AttributeProto
#: Attribute kinds read without ``helper.get_attribute_value``'s chain of type tests (the same values: slices
#: are lists, strings decoded).
_PLAIN: dict[int, Callable[[onnx.AttributeProto], Any]] = {
    _A.INT: lambda a: a.i, _A.INTS: lambda a: a.ints[:], _A.FLOAT: lambda a: a.f, _A.FLOATS: lambda a: a.floats[:],
    _A.STRING: lambda a: a.s.decode(),
}


class Node:
    """An ONNX node's fields, read from the protobuf once (every read of a field builds a wrapper, and the
    handlers read them again and again): what the handlers get in place of the ``NodeProto``."""

    __slots__ = ("attribute", "by_name", "domain", "input", "name", "op_type", "output")

    def __init__(self, proto: onnx.NodeProto) -> None:
        self.op_type: str = proto.op_type
        self.domain: str = proto.domain
        self.name: str = proto.name
        self.input: list[str] = proto.input[:]  # slices: faster than iterating the containers
        self.output: list[str] = proto.output[:]
        self.attribute: list[onnx.AttributeProto] = proto.attribute[:]
        self.by_name: dict[str, onnx.AttributeProto] = {}  # the first attribute of each name
        for a in self.attribute:
            self.by_name.setdefault(a.name, a)


class Unsupported(Exception):
    """Raised by a handler: this node has no convplan meaning (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvedChain(Unsupported):
    """Raised by a handler reading a Reshape/Transpose chain of a feature map that gave no map back: the
    chain's nodes are what has no meaning (``nodes``: their op types and labels), not the reader."""

    REASON = "a Reshape/Transpose chain of a feature map that is not a pixel shuffle or unshuffle of it"

    def __init__(self, nodes: tuple[tuple[str, str], ...]) -> None:
        super().__init__(self.REASON)
        self.nodes = nodes


@dataclass
class InputInfo:
    name: str          # legal id
    onnx_name: str
    shape: list[int | str | None]
    size: list[int | str]
    channels: int | str | None
    nhwc: bool


@dataclass
class Importer:
    model: onnx.ModelProto
    max_size: int
    handlers: dict[str, Callable[[Importer, Node, list[Value | None]], list[Value] | None]]
    values: dict[str, Value] = field(default_factory=dict)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsupported: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    ids: NameSpace = field(default_factory=lambda: NameSpace(symbols=False))
    symbols: NameSpace = field(default_factory=lambda: NameSpace(symbols=True))
    inputs: list[InputInfo] = field(default_factory=list)
    consumers: dict[str, list[Node]] = field(default_factory=lambda: defaultdict(list))
    absorbed: set[int] = field(default_factory=set)   # ids of ONNX nodes folded into an earlier one
    stand_ins: dict[str, int] = field(default_factory=dict)   # op -> nodes written as identity
    _by_canon: list[Feature] = field(default_factory=list)
    _input_sizes: dict[str, list[int | str]] = field(default_factory=dict)
    _declared: dict[str, list[int | None]] | None = None
    _declared_sizes: DeclaredSizes | None = None
    _nodes: list[Node] = field(default_factory=list)  # the graph's, in the file's order
    #: Run once every node is walked: a Resize whose sizes matched no tensor known when it was walked looks
    #: again among all of them (``_layers._resize_to``).
    after_walk: list[Callable[[], None]] = field(default_factory=list)

    @cached_property
    def opset(self) -> int:
        for entry in self.model.opset_import:
            if entry.domain in ("", "ai.onnx"):
                return int(entry.version)
        return 1

    # --- emission -----------------------------------------------------------------
    def emit(self, node_name: str, op: str, inputs: list[str], **params: Any) -> str:
        node_id = self.ids.name(node_name, key=f"node:{node_name}")
        self.nodes.append({"id": node_id, "op": op, "inputs": inputs, **params})
        return node_id

    def emit_neutral(self, node: Node, op: str, inputs: list[str], **params: Any) -> str:
        """A shape-neutral node: by its torch.nn name when this service has the op, else ``identity`` with a
        warning (the sizes are the same; its parameters and PyTorch's size refusals are not counted)."""
        if op not in OPS:
            self.stand_ins[op] = self.stand_ins.get(op, 0) + 1
            op, params = "identity", {}
        return self.emit(node.output[0], op, inputs, **params)

    def register(self, feature: Feature) -> Feature:
        """Record a feature map with new sizes, for :meth:`tensor_with`."""
        self._by_canon.append(feature)
        return feature

    def tensor_with(self, sizes: dict[int, str], *, avoid: frozenset[str] = frozenset()) -> str | None:
        """The first tensor whose spatial axis ``a`` has the canonical size ``sizes[a]`` for every ``a``
        (none of ``avoid``)."""
        return next((f.id for f in self._by_canon
                     if f.id not in avoid and all(f.canon[a] == t for a, t in sizes.items())), None)

    def descendants(self, node_id: str) -> frozenset[str]:
        """``node_id`` and every emitted node that reads it, through inputs or ``size_of``."""
        found = {node_id}
        for emitted in self.nodes:  # emitted in walk order: a reader comes after what it reads
            if found.intersection(emitted["inputs"]) or emitted.get("size_of") in found:
                found.add(emitted["id"])
        return frozenset(found)

    def warn(self, node: Node, text: str) -> None:
        self.warnings.append(f"{node.op_type} {self.label(node)}: {text}")

    @staticmethod
    def label(node: Node) -> str:
        return node.name or (node.output[0] if node.output else node.op_type)

    def attr(self, node: Node, name: str, default: Any = None) -> Any:
        """Attribute ``name`` of ``node`` (the first of that name), decoded; ``default`` when absent."""
        found = node.by_name.get(name)
        if found is None:
            return default
        kind = found.type
        if kind in _PLAIN and not found.ref_attr_name:  # the common kinds, as get_attribute_value reads them
            return _PLAIN[kind](found)
        value = helper.get_attribute_value(found)
        return value.decode() if isinstance(value, bytes) else value

    # --- reading values -------------------------------------------------------------
    def known(self, value: Value | None, what: str) -> Known:
        if isinstance(value, Known):
            return value
        if isinstance(value, Weight):
            raise Unsupported(f"{what} is a tensor whose values are not in the model (stripped or external)")
        raise Unsupported(f"{what} is not a constant or a computation on shapes")

    def ints(self, value: Value | None, what: str) -> list[int]:
        known = self.known(value, what)
        items = known.array.reshape(-1).tolist()
        if not all(isinstance(v, int) for v in items):
            raise Unsupported(f"{what} depends on tensor sizes: only constants are meaningful here")
        return items

    def name_of_leaf(self, item: Leaf) -> str | int | None:
        """An input's spatial size (its symbol or number), for printing shape expressions."""
        sizes = self._input_sizes.get(item.tensor)
        if sizes is None or item.axis < 2:
            return None
        return sizes[item.axis - 2]

    def printable(self, item: Any) -> str | int | None:
        return print_expr(item, self.name_of_leaf)

    def declared_dims(self, tensor: str) -> list[int | None] | None:
        """Dims of ``tensor`` by ONNX shape inference (for exports whose shapes were folded to constants)."""
        if self._declared is None:
            self._declared = {}
            try:
                inferred = onnx.shape_inference.infer_shapes(self.model, data_prop=True)
            except Exception:
                inferred = self.model
            graph = inferred.graph
            for info in [*graph.value_info, *graph.input, *graph.output]:
                if info.type.HasField("tensor_type") and info.type.tensor_type.HasField("shape"):
                    self._declared[info.name] = [d.dim_value if d.HasField("dim_value") else None
                                                 for d in info.type.tensor_type.shape.dim]
        return self._declared.get(tensor)

    def worlds_for(self, items: list[Item], *, larger: set[Leaf] = frozenset()) -> list[dict[Leaf, int]]:
        """Sample worlds for comparing shape expressions: where ``items`` read only the inputs' sizes (torch's
        dynamo exporter) and the model declares its tensors' dims in them, worlds of the inputs' sizes with
        every tensor's declared size (so a bound can be matched to any tensor); else random worlds."""
        declared = self._declared_sizes
        found: set[Leaf] = set().union(*(leaves(i) for i in items))
        if declared is not None and declared.usable and declared.covers(found):
            declared.extend(self.values)
            return declared.worlds
        return sample_worlds(items, larger=larger)

    # --- the walk -----------------------------------------------------------------
    def prepare(self) -> None:
        """Initializers and inputs (before any input override)."""
        graph = self.model.graph
        self._nodes = [Node(proto) for proto in graph.node]
        for init in graph.initializer:
            self.values[init.name] = constant_of(init)
        for sparse in graph.sparse_initializer:
            self.values[sparse.values.name] = Weight(tuple(int(d) for d in sparse.dims))
        self._read_inputs(graph)
        if not self.inputs:
            raise InvalidModel("the model has no input tensor", [ErrorItem(("model", "graph", "input"), "none",
                                                                           "onnx_input")])

    def walk(self) -> None:
        declared = self._declared_sizes = DeclaredSizes(self.model)
        for info in self.inputs:
            spatial = range(1, len(info.shape) - 1) if info.nhwc else range(2, len(info.shape))
            declared.add_input({a: d for a, d in enumerate(info.shape[k] for k in spatial) if isinstance(d, str)},
                               {a: Leaf(info.name, 2 + a) for a in range(len(info.size))})
        # Bounds computed from the input's sizes alone (the dynamo exporter) make a crop, or a Resize to another
        # tensor's size, ready before the tensor it crops or resizes to: walk crops, pads and resizes as late as
        # the order allows, so that their targets are known (a Resize walked before a Pad on its target's path
        # missed its ``size_of``, and kept the example's size).
        order = self._topological(late=_LATE if declared.usable else frozenset())
        for node in order:
            for name in node.input:
                if name:
                    self.consumers[name].append(node)
        for node in order:
            if id(node) in self.absorbed:
                continue
            self._visit(node)
        for finish in self.after_walk:
            finish()
        for vi in self.model.graph.output:
            value = self.values.get(vi.name)
            if isinstance(value, Rearranged):  # a chain of Reshapes that never gave a feature map back
                self._chain_unsupported(value.nodes, UnresolvedChain.REASON)
        if self.unsupported:
            self._refuse()

    def _visit(self, node: Node) -> None:
        outputs = node.output
        ins = [self.values.get(name) if name else None for name in node.input]
        for v in ins:  # a loop, not any() over a generator: this runs for every node
            if isinstance(v, Poison):
                self._set(outputs, [Poison()] * len(outputs))
                return
        domain = node.domain
        handler = self.handlers.get(node.op_type) if domain in ("", "ai.onnx") else None
        try:
            if handler is None:
                where = f" (domain {domain})" if domain not in ("", "ai.onnx") else ""
                raise Unsupported(f"no convplan meaning{where}")
            outs = handler(self, node, ins)
        except UnresolvedChain as exc:
            self._chain_unsupported(exc.nodes, exc.reason)
            outs = [Poison()] * len(outputs)
        except Unsupported as exc:
            self.unsupported[node.op_type].append((self.label(node), exc.reason))
            # Read on as if the node kept its input's shape, so that every later unsupported node is
            # reported too; the model is refused anyway.
            through = next((v for v in ins if isinstance(v, Feature | Flat)), None)
            outs = [through or Poison()] * len(outputs)
        except (ValueError, IndexError, TypeError, ArithmeticError) as exc:
            # A malformed model's shape computation (a Gather or Concat axis out of range, a Reshape to the
            # wrong count, a negative ConstantOfShape): ONNX's own checker would refuse the model; here the node
            # is listed with what NumPy said, a 422, not a 500.
            reason = f"its shape computation cannot be evaluated ({type(exc).__name__}: {str(exc)[:200]})"
            self.unsupported[node.op_type].append((self.label(node), reason))
            outs = [Poison()] * len(outputs)
        if outs is not None:
            self._set(outputs, outs)

    def _chain_unsupported(self, nodes: tuple[tuple[str, str], ...], reason: str) -> None:
        for op_type, label in nodes:
            if (label, reason) not in self.unsupported[op_type]:  # two readers of one chain: listed once
                self.unsupported[op_type].append((label, reason))

    def _set(self, outputs: list[str], outs: list[Value]) -> None:
        for name, value in zip(outputs, outs):
            if name:
                self.values[name] = value

    def _topological(self, late: frozenset[str] = frozenset()) -> list[Node]:
        """Kahn's order (ONNX requires one; a hostile file may not keep it), nodes of the ``late`` types taken
        only when no other is ready; cycles and unknown names refused."""
        available = set(self.values)
        producer: dict[str, int] = {}
        nodes = self._nodes
        op_types = [node.op_type for node in nodes]
        for index, node in enumerate(nodes):
            for out in node.output:
                if out in producer or (out and out in available):
                    raise InvalidModel(f"tensor {out!r} is produced twice",
                                       [ErrorItem(("model", "graph", "node", index), "output written twice",
                                                  "onnx_graph")])
                if out:
                    producer[out] = index
        waiting = [0] * len(op_types)
        readers: dict[int, list[int]] = defaultdict(list)
        for index, node in enumerate(nodes):
            for name in set(node.input):
                if not name or name in available:
                    continue
                if name not in producer:
                    raise InvalidModel(f"node {self.label(node)!r} reads {name!r}, which nothing produces",
                                       [ErrorItem(("model", "graph", "node", index), f"unknown tensor {name!r}",
                                                  "onnx_graph")])
                waiting[index] += 1
                readers[producer[name]].append(index)
        ready: deque[int] = deque()
        postponed: list[int] = []

        def make_ready(i: int) -> None:
            (postponed if op_types[i] in late else ready).append(i)

        for i, w in enumerate(waiting):
            if w == 0:
                make_ready(i)
        order = []
        while ready or postponed:
            if ready:
                index = ready.popleft()
            else:  # the postponed node whose first reader past its chain of crops (a cat) waits for it only
                index = min(reversed(postponed), key=lambda i: _waits_after(i, op_types, readers, waiting, late))
                postponed.remove(index)
            order.append(nodes[index])
            for reader in readers[index]:
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    make_ready(reader)
        if len(order) < len(op_types):
            stuck = [self.label(nodes[i]) for i, w in enumerate(waiting) if w > 0]
            raise InvalidModel(f"the graph has a cycle through {', '.join(stuck[:10])}",
                               [ErrorItem(("model", "graph", "node"), f"cycle through {name!r}", "onnx_cycle")
                                for name in stuck[:10]])
        return order

    # --- inputs -------------------------------------------------------------------
    def _read_inputs(self, graph: onnx.GraphProto) -> None:
        for index, vi in enumerate(graph.input):
            if vi.name in self.values:  # opset < 9: initializers are listed as inputs too
                continue
            loc = ("model", "graph", "input", index)
            if not vi.type.HasField("tensor_type"):
                raise InvalidModel(f"input {vi.name!r} is not a tensor", [ErrorItem(loc, "not a tensor", "onnx_input")])
            dims = list(vi.type.tensor_type.shape.dim)
            shape: list[int | str | None] = [
                int(d.dim_value) if d.HasField("dim_value") else (d.dim_param or None) for d in dims]
            for axis, d in enumerate(shape):
                if isinstance(d, int) and not 1 <= d <= self.max_size:
                    raise InvalidModel(f"input {vi.name!r} axis {axis} has size {d}, outside 1..{self.max_size}",
                                       [ErrorItem(loc, f"dim {axis} is {d}", "onnx_dim")])
            if not 3 <= len(shape) <= 5:
                raise InvalidModel(
                    f"input {vi.name!r} has rank {len(shape)}: expected (N, C, *spatial) with 1 to 3 spatial axes",
                    [ErrorItem(loc, f"rank {len(shape)}", "onnx_input_rank")])
            nhwc = self._only_consumer_is_nchw_transpose(vi.name, len(shape))
            name = self.ids.name(vi.name, key=f"input:{vi.name}")
            channel_dim = shape[-1] if nhwc else shape[1]
            spatial = list(range(1, len(shape) - 1)) if nhwc else list(range(2, len(shape)))
            size: list[int | str] = []
            for a, axis in enumerate(spatial):
                d = shape[axis]
                size.append(d if isinstance(d, int) else self.symbols.name(d or f"{vi.name}_{a}"))
            channels = channel_dim if isinstance(channel_dim, int) else None
            self.inputs.append(InputInfo(name, vi.name, shape, size, channels, nhwc))
            self._input_sizes[name] = size
            self.values[vi.name] = self.register(Feature(name, len(size), channels, (name,) * len(size)))

    def _only_consumer_is_nchw_transpose(self, name: str, rank: int) -> bool:
        readers = [node for node in self._nodes if name in node.input]
        if len(readers) != 1 or readers[0].op_type != "Transpose":
            return False
        perm = self.attr(readers[0], "perm")
        return perm is not None and list(perm) == [0, rank - 1, *range(1, rank - 1)]

    def set_input_shape(self, key: str | None, shape: list[int | str], index: int = 0) -> None:
        """Apply a ``--input``/``input=`` override (the ``index``-th): ``key`` an ONNX input name or None for the
        first. A shape the model cannot take is the request's fault, not the model's: invalid-request."""
        info = self.inputs[0] if key is None else next((i for i in self.inputs if key in (i.onnx_name, i.name)),
                                                     None)
        where = ("input", index)
        if info is None:
            names = ", ".join(repr(i.onnx_name) for i in self.inputs)
            raise InvalidRequest(f"the model has no input {key!r} (its inputs: {names})",
                                 [ErrorItem(where, f"no input {key!r}", "input")])
        if len(shape) != len(info.shape):
            raise InvalidRequest(f"input {info.onnx_name!r} has rank {len(info.shape)}, the shape given {len(shape)}",
                               [ErrorItem(where, "rank differs from the model's", "input")])
        fixed = [0, len(shape) - 1] if info.nhwc else [0, 1]
        for axis in fixed:
            declared = info.shape[axis]
            if isinstance(declared, int) and isinstance(shape[axis], int) and declared != shape[axis]:
                what = "batch" if axis == 0 else "channels"
                raise InvalidRequest(f"input {info.onnx_name!r}: {what} {shape[axis]} differs from the model's "
                                   f"{declared}", [ErrorItem(where, f"{what} differs from the model's", "input")])
        spatial = list(range(1, len(shape) - 1)) if info.nhwc else list(range(2, len(shape)))
        info.size = [shape[a] if isinstance(shape[a], int) else self.symbols.name(str(shape[a])) for a in spatial]
        channel = shape[fixed[1]]
        if isinstance(channel, int):
            info.channels = channel
        self._input_sizes[info.name] = info.size
        self.values[info.onnx_name] = self.register(
            Feature(info.name, len(info.size), info.channels, (info.name,) * len(info.size)))

    # --- results --------------------------------------------------------------------
    def all_warnings(self) -> list[str]:
        return self.warnings + [f"{op} is not an op of this service yet: {n} node(s) read as identity (same "
                                f"sizes; parameters and PyTorch's size checks of {op} not counted)"
                                for op, n in self.stand_ins.items()]

    def outputs(self) -> list[str]:
        out: list[str] = []
        for vi in self.model.graph.output:
            value = self.values.get(vi.name)
            if isinstance(value, Feature | Flat) and value.id not in out:
                out.append(value.id)
        return out

    def shape_of(self, value: Value) -> np.ndarray:
        """``Shape(x)`` as expressions: batch one leaf, channels as known, spatial sizes as leaves."""
        if isinstance(value, Feature):
            channels = value.channels if value.channels is not None else leaf(value.id, 1)
            items = [leaf("", 0), channels, *(value.dim(a) for a in range(value.rank))]
        elif isinstance(value, Flat):
            items = [leaf("", 0), value.features if value.features is not None else leaf(value.id, 1)]
        elif isinstance(value, Known):
            items = list(value.shape)
        elif isinstance(value, Weight):
            items = list(value.dims)
        else:
            raise Unsupported("Shape of a tensor that has no shape here")
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array

    def _refuse(self) -> None:
        parts, errors = [], []
        for op_type, where in self.unsupported.items():
            parts.append(f"{op_type} ({', '.join(f'{name}: {reason}' for name, reason in where)})")
            for name, reason in where:
                errors.append(ErrorItem(("model", "graph", "node", name), f"{op_type}: {reason}", "onnx_unsupported"))
        raise UnsupportedModel(
            f"{len(errors)} node(s) have no convplan meaning: {'; '.join(parts)}",
            errors,
            extra={"unsupported": {op: [name for name, _ in where] for op, where in self.unsupported.items()}},
        )


#: The node types walked as late as the order allows when sizes are declared in the inputs' symbols.
_LATE = frozenset({"Slice", "Pad", "Resize"})


def _waits_after(index: int, op_types: list[str], readers: dict[int, list[int]], waiting: list[int],
                 late: frozenset[str], depth: int = 0) -> int:
    """How many inputs the nearest reader of node ``index`` that is not of the ``late`` types still waits for
    (through readers of those types: a crop per axis)."""
    counts = []
    for r in readers[index]:
        if op_types[r] in late and depth < 8:
            counts.append(_waits_after(r, op_types, readers, waiting, late, depth + 1))
        else:
            counts.append(waiting[r])
    return min(counts, default=0)
