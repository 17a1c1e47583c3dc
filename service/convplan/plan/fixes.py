"""The fixes that make a skip line up, per axis (contract section 5).

With ``D = skip - decoder`` and ``o`` the decoder map's first pixel in the
skip map's grid (rounded down when fractional):

- ``crop`` (of the skip) and ``pad`` (of the decoder): ``[o, D - o]``, where ``0 <= o <= D``;
- ``crop_decoder`` and ``pad_skip``: ``[-o, o - D]``, where ``D <= o <= 0``;

null where no registered fix exists (no exact relation, a scale other than 1,
or an offset outside that range). The fix applied is the graph's
(``convplan.graph.align``): where none registers, it is centred
(``floor(D/2)`` before, the rest after, as milesial/Pytorch-UNet's
``Up.forward`` pads) and the plan says so in ``warnings``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from convplan.graph.holds import holds
from convplan.ops import Resolver, Value
from convplan.ops._values import norm

__all__ = ["AxisFixes", "axis_fixes", "holds"]



@dataclass
class AxisFixes:
    difference: Value  # D = skip - decoder
    scale: Fraction | None
    offset: Fraction | None
    crop: list[Value] | None = None  # of the skip; equal to `pad` (of the decoder)
    crop_decoder: list[Value] | None = None  # equal to `pad_skip`


def axis_fixes(difference: Value, relation: tuple[Fraction, Fraction] | None, resolver: Resolver,
               applied: tuple[str, list[Value], list[Value]] = ("none", [0, 0], [0, 0])) -> AxisFixes:
    """``applied``: the plan's ``align`` and the pads (negative: crops) its merge applied to the skip and to the
    decoder on this axis."""
    scale, offset = relation if relation is not None else (None, None)
    fixes = AxisFixes(difference, scale, offset)
    if scale != 1 or not isinstance(offset, (int, Fraction)):
        return fixes  # no registered fix, or a symbolic offset (e.g. after interpolation): none computed
    o = math.floor(offset)
    # Both fixes move the skip by [-o, o - D] and the decoder by [o, D - o] (pads; negative: crops). At symbolic
    # sizes the bound must hold at every admissible size (a crop of [1, D - 1] where D may be 0 is no crop
    # there), unless the merge applied this fix: the answer then holds where it does (a condition of
    # convplan.graph.align). Under "crop" the larger map is cropped, under "pad" the smaller padded.
    align, skip_pads, decoder_pads = applied
    moved_skip = _same([-o, norm(o - difference)], skip_pads)
    moved_decoder = _same([o, norm(difference - o)], decoder_pads)
    if o >= 0:  # the skip is the larger: crop it, or pad the decoder
        fits = holds(difference, ">=", o, resolver)
        if fits is True or (fits is None and ((align == "crop" and moved_skip) or (align == "pad" and moved_decoder))):
            fixes.crop = [o, norm(difference - o)]
    if o <= 0:  # the decoder is the larger: crop it, or pad the skip
        fits = holds(difference, "<=", o, resolver)
        if fits is True or (fits is None and ((align == "crop" and moved_decoder) or (align == "pad" and moved_skip))):
            fixes.crop_decoder = [-o, norm(o - difference)]
    return fixes


def _same(a: list[Value], b: list[Value]) -> bool:
    return all(norm(x - y) == 0 for x, y in zip(a, b))
