"""The fixes that make a skip line up, per axis (contract section 5).

With ``D = skip - decoder`` and ``o`` the decoder map's first pixel in the
skip map's grid (rounded down when fractional):

- ``crop`` (of the skip) and ``pad`` (of the decoder): ``[o, D - o]``, where ``0 <= o <= D``;
- ``crop_decoder`` and ``pad_skip``: ``[-o, o - D]``, where ``D <= o <= 0``;

null where no registered fix exists (no exact relation, a scale other than 1,
or an offset outside that range). When the chosen fix does not exist the
planner falls back to centring (``floor(D/2)`` before, the rest after, as
milesial/Pytorch-UNet's ``Up.forward`` pads) and says so in ``warnings``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from convplan.graph.holds import holds
from convplan.ops import Resolver, Value
from convplan.ops._values import fdiv, norm

__all__ = ["AxisFixes", "axis_fixes", "holds"]



@dataclass
class AxisFixes:
    difference: Value  # D = skip - decoder
    scale: Fraction | None
    offset: Fraction | None
    crop: list[Value] | None = None  # of the skip; equal to `pad` (of the decoder)
    crop_decoder: list[Value] | None = None  # equal to `pad_skip`

    def choose(self, align: str, sign: int) -> tuple[list[Value], list[Value], bool, str | None]:
        """``(skip_pads, decoder_pads, registered_fix, kind)`` for ``align`` on an axis whose ``D`` has
        ``sign`` (pads as ``[before, after]``, negative = crop; kind names the fix, None if nothing)."""
        zero: list[Value] = [0, 0]
        if sign == 0 or align == "none":
            return zero, zero, True, None
        if sign > 0:  # the skip is larger: crop it, or pad the decoder map
            amounts, registered = (self.crop, True) if self.crop is not None else (_centred(self.difference), False)
        else:  # the decoder map is larger: crop it, or pad the skip
            amounts, registered = ((self.crop_decoder, True) if self.crop_decoder is not None
                                   else (_centred(norm(-self.difference)), False))
        if align == "crop":
            cut = [norm(-amounts[0]), norm(-amounts[1])]
            return (cut, zero, registered, "crop") if sign > 0 else (zero, cut, registered, "crop_decoder")
        grow = list(amounts)
        return (zero, grow, registered, "pad") if sign > 0 else (grow, zero, registered, "pad_skip")


def _centred(total: Value) -> list[Value]:
    before = norm(fdiv(total, 2))
    return [before, norm(total - before)]


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

