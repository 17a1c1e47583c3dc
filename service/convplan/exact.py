"""Exact rationals: ints where integral (fast), and their JSON form in the contract (sections 5, 7 and 9)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

__all__ = ["Exact", "exact", "fraction_json"]

#: An exact rational: a plain int whenever it is integral (int arithmetic is many times faster than
#: Fraction's, and most windows and receptive fields are integral).
Exact = int | Fraction


def exact(value: Exact) -> Exact:
    """``value`` as an int when integral."""
    if value.__class__ is Fraction and value.denominator == 1:
        return value.numerator
    return value


def fraction_json(value: Any) -> int | float | str | None:
    """Exact JSON for a Fraction: an integer, a float when the value is dyadic (exact in binary, e.g. -0.5),
    else a string in the expression grammar (``"1/3"``); a symbolic value in our printer's text."""
    if value is None or value.__class__ is int:
        return value
    if not isinstance(value, (int, Fraction)):  # symbolic (sizes after an interpolation): our printer
        from convplan.expr import to_text

        return to_text(value)
    if value.denominator == 1:
        return int(value.numerator)
    d = value.denominator
    if d & (d - 1) == 0 and d <= 2**52 and abs(value.numerator) < 2**52:
        return value.numerator / d
    return f"{value.numerator}/{d}" if value >= 0 else f"-{-value.numerator}/{d}"
