"""The JSON of a plan (contract section 5), built as plain dicts."""

from __future__ import annotations

from typing import Any

from convplan.exact import fraction_json
from convplan.ops import Resolver
from convplan.plan.merge import SkipResult
from convplan.plan.walk import StageResult, Walker
from convplan.shapes.render import put, render_layer, total

__all__ = ["render_plan"]


def _stage(w: Walker, stage: StageResult | None, sym: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fin, fout = (stage.input, stage.output) if stage is not None else (None, None)
    put(out, "input_size", fin.size if fin is not None else None, sym)
    put(out, "output_size", fout.size if fout is not None else None, sym)
    put(out, "in_channels", fin.channels if fin is not None else None, sym)
    put(out, "out_channels", fout.channels if fout is not None else None, sym)
    layers = []
    for record in stage.records if stage is not None else []:
        layer = render_layer(record, sym, w.fields.get(record.index))
        layer["loc"] = list(w.locs[record.index][1:])  # e.g. ["decoder", 2, "up", 0]
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


def render_plan(w: Walker, resolver: Resolver, expanded: dict[str, Any] | None, valid: list[Any],
                reasons: list[str | None]) -> dict[str, Any]:
    ok = w.output is not None
    sym = resolver.saw_symbol  # no symbol anywhere: values are ints already, nothing to print
    by_kind: dict[str, list[StageResult]] = {"encoder": [], "decoder": [], "head": []}
    for stage in w.stages:
        by_kind[stage.kind].append(stage)
    decoders = by_kind["decoder"] + [None] * (len(w.program.decoder) - len(by_kind["decoder"]))  # type: ignore[list-item]
    out: dict[str, Any] = {"ok": ok}
    out["exact"] = ok and all(s.aligned and s.registered for s in w.skips)
    put(out, "output_size", w.output.size if ok else None, sym)  # type: ignore[union-attr]
    put(out, "out_channels", w.output.channels if ok else None, sym)  # type: ignore[union-attr]
    put(out, "params", total([r.shape.params for r in w.records]) if ok else None, sym)
    out["warnings"] = list(w.warnings) + [f"layer {r.index}: {text}" for r in w.records for text in r.warnings]
    out["conditions"] = [c.as_dict() for c in resolver.conditions]
    out["expanded"] = expanded
    out["encoder"] = [_stage(w, s, sym) for s in by_kind["encoder"]]
    out["decoder"] = [_stage(w, s, sym) for s in decoders]
    out["head"] = _stage(w, by_kind["head"][0] if by_kind["head"] else None, sym)
    out["skips"] = [_skip(k, r, sym) for k, r in enumerate(w.skips)]
    out["valid_input_sizes"] = valid
    out["valid_input_sizes_reason"] = reasons
    out["mismatch"] = w.mismatch
    return out
