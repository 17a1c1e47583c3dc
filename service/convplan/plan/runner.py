"""`POST /v1/plan` as a library call: the plan as one graph (``convplan.frontends.plan``), evaluated once by the
one evaluator, its skips, receptive fields and valid sizes read off the typed result, rendered at the edge."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from convplan.analyses.receptive_field import (
    MAX_PERIOD,
    ReceptiveField,
    compose,
    compose_axes,
    identity,
    join,
    layer_windows,
    rf_aligned,
)
from convplan.errors import ConvplanError, LayerError
from convplan.frontends.plan import PlanGraph, plan_graph
from convplan.frontends.stack import INPUT
from convplan.graph.coords import AxisMap
from convplan.graph.evaluate import GraphResult, NodeResult, Tensor, evaluate
from convplan.graph.holds import holds
from convplan.ops import LayerContext, Resolver, Value, Window
from convplan.ops._context import text
from convplan.ops._values import norm
from convplan.plan.culprit import mismatch_of
from convplan.plan.models import PlanRequest
from convplan.plan.program import build_program
from convplan.plan.render import PlanResult, render_plan
from convplan.plan.skips import SkipResult, skip_result, skip_warnings
from convplan.plan.valid_sizes import valid_input_sizes
from convplan.shapes.engine import LayerRecord, make_resolver, resolve_input
from convplan.shapes.render import render_layer

__all__ = ["run_plan", "run_plan_json"]


def run_plan(request: PlanRequest, limits: Any = None, *, symbolic: bool = True) -> dict[str, Any]:
    """With ``symbolic=False`` a symbolic value raises ``NeedsSymbolic`` (the service then re-runs the
    request in a worker under the symbolic time budget)."""
    program, expanded = build_program(request, limits)
    resolver = make_resolver(request.symbols, limits, symbolic=symbolic)
    resolver.training = request.training
    size, channels = resolve_input(resolver, request.input_size, request.in_channels)
    rank = len(size)
    plan = plan_graph(program, rank)
    result = _evaluate(plan, resolver, size, channels)
    records = {r.node.id: _record(r) for r in result.results if not r.node.op.merges}
    fields, warnings, skips = _skips_and_fields(plan, result, records, resolver, rank,
                                                MAX_PERIOD if limits is None else limits.rf_period)
    mismatch = None if result.mismatch is None else mismatch_of(result, result.mismatch, len(skips) - 1,
                                                                  skips[-1])
    # Valid sizes come from 1-D numeric runs: independent of the requested (maybe symbolic) size.
    valid, reasons = valid_input_sizes(program, rank, size)
    for a, (n, form) in enumerate(zip(size, valid)):
        if form is not None and not form["residues"]:
            warnings.append(f"axis {a}: no input size is clean for this stack")
        elif form is not None and type(n) is int and form["nearest"]["below"] != n:
            warnings.append(f"axis {a}: input size {n} is not clean (nearest valid sizes: "
                            f"{form['nearest']['below']} below, {form['nearest']['above']} above)")
    done = PlanResult(plan=plan, result=result, records=records, fields=fields, skips=skips, warnings=warnings,
                      mismatch=mismatch, expanded=expanded, valid=valid, reasons=reasons)
    return render_plan(done, resolver)


def run_plan_json(payload: dict[str, Any], limits: Any = None) -> dict[str, Any]:
    """Entry point of the symbolic worker processes (plain data in and out)."""
    return run_plan(PlanRequest.model_validate(payload), limits)


def _record(r: NodeResult) -> LayerRecord:
    return LayerRecord(r.node.index, r.node.op, r.input_sizes[0], r.in_channels[0], r.shape, r.warnings)


def _evaluate(plan: PlanGraph, resolver: Resolver, size: list[Value], channels: Value | None) -> GraphResult:
    """Evaluate once; a refusal raises (a 422) with the layers computed before it, after the checks of the
    ``max_unpool`` layers it reached (PyTorch checks the indices before it unpools)."""
    maps = [AxisMap(INPUT, Fraction(1), Fraction(0))] * len(size)
    error: ConvplanError | None = None
    try:
        result = evaluate(plan.graph, resolver, {INPUT: Tensor(size, channels, maps)}, strict=False)
        if result.failure is not None:
            error = result.failure.error
    except ConvplanError as exc:
        result, error = exc.partial, exc  # type: ignore[attr-defined]
    try:
        _check_unpools(plan, result, resolver)
    except ConvplanError as exc:
        error = exc
    if error is not None:
        at = error.errors[0].layer if error.errors else None
        done = [_record(r) for r in result.results if not r.node.op.merges and (at is None or r.node.index < at)]
        error.extra.setdefault("layers", [render_layer(r) for r in done])
        raise error
    return result


def _check_unpools(plan: PlanGraph, result: GraphResult, resolver: Resolver) -> None:
    """``max_unpool(indices_from=j)``: the kernel and stride must be the pool's, and PyTorch needs the input to
    have the indices' shape (the pool's output)."""
    graph = plan.graph
    for node_id, (j, pool_id) in plan.unpools.items():
        node = graph.nodes[graph.position[node_id]]
        x, pool = result.tensor(node.inputs[0]), result.by_id.get(pool_id)
        if x is None or pool is None:
            continue  # not reached
        layer = node.op
        ctx = LayerContext(resolver, node.index, layer.op, len(x.size), node.loc)
        kernel = ctx.per_axis("kernel_size", layer.kernel_size)  # type: ignore[attr-defined]
        stride = kernel if layer.stride is None else ctx.per_axis("stride", layer.stride)  # type: ignore[attr-defined]
        for name, mine, theirs in (("kernel_size", kernel, pool.shape.resolved["kernel_size"]),
                                   ("stride", stride, pool.shape.resolved["stride"])):
            if [norm(v) for v in mine] != [norm(v) for v in theirs]:
                raise LayerError.at(f"max_unpool: {name} {_show(mine)} differs from the {name} {_show(theirs)} of "
                                    f"the max_pool of encoder stage {j} whose indices it uses", loc=(*node.loc, name),
                                    layer=node.index)
        for a in range(len(x.size)):
            if holds(x.size[a], "==", pool.shape.output_size[a], resolver) is False:
                raise LayerError.at(f"max_unpool: input size {_show(x.size)} differs from the size "
                                    f"{_show(pool.shape.output_size)} of the indices of encoder stage {j}'s "
                                    "max_pool", loc=node.loc, layer=node.index, axis=a)


def _show(values: list[Value]) -> str:
    shown = [text(v) for v in values]
    return str(shown[0]) if len(set(map(str, shown))) == 1 else str(shown)


Fields = list[ReceptiveField | None]


def _skips_and_fields(plan: PlanGraph, result: GraphResult, records: dict[str, LayerRecord], resolver: Resolver,
                      rank: int, period: int) -> tuple[dict[str, Fields], list[str], list[SkipResult]]:
    """Per node its receptive fields (contract section 9: a merge joins its inputs' fields after the applied fix;
    ``merge: "none"`` keeps the decoder map's), the plan's warnings and its skips, in walk order."""
    fields: dict[str, Fields] = {INPUT: identity(rank)}
    warnings: list[str] = []
    skips: list[SkipResult] = []
    stage_of = {s.merge: s for s in plan.stages if s.merge is not None}
    merges = {m.node: m for m in result.merges}
    for node in plan.graph.nodes:
        record = result.by_id.get(node.id)
        if node.id in merges:
            stage = stage_of[node.id]
            t, j, kind = stage.index, stage.skip, stage.merge_kind
            assert t is not None and j is not None
            merge = merges[node.id]
            ins = [result.tensor(name) for name in merge.inputs]
            if kind != "none" and any(tensor is None or tensor.channels is None for tensor in ins):
                warnings.append(f"decoder stage {t}: a channel count is unknown; the {kind} merge's channels were "
                                "not checked")
            up = [records[i] for i in stage.up if i in records]
            skip = skip_result(result, merge, t, j, kind, up, resolver)
            skips.append(skip)
            if record is None:
                break  # the mismatch under align "none": nothing after it is evaluated
            warnings.extend(skip_warnings(skip, t, j))
            fields[node.id] = _merged_fields(fields[merge.inputs[1]], fields[merge.inputs[0]], skip, kind, warnings,
                                             t, j, period)
            continue
        if record is None:
            break
        windows = layer_windows(node.op, record.shape, record.input_sizes[0], rank)
        fields[node.id] = compose_axes(fields[node.inputs[0]], windows, max_period=period)
    return fields, warnings, skips


def _merged_fields(dec: Fields, skip_fields: Fields, r: SkipResult, kind: str, warnings: list[str], t: int, j: int,
                   period: int) -> Fields:
    aligned: list[bool | None] = []
    out: Fields = []
    for a in range(len(dec)):
        befores = (r.decoder_pads[a][0], r.skip_pads[a][0])
        if not all(type(b) is int for b in befores):
            aligned.append(None)
            out.append(None)
            continue
        pair = [dec[a], skip_fields[a]]
        aligned.append(rf_aligned(pair, befores))  # type: ignore[arg-type]
        shifted = [compose(f, Window.translation(-b), max_period=period) for f, b in zip(pair, befores)]
        out.append(shifted[0] if kind == "none" else join(shifted, max_period=period))
    r.rf_aligned = False if False in aligned else None if None in aligned else True
    if r.rf_aligned is False:
        axes = [a for a, ok in enumerate(aligned) if ok is False]
        warnings.append(f"decoder stage {t} (skip {j}), axes {axes}: the receptive fields of the skip and the decoder "
                        "map are centred differently (not rf_aligned, Araujo et al. 2019)")
    return out
