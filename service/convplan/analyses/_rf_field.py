"""One axis of a receptive field (contract section 9): the value type shared by the numeric and symbolic paths."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

from convplan.exact import Exact, exact

__all__ = ["ReceptiveField", "Span", "half"]

#: ``[lo(y) - jump*y, hi(y) - jump*y]`` (ints where integral, as every value here).
Span = tuple[Exact, Exact]


class ReceptiveField(NamedTuple):
    """One axis of a receptive field. Over the period limit only ``jump`` is known (the rest None).
    (A NamedTuple: immutable, and several times cheaper to build than a frozen dataclass, once per
    layer and axis on the hot path.)"""

    jump: Exact
    period: int | None
    phases: tuple[Span | None, ...] | None
    size: int | None  # max of hi - lo + 1 over the phases (0 for an empty phase)
    size_min: int | None
    start: int | None  # lo(0)
    center: Exact | None  # (lo(0) + hi(0)) / 2
    # Some value is an expression in the layers' symbolic parameters (then the types above hold SymPy
    # expressions too, and composing takes the symbolic path).
    symbolic: bool = False

    @classmethod
    def from_phases(cls, jump: Exact, phases: Sequence[Span | None]) -> ReceptiveField:
        """The field with these phases, reduced to its least period."""
        n = len(phases)
        period = n
        if n > 1:  # the least divisor p of n with phases[r] == phases[r - p] for all r >= p (compared in C)
            phases = tuple(phases)
            period = next(p for p in range(1, n + 1) if not n % p and phases[p:] == phases[:n - p])
        kept = tuple(phases[:period])
        if None in kept:
            sizes = [0 if s is None else int(s[1] - s[0]) + 1 for s in kept]
        else:
            sizes = [int(hi - lo) + 1 for lo, hi in kept]  # type: ignore[misc]
        first = kept[0]
        return cls(jump, period, kept, max(sizes), min(sizes),
                   None if first is None else int(first[0]),
                   None if first is None else half(first[0] + first[1]))

    @classmethod
    def untracked(cls, jump: Exact) -> ReceptiveField:
        return cls(jump, None, None, None, None, None, None, not isinstance(jump, (int, Fraction)))

    def span_at(self, x: int) -> tuple[Exact, Exact] | None:
        """``[lo(x), hi(x)]`` in input pixels; None for an empty phase (needs tracked phases)."""
        assert self.phases is not None and self.period is not None
        span = self.phases[x % self.period]
        if span is None:
            return None
        base = self.jump * x
        return base + span[0], base + span[1]



def half(value: Exact) -> Exact:
    """``value / 2``, exact (an int when even)."""
    if value.__class__ is int and not value % 2:
        return value // 2
    return exact(Fraction(value, 2)) if value.__class__ is int else exact(value / 2)
