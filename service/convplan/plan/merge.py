"""A decoder stage's merge: compare the decoder map with its skip, compute every fix, apply the one
``align`` chooses, and merge channels (``concat`` sums them, ``add`` needs them equal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from convplan.analyses.receptive_field import ReceptiveField, compose, join, rf_aligned
from convplan.errors import LayerError
from convplan.graph.coords import relate
from convplan.ops import Condition, Value, Window
from convplan.ops._values import norm
from convplan.plan.fixes import AxisFixes, axis_fixes, holds
from convplan.plan.upfit import output_padding_fit
from convplan.shapes.engine import LayerRecord
from convplan.shapes.render import render_layer

if TYPE_CHECKING:
    from convplan.plan.program import DecoderSpec
    from convplan.plan.walk import FeatureMap, Walker

__all__ = ["SkipResult", "merge_maps"]


@dataclass
class SkipResult:
    decoder_stage: int
    encoder_stage: int
    merge: str
    encoder_size: list[Value]
    decoder_size: list[Value]
    encoder_channels: Value | None
    decoder_channels: Value | None
    fixes: list[AxisFixes]
    aligned: bool
    registered: bool
    applied: str | None
    skip_pads: list[list[Value]]
    decoder_pads: list[list[Value]]
    merged_size: list[Value] | None
    merged_channels: Value | None
    output_padding: list[Value | None] = field(default_factory=list)
    output_size_ok: list[bool | None] = field(default_factory=list)
    rf_aligned: bool | None = None


def merge_maps(w: Walker, t: int, spec: DecoderSpec, dec: FeatureMap, skip: FeatureMap,
               up_records: list[LayerRecord]) -> FeatureMap:
    from convplan.plan.walk import FeatureMap, Mismatch

    align = w.program.align
    signs, fixes = [], []
    for a in range(w.rank):
        difference = norm(skip.size[a] - dec.size[a])
        fixes.append(axis_fixes(difference, relate(dec.coords[a], skip.coords[a]), w.resolver))
        signs.append(_sign(w, t, a, difference))
    aligned = all(s == 0 for s in signs)
    skip_pads, dec_pads, registered_fix, kinds = [], [], True, set()
    for a, s in enumerate(signs):
        sp, dp, ok, kind = fixes[a].choose(align, s)
        skip_pads.append(sp)
        dec_pads.append(dp)
        registered_fix = registered_fix and ok
        if kind is not None:
            kinds.add(kind)
    # After the fix the decoder's pixel 0 sits at offset + skip_before - decoder_before in the skip's grid.
    registered = all(f.scale == 1 and f.offset is not None and f.offset + sp[0] - dp[0] == 0
                     for f, sp, dp in zip(fixes, skip_pads, dec_pads))
    channels = _merged_channels(w, t, spec.merge, dec.channels, skip.channels)
    result = SkipResult(t, spec.skip, spec.merge, skip.size, dec.size, skip.channels, dec.channels, fixes,  # type: ignore[arg-type]
                        aligned, registered, None, skip_pads, dec_pads, None, channels)
    result.output_padding, result.output_size_ok = output_padding_fit(w, up_records, skip.size)
    w.skips.append(result)
    if not aligned and align == "none":
        w.mismatch = _mismatch(len(w.skips) - 1, result, signs)
        raise Mismatch
    result.applied = "+".join(sorted(kinds)) or None
    _warn(w, t, spec.skip, result, registered_fix)  # type: ignore[arg-type]
    fields = _merged_fields(w, t, spec, result, dec, skip)
    size = [norm(dec.size[a] + dec_pads[a][0] + dec_pads[a][1]) for a in range(w.rank)]
    for a in range(w.rank):
        if type(size[a]) is int and size[a] < 1:
            raise LayerError.at(f"decoder stage {t}: the fix leaves size {size[a]}", loc=("body", "decoder", t),
                                layer=None, axis=a)
    result.merged_size = size
    # The merged map takes the skip's grid (after its fix): registered maps share it anyway, and a
    # misregistered decoder does not carry its shift into the next level.
    coords = [c.shifted(sp[0]) for c, sp in zip(skip.coords, skip_pads)]
    return FeatureMap(size, channels, coords, fields)


def _merged_fields(w: Walker, t: int, spec: DecoderSpec, r: SkipResult, dec: FeatureMap,
                   skip: FeatureMap) -> tuple[ReceptiveField | None, ...]:
    """The merged map's receptive fields (contract section 9: a merge joins its inputs' fields, after the
    applied fix; ``none`` keeps the decoder map's), and whether the two are centred alike."""
    aligned: list[bool | None] = []
    out = []
    for a in range(w.rank):
        befores = (r.decoder_pads[a][0], r.skip_pads[a][0])
        if not all(type(b) is int for b in befores):
            aligned.append(None)
            out.append(None)
            continue
        fields = [dec.fields[a], skip.fields[a]]
        aligned.append(rf_aligned(fields, befores))  # type: ignore[arg-type]
        shifted = [compose(f, Window.translation(-b), max_period=w.rf_period) for f, b in zip(fields, befores)]
        out.append(shifted[0] if spec.merge == "none" else join(shifted, max_period=w.rf_period))
    r.rf_aligned = False if False in aligned else None if None in aligned else True
    if r.rf_aligned is False:
        axes = [a for a, ok in enumerate(aligned) if ok is False]
        w.warnings.append(f"decoder stage {t} (skip {spec.skip}), axes {axes}: the receptive fields of the skip and "
                          "the decoder map are centred differently (not rf_aligned, Araujo et al. 2019)")
    return tuple(out)


def _sign(w: Walker, t: int, axis: int, difference: Value) -> int:
    """-1, 0 or 1; an undecidable symbolic comparison becomes a condition (contract section 1)."""
    if type(difference) is int:
        return (difference > 0) - (difference < 0)
    if holds(difference, "==", 0, w.resolver) is True:
        return 0
    # D >= 0 for every value (maybe 0 for some): the fix's amounts are expressions that also hold at 0.
    if holds(difference, ">=", 0, w.resolver) is True:
        return 1
    if holds(difference, "<=", 0, w.resolver) is True:
        return -1
    # Undecidable: the plan holds where the sizes are equal, and says so (contract section 1).
    _condition(w, t, axis, difference, "==", "skip and decoder map sizes are equal")
    return 0


def _condition(w: Walker, t: int, axis: int, difference: Value, relation: str, where: str) -> None:
    from convplan.expr import decide, to_text

    d = decide(difference, relation, 0, w.resolver.table)
    text = d.condition or f"{to_text(difference)} {relation} 0"
    w.resolver.conditions.append(Condition(None, axis, str(text), d.condition_latex,
                                           where=f"decoder stage {t}: {where}"))


def _merged_channels(w: Walker, t: int, merge: str, dec: Value | None, skip: Value | None) -> Value | None:
    if merge == "none":
        return dec
    if dec is None or skip is None:
        w.warnings.append(f"decoder stage {t}: a channel count is unknown; the {merge} merge's channels "
                          "were not checked")
        return None
    if merge == "concat":
        return norm(dec + skip)
    same = holds(dec, "==", skip, w.resolver)
    if same is False:
        err = LayerError.at(f"decoder stage {t}: add needs equal channels, but the decoder map has "
                            f"{_t(dec)} and the skip {_t(skip)}", loc=("body", "decoder", t, "merge"),
                            layer=None, type="value_error.channels")
        err.extra["layers"] = [render_layer(r) for r in w.records]
        raise err
    if same is None:
        _condition(w, t, -1, norm(dec - skip), "==", "add merges equal channel counts")
        w.resolver.conditions[-1].axis = None
    return dec


def _warn(w: Walker, t: int, j: int, r: SkipResult, registered_fix: bool) -> None:
    for a, f in enumerate(r.fixes):
        if isinstance(f.offset, Fraction) and f.offset.denominator != 1:
            w.warnings.append(f"decoder stage {t} (skip {j}), axis {a}: the maps are shifted by a fraction of a "
                              f"pixel (offset {f.offset}); no crop or pad can register them")
        elif f.scale is not None and f.scale != 1:
            w.warnings.append(f"decoder stage {t} (skip {j}), axis {a}: the maps have different scales "
                              f"({f.scale}); they sample different places")
        elif f.scale is None:
            w.warnings.append(f"decoder stage {t} (skip {j}), axis {a}: no exact coordinate relation (a layer "
                              "without an affine coordinate map lies between them)")
    if not registered_fix:
        w.warnings.append(f"decoder stage {t} (skip {j}): no fix registers the maps; the applied fix is centred "
                          "(floor(D/2) before, the rest after)")


def _mismatch(k: int, r: SkipResult, signs: list[int]) -> dict:
    """The skip and axes; the culprit is filled in from the plan's graph (``convplan.plan.culprit``)."""
    axes = [a for a, s in enumerate(signs) if s != 0]
    return {"skip": k, "decoder_stage": r.decoder_stage, "encoder_stage": r.encoder_stage, "axis": axes[0],
            "axes": axes}


def _t(value: Any) -> Any:
    from convplan.ops._context import text

    if isinstance(value, list):
        return [text(v) for v in value]
    return text(value)

