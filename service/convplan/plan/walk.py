"""The stack walk: encoder stages, decoder stages with their skips, head.

One walker serves both the response (rank-d, symbolic or numeric, keeping
every layer record) and the valid-size solver (rank 1, numbers only, keeping
nothing and stopping at the first unclean layer or bad merge).

Layer indices are global, in walk order: every encoder layer, then per
decoder stage ``up``, ``skip_layers``, ``layers``, then the head.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from convplan.errors import ConvplanError, LayerError
from convplan.ops import LayerContext, OpModel, Resolver, Value
from convplan.ops._values import norm
from convplan.graph.coords import AxisMap
from convplan.plan.fixes import holds
from convplan.plan.merge import merge_maps
from convplan.plan.program import DecoderSpec, Program
from convplan.shapes.engine import LayerRecord, check_magnitude
from convplan.shapes.render import render_layer

__all__ = ["FeatureMap", "Invalid", "Mismatch", "StageResult", "Walker"]


class Invalid(Exception):
    """Solver mode: this input size is not clean (raised at the first reason)."""


class Mismatch(Exception):
    """``align: none``: a merge whose sizes differ stops the walk."""


@dataclass
class FeatureMap:
    size: list[Value]
    channels: Value | None
    coords: list[AxisMap]
    path: frozenset[int] = frozenset()  # indices of the layers behind this map (response mode only)


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
    """Runs a program on an input. ``solver=True``: numbers only, raise ``Invalid`` at the first
    unclean strided layer or bad merge (``check_valid``), keep no records."""

    def __init__(self, program: Program, resolver: Resolver, rank: int, *, solver: bool = False,
                 check_valid: bool = True, keep_records: bool | None = None) -> None:
        self.program = program
        self.resolver = resolver
        self.rank = rank
        self.solver = solver
        self.check_valid = check_valid and solver
        self.keep = not solver if keep_records is None else keep_records
        self.index = 0
        self.records: list[LayerRecord] = []
        self.locs: dict[int, tuple] = {}
        self.unclean: dict[int, tuple[int, ...]] = {}  # layer index -> axes left unread / overhanging
        # layer index -> axes where a window layer rounded although no row was dropped (padding absorbed
        # the remainder, or the output is ceil/floor of input/stride): several inputs give its output size
        self.rounded: dict[int, tuple[int, ...]] = {}
        self.pools: dict[int, _Pool] = {}
        self.stages: list[StageResult] = []
        self.skips: list[Any] = []  # SkipResult, see merge.py
        self.warnings: list[str] = []
        self.mismatch: Any = None
        self.output: FeatureMap | None = None

    # -- blocks of layers --------------------------------------------------
    def run_block(self, layers: list[OpModel], fmap: FeatureMap, loc: tuple, *, stage: int | None = None,
                  into: StageResult | None = None) -> FeatureMap:
        """Run layers in order (as ``shapes.engine.infer_stack``, plus unpooling indices, coordinate maps
        and the rounding bookkeeping, layer by layer)."""
        size, channels = fmap.size, fmap.channels
        coords = list(fmap.coords)
        path = set(fmap.path)
        for offset, layer in enumerate(layers):
            here = (*loc, offset)
            layer = self._with_indices(layer, here, size)
            index = self.index
            ctx = LayerContext(self.resolver, index, layer.op, self.rank, here)
            try:
                shape = layer.infer(ctx, size, channels)
                if not self.solver:
                    check_magnitude(shape, self.resolver, ctx)
            except ConvplanError as exc:
                if not self.solver:
                    exc.extra.setdefault("layers", [render_layer(r) for r in self.records])
                raise
            self.index += 1
            record = LayerRecord(index, layer, size, channels, shape, ctx.warnings)
            if layer.strided:
                bad = tuple(a for a in range(self.rank) if shape.unread[a] != 0 or shape.overhang[a] != 0)
                if bad:
                    if self.check_valid:
                        raise Invalid
                    self.unclean[index] = bad
                elif not self.solver:
                    rounded = _rounded_axes(record, self.rank)
                    if rounded:
                        self.rounded[index] = rounded
            for a in range(self.rank):
                coords[a] = coords[a].then(index, layer.coord_map(shape, a, size[a]))
            if layer.op == "max_pool" and stage is not None:
                self.pools[stage] = _Pool(record, here)
            if self.keep:
                self.records.append(record)
                if into is not None:
                    into.records.append(record)
            if not self.solver:
                path.add(index)
                self.locs[index] = here
            size, channels = shape.output_size, shape.out_channels
        return FeatureMap(size, channels, coords, frozenset(path))

    def _with_indices(self, layer: OpModel, loc: tuple, size: list[Value]) -> OpModel:
        """``max_unpool(indices_from=j)``: the kernel and stride must be the pool's, the output size defaults
        to the pool's input size (PyTorch needs ``output_size`` whenever pooling dropped a row)."""
        j = getattr(layer, "indices_from", None)
        if layer.op != "max_unpool" or j is None:
            return layer
        if j not in self.pools:
            exists = j < len(self.program.encoder)
            why = ("has no max_pool" if exists and j in self._stages_done() else
                   "has not run yet (a skip used before it exists)" if exists else
                   f"does not exist (the encoder has {len(self.program.encoder)} stages)")
            self._fail(f"max_unpool: indices_from={j}: encoder stage {j} {why}", (*loc, "indices_from"), loc)
        pool = self.pools[j].record
        ctx = LayerContext(self.resolver, self.index, layer.op, self.rank, loc)
        kernel = ctx.per_axis("kernel_size", layer.kernel_size)  # type: ignore[attr-defined]
        stride = kernel if layer.stride is None else ctx.per_axis("stride", layer.stride)  # type: ignore[attr-defined]
        for name, mine, theirs in (("kernel_size", kernel, pool.shape.resolved["kernel_size"]),
                                   ("stride", stride, pool.shape.resolved["stride"])):
            if [norm(v) for v in mine] != [norm(v) for v in theirs]:
                self._fail(f"max_unpool: {name} {_show(mine)} differs from the {name} {_show(theirs)} of the "
                           f"max_pool of encoder stage {j} whose indices it uses", (*loc, name), loc)
        if not self._unpool_input_matches(j, size, loc):
            return layer  # "runs" probe of the solver: keep going with the default size (monotone in the input)
        if layer.output_size is None:  # type: ignore[attr-defined]
            from convplan.ops._context import text

            return layer.model_copy(update={"output_size": [text(v) for v in pool.input_size]})
        return layer

    def _stages_done(self) -> set[int]:
        return {s.index for s in self.stages if s.kind == "encoder" and s.output is not None}

    def _unpool_input_matches(self, j: int, size: list[Value], loc: tuple) -> bool:
        """PyTorch needs the input to have the indices' shape (the pool's output)."""
        pool = self.pools[j].record
        for a in range(self.rank):
            if holds(size[a], "==", pool.output_size[a], self.resolver) is False:
                if self.check_valid:
                    raise Invalid
                if self.solver:
                    return False
                self._fail(f"max_unpool: input size {_show(size)} differs from the size "
                           f"{_show(pool.output_size)} of the indices of encoder stage {j}'s max_pool", loc, loc,
                           axis=a)
        return True

    def _fail(self, msg: str, loc: tuple, layer_loc: tuple, *, axis: int | None = None,
              layer: int | None = None) -> None:
        err = LayerError.at(msg, loc=loc, layer=self.index if layer is None else layer, axis=axis)
        err.extra["layers"] = [render_layer(r) for r in self.records]
        raise err

    # -- the whole program -------------------------------------------------
    def run(self, size: list[Value], channels: Value | None) -> FeatureMap | None:
        p = self.program
        fmap = FeatureMap(size, channels, [AxisMap(-1, _ONE, _ZERO)] * self.rank)
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
        up_records = self.records[len(self.records) - (self.index - up_first):] if self.keep else []
        if spec.skip is not None:
            if spec.skip >= len(sources):
                self._fail(f"decoder stage {t}: skip {spec.skip} is out of range (the encoder has {len(sources)} "
                           "stages)", (*base, "skip"), base)
            skip_map = self.run_block(spec.skip_layers, sources[spec.skip], (*base, "skip_layers"), into=stage)
            fmap = merge_maps(self, t, spec, fmap, skip_map, up_records)
        elif spec.skip_layers:
            self._fail(f"decoder stage {t}: skip_layers given without a skip", (*base, "skip_layers"), base)
        return self.run_block(spec.layers, fmap, (*base, "layers"), into=stage)


def _rounded_axes(record: LayerRecord, rank: int) -> tuple[int, ...]:
    if record.layer.op not in ("conv", "max_pool", "avg_pool"):
        return ()
    r, out = record.shape.resolved, []
    for a in range(rank):
        values = (record.input_size[a], *record.shape.padding[a], r["kernel_size"][a], r["dilation"][a],
                  r["stride"][a])
        if all(type(v) is int for v in values):
            i, pl, pr, k, d, s = values
            # A remainder the padding absorbed, or an output that is not exactly input/stride (ceil or floor).
            if (i + pl + pr - d * (k - 1) - 1) % s or i % s:
                out.append(a)
    return tuple(out)


def _show(values: list[Value]) -> str:
    from convplan.ops._context import text

    shown = [text(v) for v in values]
    return str(shown[0]) if len(set(map(str, shown))) == 1 else str(shown)


_ONE, _ZERO = Fraction(1), Fraction(0)
