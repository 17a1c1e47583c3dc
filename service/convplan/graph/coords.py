"""Coordinate maps: where a feature map's pixels sit, composed along the stack.

Each op maps its output pixel ``y`` to input coordinates ``x = a*y + b``
(pixel centres; ``OpModel.coord_map``). Composing them from the last map that
had no affine predecessor (the *anchor*: the network input, or the output of
an adaptive pool / sized interpolation) gives every map ``X = A*y + B`` in the
anchor's grid. Two maps with the same anchor are related exactly, as Caffe's
``coord_map.py`` relates two blobs through a common ancestor (BVLC/caffe:
python/caffe/coord_map.py) -- that is where FCN's crop offsets 5, 9, 31 come
from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from convplan.exact import Exact, exact
from convplan.expr import canonicalize

__all__ = ["AxisMap", "relate"]


@dataclass(frozen=True, slots=True)
class AxisMap:
    """``X = scale*y + shift`` in the grid of the map produced by layer ``anchor`` (-1 = the input).

    ``scale`` and ``shift`` are ints where integral (``convplan.exact``): maps are composed and hashed
    (the valid-size scans' memo keys) for every node at every size tried, and Fractions are slow at both."""

    anchor: int | str
    scale: Exact
    shift: Exact
    #: The hash, computed once: a map is hashed at every memo lookup of every node reading it, and hashing a
    #: Fraction (a modular inverse) costs more than the lookup itself.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Hashed through numerators and denominators (equal values, equal parts): hashing a Fraction itself
        # takes a modular inverse.
        object.__setattr__(self, "_hash", hash((self.anchor, *_parts(self.scale), *_parts(self.shift))))

    def __hash__(self) -> int:
        return self._hash

    def then(self, layer_index: int | str, step: tuple[Fraction, Fraction] | None) -> AxisMap:
        """The map after a layer whose own map is ``x = a*y + b`` (None: no affine map, a new anchor)."""
        if step is None:
            return AxisMap(layer_index, 1, 0)
        a, b = step
        scale, shift = self.scale, self.shift
        if a.__class__ is int and scale.__class__ is int:  # conv and pools after them: integer scales
            if a == 1 and b == 0:  # pointwise ops: the same map
                return self
            if b.__class__ is int and shift.__class__ is int:
                return AxisMap(self.anchor, scale * a, scale * b + shift)
            if b.__class__ in _RATIONAL and shift.__class__ in _RATIONAL:
                # scale*b + shift on numerators and denominators (Fraction's operators are several times slower)
                (bn, bd), (sn, sd) = _parts(b), _parts(shift)
                n, d = scale * bn * sd + sn * bd, bd * sd
                return AxisMap(self.anchor, scale * a, n // d if n % d == 0 else Fraction(n, d))
        elif a == 1 and b == 0:
            return self
        return AxisMap(self.anchor, exact(scale * a), exact(scale * b + shift))

    def shifted(self, before: int) -> AxisMap:
        """After padding by ``before`` rows (negative = cropping): pixel 0 moves ``before`` rows out."""
        return AxisMap(self.anchor, self.scale, exact(self.shift - self.scale * before))


_RATIONAL = (int, Fraction)


def _parts(value: Exact) -> tuple[object, object]:
    """Numerator and denominator of an int or a Fraction in lowest terms; a symbolic value as itself."""
    kind = value.__class__
    if kind is int:
        return value, 1
    if kind is Fraction:
        return value.numerator, value.denominator
    return value, None


def relate(decoder: AxisMap, skip: AxisMap) -> tuple[Fraction, Fraction] | None:
    """``(scale, offset)``: the decoder pixel ``y`` lands at ``scale*y + offset`` in the skip map's grid.

    None when the maps have no common anchor (no exact relation exists)."""
    if decoder.anchor != skip.anchor or skip.scale == 0:
        return None
    return _number(_rational(decoder.scale) / skip.scale), _number(_rational(decoder.shift - skip.shift) / skip.scale)


def _number(value: Any) -> Any:
    """A symbolic difference that cancels (two crops' shifts on H) as the number it is."""
    if value.__class__ is int or value.__class__ is Fraction:
        return value
    value = canonicalize(value)  # floor(floor(H/2)/2) is floor(H/4): differences of equal maps cancel
    if getattr(value, "is_Rational", False):
        return Fraction(int(value.p), int(value.q))
    return value


def _rational(value: Exact) -> Exact:
    """An int as a Fraction, so that dividing keeps it exact (symbolic values divide exactly already)."""
    return Fraction(value) if value.__class__ is int else value
