"""Test-only helpers: random expression texts and an independent evaluator.

The evaluator runs Python's own parser (``eval``) on texts *these tests
generated* (never on user input, and never inside the library), with every
literal and symbol wrapped in :class:`Tracked` so the arithmetic is exact and
the magnitude/exponent limits of the library can be mirrored.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from hypothesis import strategies as st

MAGNITUDE = 10**18
MAX_EXPONENT = 16


class LimitHit(Exception):
    """The reference evaluation crossed a limit the library enforces."""


class Tracked:
    """An exact rational that raises LimitHit where the library would raise kind='limit'."""

    __slots__ = ("v",)

    def __init__(self, value: Fraction | int, check: bool = True) -> None:
        self.v = Fraction(value)
        if check and (abs(self.v.numerator) >= MAGNITUDE or self.v.denominator >= MAGNITUDE):
            raise LimitHit(str(self.v))

    def __add__(self, o: Tracked) -> Tracked:
        return Tracked(self.v + o.v)

    def __sub__(self, o: Tracked) -> Tracked:
        return Tracked(self.v - o.v)

    def __mul__(self, o: Tracked) -> Tracked:
        return Tracked(self.v * o.v)

    def __truediv__(self, o: Tracked) -> Tracked:
        return Tracked(self.v / o.v)

    def __floordiv__(self, o: Tracked) -> Tracked:
        return Tracked(self.v // o.v)

    def __mod__(self, o: Tracked) -> Tracked:
        return Tracked(self.v % o.v)

    def __pow__(self, o: Tracked) -> Tracked:
        if o.v.denominator != 1 or not 0 <= o.v <= MAX_EXPONENT:
            raise LimitHit(f"exponent {o.v}")
        return Tracked(self.v ** int(o.v))

    def __neg__(self) -> Tracked:
        return Tracked(-self.v, check=False)

    def __pos__(self) -> Tracked:
        return self

    def __lt__(self, o: Tracked) -> bool:
        return self.v < o.v

    def __gt__(self, o: Tracked) -> bool:
        return self.v > o.v


_ENV = {
    "__builtins__": {},
    "floor": lambda x: Tracked(math.floor(x.v)),
    "ceil": lambda x: Tracked(math.ceil(x.v)),
    "min": lambda *a: min(a),
    "max": lambda *a: max(a),
    "T": Tracked,
}
_ATOM = re.compile(r"\b(\d+|[A-Za-z_]\w*)\b")


def reference(text: str, values: dict[str, int] | None = None) -> Fraction:
    """Evaluate a generated text with Python's grammar; symbols take ``values``."""
    values = values or {}

    def wrap(match: re.Match[str]) -> str:
        token = match.group(1)
        if token in ("floor", "ceil", "min", "max"):
            return token
        if token in values:
            return f"T({values[token]})"
        return f"T({token})"

    return eval(_ATOM.sub(wrap, text), dict(_ENV)).v


# -- generators -------------------------------------------------------------------------------

_BINARY = ["+", "-", "*", "/", "//", "%"]


def _maybe_paren(draw: st.DrawFn, text: str) -> str:
    return f"({text})" if draw(st.booleans()) else text


@st.composite
def expression_text(draw: st.DrawFn, symbols: tuple[str, ...] = (), depth: int = 4, small: int = 20) -> str:
    """Random text in the grammar (mostly unparenthesised, so precedence matters)."""
    leaves = st.integers(0, small).map(str)
    if symbols:
        leaves = st.one_of(leaves, st.sampled_from(symbols))
    if depth == 0:
        return draw(leaves)
    choice = draw(st.integers(0, 9))
    sub = expression_text(symbols, depth - 1, small)
    sp = draw(st.sampled_from(["", " "]))
    if choice <= 1:
        return draw(leaves)
    if choice <= 5:
        op = draw(st.sampled_from(_BINARY))
        return f"{_maybe_paren(draw, draw(sub))}{sp}{op}{sp}{_maybe_paren(draw, draw(sub))}"
    if choice == 6:
        return f"-{_maybe_paren(draw, draw(sub))}"
    if choice == 7:
        exponent = draw(st.sampled_from(["0", "1", "2", "3", "2**2", "-1"]))
        return f"{_maybe_paren(draw, draw(sub))}**{exponent}"
    if choice == 8:
        name = draw(st.sampled_from(["floor", "ceil"]))
        return f"{name}({draw(sub)})"
    name = draw(st.sampled_from(["min", "max"]))
    args = draw(st.lists(sub, min_size=2, max_size=3))
    return f"{name}({','.join(args)})"
