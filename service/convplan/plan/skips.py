"""A plan's skips read off the evaluated graph: per merge node, the section-5 fields (sizes, coordinate relation,
every fix, the applied one, registration, ``output_padding``) and the plan's warnings about it.

The graph's merge reads the skip first and the decoder map second (``convplan.frontends.plan``), so its
``applied_pads`` are ``[skip, decoder]`` and its output sits in the skip's grid, as section 5 says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from convplan.graph.align import MergeResult
from convplan.graph.coords import relate
from convplan.graph.evaluate import GraphResult
from convplan.graph.holds import holds
from convplan.ops import Resolver, Value
from convplan.ops._values import norm
from convplan.plan.fixes import AxisFixes, axis_fixes
from convplan.plan.upfit import output_padding_fit
from convplan.shapes.engine import LayerRecord

__all__ = ["SkipResult", "skip_result", "skip_warnings"]

#: (align, the input fixed) -> the fix's name (section 5: crop of the skip = pad of the decoder map, ...)
_KINDS = {("crop", 0): "crop", ("crop", 1): "crop_decoder", ("pad", 1): "pad", ("pad", 0): "pad_skip"}


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
    signs: list[int]  # per axis: the sign of D = skip - decoder
    registered: bool
    registered_fix: bool  # the applied fix is a registering one (not the centred fallback)
    applied: str | None
    skip_pads: list[list[Value]]
    decoder_pads: list[list[Value]]
    merged_size: list[Value] | None
    merged_channels: Value | None
    output_padding: list[Value | None] = field(default_factory=list)
    output_size_ok: list[bool | None] = field(default_factory=list)
    rf_aligned: bool | None = None

    @property
    def aligned(self) -> bool:
        return all(s == 0 for s in self.signs)


def skip_result(result: GraphResult, merge: MergeResult, decoder_stage: int, encoder_stage: int, kind: str,
                up: list[LayerRecord], resolver: Resolver) -> SkipResult:
    skip, dec = (result.tensor(name) for name in merge.inputs)
    assert skip is not None and dec is not None
    rank = len(skip.size)
    align = result.graph.align
    fixes, signs = [], []
    skip_pads, dec_pads = merge.applied_pads[0], merge.applied_pads[1]
    for a in range(rank):
        difference = norm(skip.size[a] - dec.size[a])
        fixes.append(axis_fixes(difference, relate(dec.maps[a], skip.maps[a]), resolver,
                                (align, skip_pads[a], dec_pads[a])))
        signs.append(_sign(difference, resolver))
    kinds = {_KINDS[(align, k)] for k in (0, 1) for a in range(rank) if merge.applied_pads[k][a] != [0, 0]}
    # After the fix the decoder's pixel 0 sits at offset + skip_before - decoder_before in the skip's grid.
    registered = all(f.scale == 1 and f.offset is not None and f.offset + sp[0] - dp[0] == 0
                     for f, sp, dp in zip(fixes, skip_pads, dec_pads))
    registered_fix = align == "none" or all(s == 0 or (f.crop if s > 0 else f.crop_decoder) is not None
                                            for f, s in zip(fixes, signs))
    merged = result.by_id.get(merge.node)
    out = SkipResult(decoder_stage, encoder_stage, kind, skip.size, dec.size, skip.channels, dec.channels, fixes,
                     signs, registered, registered_fix, "+".join(sorted(kinds)) or None, skip_pads, dec_pads,
                     None if merged is None else merged.shape.output_size,
                     None if merged is None else merged.shape.out_channels)
    out.output_padding, out.output_size_ok = output_padding_fit(resolver, up, skip.size)
    return out


def _sign(difference: Value, resolver: Resolver) -> int:
    """-1, 0 or 1, as the merge decided it (``convplan.graph.align``: an undecidable equality is a condition)."""
    if type(difference) is int:
        return (difference > 0) - (difference < 0)
    if holds(difference, "==", 0, resolver) is True:
        return 0
    if holds(difference, ">=", 0, resolver) is True:
        return 1
    if holds(difference, "<=", 0, resolver) is True:
        return -1
    return 0


def skip_warnings(r: SkipResult, t: int, j: int) -> list[str]:
    out = []
    for a, f in enumerate(r.fixes):
        if isinstance(f.offset, Fraction) and f.offset.denominator != 1:
            out.append(f"decoder stage {t} (skip {j}), axis {a}: the maps are shifted by a fraction of a pixel "
                       f"(offset {f.offset}); no crop or pad can register them")
        elif f.scale is not None and f.scale != 1:
            out.append(f"decoder stage {t} (skip {j}), axis {a}: the maps have different scales ({f.scale}); they "
                       "sample different places")
        elif f.scale is None:
            out.append(f"decoder stage {t} (skip {j}), axis {a}: no exact coordinate relation (a layer without an "
                       "affine coordinate map lies between them)")
    if not r.registered_fix and not r.aligned:
        out.append(f"decoder stage {t} (skip {j}): no fix registers the maps; the applied fix is centred "
                   "(floor(D/2) before, the rest after)")
    return out
