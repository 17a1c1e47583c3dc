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


def axis_fixes(difference: Value, relation: tuple[Fraction, Fraction] | None, resolver: Resolver) -> AxisFixes:
    scale, offset = relation if relation is not None else (None, None)
    fixes = AxisFixes(difference, scale, offset)
    if scale != 1 or not isinstance(offset, (int, Fraction)):
        return fixes  # no registered fix, or a symbolic offset (e.g. after interpolation): none computed
    o = math.floor(offset)
    # An undecidable symbolic bound still yields the (symbolic) amounts; the size check downstream
    # (sizes >= 1) guards it.
    if o >= 0 and holds(difference, ">=", o, resolver) is not False:
        fixes.crop = [o, norm(difference - o)]
    if o <= 0 and holds(difference, "<=", o, resolver) is not False:
        fixes.crop_decoder = [-o, norm(o - difference)]
    return fixes

