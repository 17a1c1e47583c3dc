"""The one evaluator: walks a graph once, in topological order, into typed per-node results.

Numeric requests never touch SymPy here (plain ints through the ops' size
rules); symbolic ones run the same code on expressions, under the service's
symbolic budget. Each node gets its sizes, channels and coordinate map per
axis (``AxisMap``: in the grid of an *anchor*, the first input or the last
node without an affine map). Merges are aligned first (``align``), as the
request says; a merge PyTorch would refuse under ``align: "none"`` is the
graph's ``mismatch`` and leaves everything after it unevaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convplan import budget
from convplan.errors import ConvplanError, ErrorItem, InvalidRequest, LayerError
from convplan.expr import canonicalize
from convplan.graph.align import MergeResult, align_merge
from convplan.graph.coords import AxisMap
from convplan.graph.ir import Graph, Node
from convplan.ops import LayerContext, LayerShape, Resolver, Value
from convplan.ops._values import norm

__all__ = ["GraphResult", "NodeFailure", "NodeResult", "Tensor", "evaluate", "require_positive", "resolve_inputs"]


#: Error types that say "PyTorch would refuse to run this" (a size rule, a shape or channel check): in
#: /v1/graph, ``ok: false`` naming the node; any other refusal (grammar, parameter ranges) stays a 422.
_SIZE_FAILURES = ("layer", "merge", "size.fixed", "value_error.channels")


@dataclass(slots=True)
class Tensor:
    """A value flowing along the graph: a network input or a node's output."""

    size: list[Value]
    channels: Value | None
    maps: list[AxisMap]


@dataclass(slots=True, kw_only=True)
class NodeResult:
    node: Node
    input_sizes: list[list[Value]]
    in_channels: list[Value | None]
    shape: LayerShape
    maps: list[AxisMap]
    warnings: list[str]
    merge: MergeResult | None = None

    @property
    def output_size(self) -> list[Value]:
        return self.shape.output_size


@dataclass(slots=True, kw_only=True)
class NodeFailure:
    """A node that refused its input (``ok: false``); nodes after it are not evaluated."""

    node: Node
    error: ConvplanError


@dataclass(kw_only=True)
class GraphResult:
    graph: Graph
    inputs: dict[str, Tensor]
    results: list[NodeResult]
    by_id: dict[str, NodeResult]
    merges: list[MergeResult] = field(default_factory=list)
    mismatch: MergeResult | None = None
    failure: NodeFailure | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mismatch is None and self.failure is None and len(self.results) == len(self.graph.nodes)

    def tensor(self, name: str) -> Tensor | None:
        if name in self.inputs:
            return self.inputs[name]
        result = self.by_id.get(name)
        return None if result is None else Tensor(result.shape.output_size, result.shape.out_channels, result.maps)


def resolve_inputs(graph: Graph, resolver: Resolver) -> dict[str, Tensor]:
    """Every input's sizes and channels, parsed and checked (>= 1)."""
    out = {}
    for spec in graph.inputs:
        size = []
        for a, raw in enumerate(spec.size):
            loc = (*spec.loc, "size", a)
            value = resolver.scalar(raw, loc, axis=a)
            require_positive(resolver, value, loc, "input size", a)
            size.append(value)
        channels = None
        if spec.channels is not None:
            channels = resolver.scalar(spec.channels, (*spec.loc, "channels"))
            require_positive(resolver, channels, (*spec.loc, "channels"), "channels", None)
        out[spec.name] = Tensor(size, channels, [AxisMap(spec.name, 1, 0)] * len(size))
    return out


def require_positive(resolver: Resolver, value: Value, loc: tuple, what: str, axis: int | None) -> None:
    ctx = LayerContext(resolver, None, "input", 1, loc)
    try:
        ctx.require(value, ">=", 1, f"{what} must be at least 1", axis=axis)
    except ConvplanError as exc:
        raise InvalidRequest(f"{what} must be at least 1",
                             [ErrorItem(loc, f"{what} must be at least 1", "value_error.size", None, axis)]) from exc


def evaluate(graph: Graph, resolver: Resolver, inputs: dict[str, Tensor], *, strict: bool,
             magnitude: bool = True, maps: bool = True, memo: dict[Any, Any] | None = None,
             share: dict[str, str] | None = None) -> GraphResult:
    """Evaluate every node once. ``strict``: a refusing node raises (``/v1/shapes``, ``/v1/plan``), carrying
    the nodes evaluated before it as ``exc.partial`` (a ``GraphResult``); otherwise a size refusal ends the
    walk with ``failure`` set (``/v1/graph``: ``ok: false``) and other refusals raise. ``magnitude``: check
    computed sizes against ``max_size`` (off in the valid-size scans). ``maps``: compose coordinate maps.
    ``memo`` (numeric only): results per node and input sizes, shared across the runs of a valid-size scan,
    where consecutive sizes leave most deep nodes unchanged. ``share`` (with ``memo``): node id -> the id its
    results are memoised under, another node of the same op and parameters: on the same inputs it takes
    that node's result (a chain of equal convs on one size is evaluated once; refusals stay per node)."""
    result = GraphResult(graph=graph, inputs=inputs, results=[], by_id={})
    try:
        _walk(graph, resolver, inputs, result, strict=strict, magnitude=magnitude, maps=maps, memo=memo,
              share=share)
    except ConvplanError as exc:
        exc.partial = result  # type: ignore[attr-defined]
        raise
    return result


def _walk(graph: Graph, resolver: Resolver, inputs: dict[str, Tensor], result: GraphResult, *, strict: bool,
          magnitude: bool, maps: bool, memo: dict[Any, Any] | None, share: dict[str, str] | None) -> None:
    tensors: dict[str, Tensor] = dict(inputs)
    # The last single-input node: its op and input, and what it gave. A node of equal parameters on an equal
    # input gives the same (numeric sizes: nothing is located or recorded per node), as the second conv of
    # most blocks does. (``share`` does this across the runs of a scan, through ``memo``'s keys; within one
    # walk the node before is the one to compare with, and comparing costs less than a key.)
    repeat: tuple[Any, list[Value], Value | None, LayerShape, list[str]] | None = None
    for node in graph.nodes:
        budget.check()  # heavy numeric work has a time budget (BudgetExhausted is no ConvplanError)
        names = node.inputs
        try:
            ins = [tensors[names[0]]] if len(names) == 1 else [tensors[name] for name in names]
        except KeyError:
            break  # after a failure or mismatch: nothing more to evaluate (graph order)
        key = None
        if memo is not None:
            target = tensors.get(node.size_of) if node.size_of is not None else None
            owner = node.id if share is None else share.get(node.id, node.id)
            if len(ins) == 1:  # most nodes: the same key without the generators' cost
                t = ins[0]
                key = (owner, (tuple(t.size),), (t.channels,), None if target is None else tuple(target.size),
                       (tuple(t.maps),))
            else:
                key = (owner, tuple(tuple(t.size) for t in ins), tuple(t.channels for t in ins),
                       None if target is None else tuple(target.size), tuple(tuple(t.maps) for t in ins))
            hit = memo.get(key)
            if hit is not None and share is not None:
                hit = _shared(hit, node, key[0])
            if hit is not None:
                kind, value = hit
                if kind == "failure":
                    result.failure = NodeFailure(node=node, error=value)
                    break
                if kind == "error":
                    raise value
                record = value
                if record.merge is not None:
                    result.merges.append(record.merge)
                    if record.merge.stops:
                        result.mismatch = record.merge
                        break
                result.results.append(record)
                result.by_id[node.id] = record
                tensors[node.id] = Tensor(record.shape.output_size, record.shape.out_channels, record.maps)
                continue
        op = node.op
        first = ins[0]
        if (repeat is not None and len(ins) == 1 and node.size_of is None and op.__class__ is repeat[0].__class__
                and first.size == repeat[1] and first.channels == repeat[2] and op.__dict__ == repeat[0].__dict__
                and not resolver.saw_symbol):
            shape = repeat[3]
            node_maps = _maps(node, first, first.size, shape, None) if maps else []
            record = NodeResult(node=node, input_sizes=[first.size], in_channels=[first.channels], shape=shape,
                                maps=node_maps, warnings=list(repeat[4]))
            result.results.append(record)
            result.by_id[node.id] = record
            tensors[node.id] = Tensor(shape.output_size, shape.out_channels, node_maps)
            continue
        ctx = LayerContext(resolver, node.index, op.op, len(first.size), node.loc)
        if node.size_of is not None:
            target = tensors.get(node.size_of)
            if target is None:
                break
            ctx.size_of = target.size
        sizes = [first.size] if len(ins) == 1 else [t.size for t in ins]
        channels = [first.channels] if len(ins) == 1 else [t.channels for t in ins]
        merge = None
        try:
            if not first.size and not op.reads_features:
                ctx.fail("it needs spatial axes, but its input has none: it follows a flatten (on the (N, F) "
                         "features PyTorch's 2-d and 3-d layers refuse, and its 1-d ones would take the batch "
                         "for channels); put it before the flatten", type="value_error.rank")
            if op.merges and len(ins) > 1:
                rank = ctx.rank
                for k, t in enumerate(ins[1:], start=1):
                    if len(t.size) != rank:
                        ctx.fail(f"input {k} ({node.inputs[k]!r}) has {len(t.size)} spatial axes, input 0 has {rank}",
                                 param="inputs", type="value_error.rank")
                merge, sizes = align_merge(ctx, node, ins, graph.align, graph.grows)
                result.merges.append(merge)
                if merge.stops:
                    result.mismatch = merge
                    if key is not None:
                        memo[key] = ("ok", NodeResult(node=node, input_sizes=sizes, in_channels=[], shape=None,  # type: ignore[index, arg-type]
                                                      maps=[], warnings=[], merge=merge))
                    break
            shape = op.infer_inputs(ctx, sizes, channels)
            if magnitude and not _below(shape, resolver.max_size):
                _check_magnitude(shape, resolver, ctx)
        except LayerError as exc:
            own = key is not None and key[0] == node.id  # a refusal names its node: memoised for it alone
            if strict or not _is_size_failure(exc):
                if own:
                    memo[key] = ("error", exc)  # type: ignore[index]
                raise
            if own:
                memo[key] = ("failure", exc)  # type: ignore[index]
            result.failure = NodeFailure(node=node, error=exc)
            break
        if resolver.saw_symbol:  # every value parsed so far was a number: nothing to collapse
            _canonicalize(shape)
        node_maps = _maps(node, first, sizes[0], shape, merge) if maps else []
        record = NodeResult(node=node, input_sizes=sizes, in_channels=channels, shape=shape, maps=node_maps,
                            warnings=ctx.warnings, merge=merge)
        if key is not None:
            memo[key] = ("ok", record)  # type: ignore[index]
        result.results.append(record)
        result.by_id[node.id] = record
        tensors[node.id] = Tensor(shape.output_size, shape.out_channels, node_maps)
        repeat = (op, first.size, first.channels, shape, ctx.warnings) if memo is None and len(ins) == 1 else None


def _shared(hit: tuple[str, Any], node: Node, owner: str) -> tuple[str, Any] | None:
    """A memo entry as ``node``'s (``share``): a refusal only under its own id; another node's result only
    where none of its maps is anchored at that node (no affine map) and it is no merge (merges name theirs)."""
    kind, value = hit
    if kind != "ok":
        return hit if owner == node.id else None
    if value.node is node:
        return hit
    if value.merge is not None or any(m.anchor == value.node.id for m in value.maps):
        return None
    return kind, NodeResult(node=node, input_sizes=value.input_sizes, in_channels=value.in_channels, shape=value.shape,
                            maps=value.maps, warnings=value.warnings)


def _is_size_failure(exc: LayerError) -> bool:
    return all(item.type in _SIZE_FAILURES for item in exc.errors)


def _maps(node: Node, first: Tensor, size: list[Value], shape: LayerShape, merge: MergeResult | None) -> list[AxisMap]:
    if not node.op.spatial_output:
        return []
    maps = first.maps if merge is None else merge.first_maps
    out = []
    for a, axis_map in enumerate(maps):
        out.append(axis_map.then(node.id, node.op.coord_map(shape, a, size[a])))
    return out


def _below(shape: LayerShape, limit: int) -> bool:
    """Whether every computed size and the channel count are plain ints within ``limit`` (most layers: no
    need to look further)."""
    channels = shape.out_channels
    if channels is not None and (channels.__class__ is not int or channels > limit):
        return False
    for value in shape.output_size:  # noqa: SIM110 - a loop, not all(<generator>): once per node
        if value.__class__ is not int or value > limit:
            return False
    return True


def _check_magnitude(shape: LayerShape, resolver: Resolver, ctx: LayerContext) -> None:
    """A computed size (or channel count) above ``max_size`` is a range error, as a given one is."""
    limit = resolver.max_size
    for axis, value in enumerate(shape.output_size):
        if type(value) is int and value > limit:
            msg = f"{ctx.op}: output size {value} is above the size limit {limit}"
            raise InvalidRequest(f"layer {ctx.index}, axis {axis}: {msg}",
                                 [ErrorItem(ctx.loc, msg, "limit.size", ctx.index, axis)])
    if type(shape.out_channels) is int and shape.out_channels > limit:
        msg = f"{ctx.op}: {shape.out_channels} output channels is above the size limit {limit}"
        raise InvalidRequest(f"layer {ctx.index}: {msg}", [ErrorItem(ctx.loc, msg, "limit.size", ctx.index)])


def _canonicalize(shape: LayerShape) -> None:
    """Nested floors from successive layers collapse: floor(floor(H/2)/2) -> floor(H/4)."""
    shape.output_size = [v if type(v) is int else norm(canonicalize(v)) for v in shape.output_size]
    shape.formula = [v if type(v) is int or isinstance(v, str) else norm(canonicalize(v)) for v in shape.formula]
