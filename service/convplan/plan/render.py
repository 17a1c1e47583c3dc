"""The JSON of a plan (contract section 5), built as plain dicts from the typed results of its one evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convplan.analyses.receptive_field import ReceptiveField
from convplan.exact import fraction_json
from convplan.frontends.plan import PlanGraph, StageNodes
from convplan.graph.evaluate import GraphResult, Tensor
from convplan.ops import Resolver
from convplan.plan.skips import SkipResult
from convplan.shapes.engine import LayerRecord
from convplan.shapes.render import put, render_layer, total

__all__ = ["PlanResult", "render_plan"]


@dataclass(kw_only=True)
class PlanResult:
    plan: PlanGraph
    result: GraphResult
    #: node id -> its layer record (layers only, not merges), as evaluated
    records: dict[str, LayerRecord]
    #: node id -> per axis its receptive field in the input
    fields: dict[str, list[ReceptiveField | None]]
    skips: list[SkipResult]
    warnings: list[str]
    mismatch: dict[str, Any] | None
    expanded: dict[str, Any] | None
    valid: list[Any]
    reasons: list[str | None]


def _stage(done: PlanResult, stage: StageNodes, sym: bool) -> dict[str, Any]:
    fin: Tensor | None = done.result.tensor(stage.input)
    fout = done.result.tensor(stage.output) if fin is not None else None
    out: dict[str, Any] = {}
    put(out, "input_size", fin.size if fin is not None else None, sym)
    put(out, "output_size", fout.size if fout is not None else None, sym)
    put(out, "in_channels", fin.channels if fin is not None else None, sym)
    put(out, "out_channels", fout.channels if fout is not None else None, sym)
    layers = []
    for node_id in stage.layers:
        record = done.records.get(node_id)
        if record is None:
            continue
        layer = render_layer(record, sym, done.fields.get(node_id))
        layer["loc"] = list(done.result.by_id[node_id].node.loc)  # e.g. ["decoder", 2, "up", 0]
        layers.append(layer)
    out["layers"] = layers
    return out


def _skip(k: int, r: SkipResult, sym: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"index": k, "encoder_stage": r.encoder_stage, "decoder_stage": r.decoder_stage,
                           "merge": r.merge}
    put(out, "encoder_size", r.encoder_size, sym)
    put(out, "decoder_size", r.decoder_size, sym)
    put(out, "encoder_channels", r.encoder_channels, sym)
    put(out, "decoder_channels", r.decoder_channels, sym)
    out["aligned"] = r.aligned
    out["scale"] = [fraction_json(f.scale) for f in r.fixes]
    out["offset"] = [fraction_json(f.offset) for f in r.fixes]
    out["registered"] = r.registered
    out["rf_aligned"] = r.rf_aligned
    out["applied"] = r.applied
    put(out, "crop", [f.crop for f in r.fixes], sym)
    put(out, "pad", [f.crop for f in r.fixes], sym)
    put(out, "crop_decoder", [f.crop_decoder for f in r.fixes], sym)
    put(out, "pad_skip", [f.crop_decoder for f in r.fixes], sym)
    put(out, "output_padding", r.output_padding, sym)
    out["output_size_ok"] = r.output_size_ok
    put(out, "applied_skip", r.skip_pads, sym)
    put(out, "applied_decoder", r.decoder_pads, sym)
    put(out, "merged_size", r.merged_size, sym)
    put(out, "merged_channels", r.merged_channels, sym)
    return out


def render_plan(done: PlanResult, resolver: Resolver) -> dict[str, Any]:
    result = done.result
    ok = result.mismatch is None
    sym = resolver.saw_symbol  # no symbol anywhere: values are ints already, nothing to print
    outputs = result.graph.outputs
    final = result.tensor(outputs[0]) if outputs else result.inputs[result.graph.first_input.name]
    records = list(done.records.values())
    out: dict[str, Any] = {"ok": ok}
    out["exact"] = ok and all(s.aligned and s.registered for s in done.skips)
    put(out, "output_size", final.size if ok and final is not None else None, sym)
    put(out, "out_channels", final.channels if ok and final is not None else None, sym)
    put(out, "params", total([r.shape.params for r in records]) if ok else None, sym)
    out["warnings"] = list(done.warnings) + [f"layer {r.index}: {text}" for r in records for text in r.warnings]
    out["conditions"] = [c.as_dict() for c in resolver.conditions]
    out["expanded"] = done.expanded
    stages = done.plan.stages
    out["encoder"] = [_stage(done, s, sym) for s in stages if s.kind == "encoder"]
    out["decoder"] = [_stage(done, s, sym) for s in stages if s.kind == "decoder"]
    out["head"] = _stage(done, stages[-1], sym)
    out["skips"] = [_skip(k, r, sym) for k, r in enumerate(done.skips)]
    out["valid_input_sizes"] = done.valid
    out["valid_input_sizes_reason"] = done.reasons
    out["mismatch"] = done.mismatch
    return out
