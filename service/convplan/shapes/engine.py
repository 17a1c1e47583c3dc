"""The shape engine: runs a stack of layers on a (numeric or symbolic) size.

``infer_stack`` is shared with the planner. A refusing layer raises
``LayerError`` carrying the layers computed before it (``extra["layers"]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from convplan.errors import ConvplanError, ErrorItem, InvalidRequest, LayerError
from convplan.expr import ExprLimits, SymbolTable
from convplan.expr._symbols import name_problem
from convplan.frontends.stack import INPUT, stack_graph
from convplan.graph.evaluate import GraphResult, Tensor, evaluate, require_positive
from convplan.ops import LayerContext, LayerShape, OpModel, Resolver, Value
from convplan.shapes.models import ShapesRequest, check_layer_count, count_layers
from convplan.shapes.render import render_layer, render_result

if TYPE_CHECKING:
    from convplan.shapes.prefix_memo import PrefixMemo
    from convplan.shapes.templates import StackTemplates

__all__ = [
    "LayerRecord", "StackResult", "infer_layer", "infer_stack", "make_resolver", "resolve_input",
    "run_shapes", "run_shapes_json",
]


@dataclass(slots=True)
class LayerRecord:
    index: int
    layer: OpModel
    input_size: list[Value]
    in_channels: Value | None
    shape: LayerShape
    warnings: list[str] = field(default_factory=list)

    @property
    def output_size(self) -> list[Value]:
        return self.shape.output_size


@dataclass
class StackResult:
    records: list[LayerRecord]
    output_size: list[Value]
    out_channels: Value | None


def make_resolver(symbols: dict[str, Any] | None, limits: Any = None, *, symbolic: bool = True) -> Resolver:
    """``symbolic=False`` is the fast path: a symbolic value raises ``NeedsSymbolic``."""
    specs = {name: {"min": spec.min} for name, spec in (symbols or {}).items()}
    for name in specs:  # a well-formed name can still be reserved ("True", "floor"): a 422, located
        problem = name_problem(name)
        if problem is not None:
            raise InvalidRequest(problem, [ErrorItem(("symbols", name), problem, "expression.syntax")])
    if limits is None:
        return Resolver(SymbolTable(specs), symbolic=symbolic)
    table = SymbolTable(specs, _expr_limits(limits.max_expression_length, limits.max_exponent,
                                            limits.max_expression_depth, limits.max_expression_nodes,
                                            limits.max_integer_digits))
    return Resolver(table, max_expression_length=limits.max_expression_length, max_size=limits.max_size,
                    symbolic=symbolic)


@lru_cache(maxsize=8)
def _expr_limits(max_length: int, max_exponent: int, max_depth: int, max_nodes: int, max_digits: int) -> ExprLimits:
    """The parser's limits from the settings."""
    return ExprLimits(max_length=max_length, max_exponent=max_exponent, max_depth=max_depth, max_nodes=max_nodes,
                      max_integer_digits=max_digits)


def resolve_input(
    resolver: Resolver, input_size: Sequence[Any], in_channels: Any, loc: tuple = ()
) -> tuple[list[Value], Value | None]:
    size = []
    for a, v in enumerate(input_size):
        value = resolver.scalar(v, (*loc, "input_size", a), axis=a)
        require_positive(resolver, value, (*loc, "input_size", a), "input size", axis=a)
        size.append(value)
    channels = None
    if in_channels is not None:
        channels = resolver.scalar(in_channels, (*loc, "in_channels"))
        require_positive(resolver, channels, (*loc, "in_channels"), "in_channels", axis=None)
    return size, channels


def infer_stack(
    layers: Sequence[OpModel],
    size: list[Value],
    channels: Value | None,
    resolver: Resolver,
    *,
    loc: tuple = ("layers",),
    first_index: int = 0,
    done: list[LayerRecord] | None = None,
) -> StackResult:
    """Apply ``layers`` in order (a chain graph, run by the one evaluator); ``first_index`` numbers them
    within a larger stack. A refusing layer raises with the layers computed before it (``extra["layers"]``)."""
    graph = stack_graph(layers, loc, first_index=first_index)
    inputs = {INPUT: Tensor(size, channels, [])}
    try:
        result = evaluate(graph, resolver, inputs, strict=True, maps=False)
    except ConvplanError as exc:
        partial = getattr(exc, "partial", None)
        records = _records(partial) if partial is not None else []
        exc.extra.setdefault("layers", [render_layer(r, resolver.saw_symbol) for r in (done or []) + records])
        raise
    records = _records(result)
    if records:
        size, channels = records[-1].shape.output_size, records[-1].shape.out_channels
    return StackResult(records, size, channels)


def _records(result: GraphResult) -> list[LayerRecord]:
    return [LayerRecord(r.node.index, r.node.op, r.input_sizes[0], r.in_channels[0], r.shape, r.warnings)
            for r in result.results]


def infer_layer(layer: OpModel, size: list[Value], channels: Value | None, *, loc: tuple = (),
                resolver: Resolver | None = None) -> LayerShape:
    """One layer outside a stack (the compute endpoint): errors point at ``loc + (param,)``."""
    resolver = resolver or make_resolver(None, symbolic=False)
    return layer.infer(LayerContext(resolver, None, layer.op, len(size), loc), size, channels)


def run_shapes(request: ShapesRequest, limits: Any = None, *, symbolic: bool = True,
               memo: PrefixMemo | None = None, templates: StackTemplates | None = None) -> dict[str, Any]:
    """`POST /v1/shapes` as a library call: a JSON-ready dict (its numeric `_latex` siblings are shared tuples
    of nulls, and its receptive fields shared dicts: serialise it, do not change it).

    With ``symbolic=False`` a symbolic value raises ``NeedsSymbolic`` so the
    service can move the request under its symbolic time budget. ``memo``: layers answered before on the
    same input and the same layers before them (``shapes/prefix_memo.py``; its entries are shared: the
    response must not be changed). ``templates``: stacks answered before at another input size
    (``shapes/templates.py``; shared as the memo's entries are)."""
    check_layer_count(count_layers(request.layers), limits, ("layers",))
    for index, layer in enumerate(request.layers):
        if layer.__dict__.get("indices_from") is not None:  # only a plan has stages to point at
            raise LayerError.at("max_unpool: indices_from names an encoder stage; it is only meaningful in "
                                "/v1/plan", loc=("layers", index, "indices_from"), layer=index)
    resolver = make_resolver(request.symbols, limits, symbolic=symbolic)
    resolver.training = request.training
    size, channels = resolve_input(resolver, request.input_size, request.in_channels)
    rf_period = None if limits is None else limits.rf_period
    key = None
    memo_on = memo is not None and memo.max_entries
    # A stack on an input seen before: the memo's trie, which reuses its prefix's answers as they are (a design
    # tool's edits); else a template, which needs only the same layers (a design tool trying sizes)
    if templates is not None and not (memo_on and memo.knows_input(request)):  # type: ignore[union-attr]
        key, answer = templates.answer(request, size, channels, resolver.max_size, rf_period)
        if answer is not None:
            return answer
    if memo_on:
        response = memo.run(request, resolver, rf_period,  # type: ignore[union-attr]
                            lambda: run_shapes(request, limits, symbolic=symbolic), infer_stack)
    else:
        response = render_result(infer_stack(request.layers, size, channels, resolver), resolver, rf_period)
    if key is not None and not resolver.saw_symbol:
        templates.learn(key, request, size, response, resolver.max_size)  # type: ignore[union-attr, arg-type]
    return response




def run_shapes_json(payload: dict[str, Any], limits: Any = None) -> dict[str, Any]:
    """Entry point for the symbolic worker processes (plain data in and out)."""
    return run_shapes(ShapesRequest.model_validate(payload), limits)
