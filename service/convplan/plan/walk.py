"""The stack walk of the response: encoder stages, decoder stages with their skips, head (rank-d, symbolic or
numeric, keeping every layer record). The valid-size solver runs the plan's graph instead
(``convplan.plan.valid_sizes``).

Layer indices are global, in walk order: every encoder layer, then per
decoder stage ``up``, ``skip_layers``, ``layers``, then the head.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from convplan.analyses.receptive_field import (
    MAX_PERIOD,
    ReceptiveField,
    compose_axes,
    identity,
)
from convplan.errors import ConvplanError, LayerError
from convplan.frontends.stack import INPUT, stack_graph
from convplan.graph.coords import AxisMap
from convplan.graph.evaluate import NodeResult, Tensor, evaluate
from convplan.ops import LayerContext, OpModel, Resolver, Value
from convplan.ops._values import norm
from convplan.plan.fixes import holds
from convplan.plan.merge import merge_maps
from convplan.plan.program import DecoderSpec, Program
from convplan.shapes.engine import LayerRecord
from convplan.shapes.render import render_layer

__all__ = ["FeatureMap", "Mismatch", "StageResult", "Walker"]


class Mismatch(Exception):
    """``align: none``: a merge whose sizes differ stops the walk."""


@dataclass
class FeatureMap:
    size: list[Value]
    channels: Value | None
    coords: list[AxisMap]
    fields: tuple[ReceptiveField | None, ...] = ()  # per axis, in the input


@dataclass
class StageResult:
    kind: str  # "encoder" | "decoder" | "head"
    index: int | None
    input: FeatureMap | None = None
    output: FeatureMap | None = None
    records: list[LayerRecord] = field(default_factory=list)


@dataclass
class _Pool:
    """The last max_pool of an encoder stage: what ``max_unpool(indices_from=j)`` inverts."""

    record: LayerRecord
    loc: tuple


class Walker:
    """Runs a program on an input, keeping every layer record."""

    def __init__(self, program: Program, resolver: Resolver, rank: int, *, rf_period: int = MAX_PERIOD) -> None:
        self.program = program
        self.resolver = resolver
        self.rank = rank
        self.index = 0
        self.records: list[LayerRecord] = []
        self.locs: dict[int, tuple] = {}
        self.rf_period = rf_period
        self.fields: dict[int, list[ReceptiveField | None]] = {}  # layer index -> its output's receptive field
        self.pools: dict[int, _Pool] = {}
        self.stages: list[StageResult] = []
        self.skips: list[Any] = []  # SkipResult, see merge.py
        self.warnings: list[str] = []
        self.mismatch: Any = None
        self.output: FeatureMap | None = None

    # -- blocks of layers --------------------------------------------------
    def run_block(self, layers: list[OpModel], fmap: FeatureMap, loc: tuple, *, stage: int | None = None,
                  into: StageResult | None = None) -> FeatureMap:
        """Run layers in order on the one evaluator (a chain graph per segment: a ``max_unpool`` with
        ``indices_from`` starts a new segment, since its output size comes from the pool it inverts and its
        check from the size that reaches it), then the plan's bookkeeping per layer."""
        tensor = Tensor(fmap.size, fmap.channels, list(fmap.coords))
        fields = list(fmap.fields)
        offset = 0
        while offset < len(layers):
            cut = next((k for k in range(offset + 1, len(layers)) if _takes_indices(layers[k])), len(layers))
            segment = list(layers[offset:cut])
            segment[0] = self._with_indices(segment[0], (*loc, offset), tensor.size)
            tensor, fields = self._run_segment(segment, tensor, fields, loc, offset, stage, into)
            offset = cut
        return FeatureMap(tensor.size, tensor.channels, tensor.maps, tuple(fields))

    def _run_segment(self, layers: list[OpModel], tensor: Tensor, fields: list[Any], loc: tuple, offset: int,
                     stage: int | None, into: StageResult | None) -> tuple[Tensor, list[Any]]:
        graph = stack_graph(layers, loc, first_index=self.index, offset=offset)
        try:
            result = evaluate(graph, self.resolver, {INPUT: tensor}, strict=True)
        except ConvplanError as exc:
            partial = getattr(exc, "partial", None)
            done = [] if partial is None else [self._record(r) for r in partial.results]
            exc.extra.setdefault("layers", [render_layer(r) for r in self.records + done])
            raise
        for node_result in result.results:
            record = self._record(node_result)
            index, layer, shape = record.index, record.layer, record.shape
            self.index += 1
            if stage is not None and getattr(type(layer), "provides_indices", False):
                self.pools[stage] = _Pool(record, node_result.node.loc)
            self.records.append(record)
            if into is not None:
                into.records.append(record)
            self.locs[index] = node_result.node.loc
            fields = compose_axes(fields, [layer.rf_window(shape, a, record.input_size[a])
                                           for a in range(self.rank)], max_period=self.rf_period)
            self.fields[index] = fields
            tensor = Tensor(shape.output_size, shape.out_channels, node_result.maps)
        return tensor, fields

    @staticmethod
    def _record(r: NodeResult) -> LayerRecord:
        return LayerRecord(r.node.index, r.node.op, r.input_sizes[0], r.in_channels[0], r.shape, r.warnings)

    def _with_indices(self, layer: OpModel, loc: tuple, size: list[Value]) -> OpModel:
        """``max_unpool(indices_from=j)``: the kernel and stride must be the pool's, the output size defaults
        to the pool's input size (PyTorch needs ``output_size`` whenever pooling dropped a row)."""
        j = getattr(layer, "indices_from", None)
        if j is None:
            return layer
        if j not in self.pools:
            exists = j < len(self.program.encoder)
            why = ("has no max_pool" if exists and j in self._stages_done() else
                   "has not run yet (a skip used before it exists)" if exists else
                   f"does not exist (the encoder has {len(self.program.encoder)} stages)")
            self._fail(f"max_unpool: indices_from={j}: encoder stage {j} {why}", (*loc, "indices_from"))
        pool = self.pools[j].record
        ctx = LayerContext(self.resolver, self.index, layer.op, self.rank, loc)
        kernel = ctx.per_axis("kernel_size", layer.kernel_size)  # type: ignore[attr-defined]
        stride = kernel if layer.stride is None else ctx.per_axis("stride", layer.stride)  # type: ignore[attr-defined]
        for name, mine, theirs in (("kernel_size", kernel, pool.shape.resolved["kernel_size"]),
                                   ("stride", stride, pool.shape.resolved["stride"])):
            if [norm(v) for v in mine] != [norm(v) for v in theirs]:
                self._fail(f"max_unpool: {name} {_show(mine)} differs from the {name} {_show(theirs)} of the "
                           f"max_pool of encoder stage {j} whose indices it uses", (*loc, name))
        self._check_unpool_input(j, size, loc)
        if layer.output_size is None:  # type: ignore[attr-defined]
            from convplan.ops._context import text

            return layer.model_copy(update={"output_size": [text(v) for v in pool.input_size]})
        return layer

    def _stages_done(self) -> set[int]:
        return {s.index for s in self.stages if s.kind == "encoder" and s.output is not None}

    def _check_unpool_input(self, j: int, size: list[Value], loc: tuple) -> None:
        """PyTorch needs the input to have the indices' shape (the pool's output)."""
        pool = self.pools[j].record
        for a in range(self.rank):
            if holds(size[a], "==", pool.output_size[a], self.resolver) is False:
                self._fail(f"max_unpool: input size {_show(size)} differs from the size "
                           f"{_show(pool.output_size)} of the indices of encoder stage {j}'s max_pool", loc, axis=a)

    def _fail(self, msg: str, loc: tuple, *, axis: int | None = None,
              layer: int | None = None) -> None:
        err = LayerError.at(msg, loc=loc, layer=self.index if layer is None else layer, axis=axis)
        err.extra["layers"] = [render_layer(r) for r in self.records]
        raise err

    # -- the whole program -------------------------------------------------
    def run(self, size: list[Value], channels: Value | None) -> FeatureMap | None:
        p = self.program
        fmap = FeatureMap(size, channels, [AxisMap(-1, _ONE, _ZERO)] * self.rank, tuple(identity(self.rank)))
        sources: list[FeatureMap] = []
        for j, layers in enumerate(p.encoder):
            stage = StageResult("encoder", j, fmap)
            self.stages.append(stage)
            fmap = self.run_block(layers, fmap, ("body", "encoder", j, "layers"), stage=j, into=stage)
            stage.output = fmap
            sources.append(fmap)
        for t, spec in enumerate(p.decoder):
            stage = StageResult("decoder", t, fmap)
            self.stages.append(stage)
            try:
                fmap = self._decoder_stage(t, spec, fmap, sources, stage)
            except Mismatch:
                return None
            stage.output = fmap
        stage = StageResult("head", None, fmap)
        self.stages.append(stage)
        fmap = self.run_block(p.head, fmap, ("body", "head"), into=stage)
        stage.output = fmap
        self.output = fmap
        return fmap

    def _decoder_stage(self, t: int, spec: DecoderSpec, fmap: FeatureMap, sources: list[FeatureMap],
                       stage: StageResult) -> FeatureMap:
        base = ("body", "decoder", t)
        up_first = self.index
        fmap = self.run_block(spec.up, fmap, (*base, "up"), into=stage)
        up_records = self.records[len(self.records) - (self.index - up_first):]
        if spec.skip is not None:
            if spec.skip >= len(sources):
                self._fail(f"decoder stage {t}: skip {spec.skip} is out of range (the encoder has {len(sources)} "
                           "stages)", (*base, "skip"))
            skip_map = self.run_block(spec.skip_layers, sources[spec.skip], (*base, "skip_layers"), into=stage)
            fmap = merge_maps(self, t, spec, fmap, skip_map, up_records)
        elif spec.skip_layers:
            self._fail(f"decoder stage {t}: skip_layers given without a skip", (*base, "skip_layers"))
        return self.run_block(spec.layers, fmap, (*base, "layers"), into=stage)


def _takes_indices(layer: OpModel) -> bool:
    return getattr(layer, "indices_from", None) is not None


def _show(values: list[Value]) -> str:
    from convplan.ops._context import text

    shown = [text(v) for v in values]
    return str(shown[0]) if len(set(map(str, shown))) == 1 else str(shown)


_ONE, _ZERO = Fraction(1), Fraction(0)
