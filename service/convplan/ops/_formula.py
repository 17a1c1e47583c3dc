"""Per-axis formulas in terms of the layer's input ``i``.

With numeric parameters the text comes from small templates (no SymPy on the
numeric path), each a ``Formula``: a string in the input grammar that also
carries its LaTeX. With symbolic parameters the size rule itself is run on a
symbol ``i`` and printed by our printer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from convplan.ops._values import Value

__all__ = ["Formula", "affine", "floor_affine", "floor_scaled", "pool_ceil", "ratio", "symbolic_formula"]


class Formula(str):
    """A formula template: the text (in the grammar) plus its ``latex``."""

    latex: str

    def __new__(cls, text: str, latex: str) -> Formula:
        obj = super().__new__(cls, text)
        obj.latex = latex
        return obj

    def __reduce__(self) -> tuple[type[Formula], tuple[str, str]]:
        return Formula, (str(self), self.latex)  # keeps the LaTeX across the symbolic workers' pipe


def _signed(c: int) -> str:
    if c == 0:
        return ""
    return f" + {c}" if c > 0 else f" - {-c}"


@lru_cache(maxsize=4096)  # pure in its ints; Formula is immutable
def affine(m: int, c: int) -> int | Formula:
    """m*i + c."""
    if m == 0:
        return c
    head = "i" if m == 1 else "-i" if m == -1 else f"{m}*i"
    tex = "i" if m == 1 else "- i" if m == -1 else f"{m} i"
    return Formula(head + _signed(c), tex + _signed(c))


def _num(c: int) -> tuple[str, str]:
    return ("i", "i") if c == 0 else (f"(i{_signed(c)})", f"i{_signed(c)}")


def _floor_tex(num: str, den: int) -> str:
    return rf"\left\lfloor{{\frac{{{num}}}{{{den}}}}}\right\rfloor"


@lru_cache(maxsize=4096)  # pure in its ints; Formula is immutable
def floor_affine(c: int, s: int, plus: int) -> int | Formula:
    """floor((i + c)/s) + plus, with whole multiples of s moved out of the floor
    (floor((i + r + q*s)/s) = floor((i + r)/s) + q): floor((i - 2)/2) + 1 is floor(i/2)."""
    if s == 1:
        return affine(1, c + plus)
    q, r = divmod(c, s)
    text, tex = _num(r)
    return Formula(f"floor({text}/{s}){_signed(q + plus)}", _floor_tex(tex, s) + _signed(q + plus))


@lru_cache(maxsize=4096)  # pure in its ints; Formula is immutable
def pool_ceil(c_ceil: int, c_start: int, s: int) -> int | Formula:
    """min(ceil((i + c_ceil)/s), floor((i + c_start)/s)) + 1: PyTorch's ceil_mode
    with the rule that drops a last window starting in the right padding."""
    if s == 1:
        return affine(1, min(c_ceil, c_start) + 1)
    (t1, x1), (t2, x2) = _num(c_ceil), _num(c_start)
    ceil_tex = rf"\left\lceil{{\frac{{{x1}}}{{{s}}}}}\right\rceil"
    return Formula(f"min(ceil({t1}/{s}), floor({t2}/{s})) + 1",
                   rf"\min\left({ceil_tex}, {_floor_tex(x2, s)}\right) + 1")


@lru_cache(maxsize=4096)  # pure in its ints; Formula is immutable
def floor_scaled(p: int, q: int) -> int | Formula:
    """floor(p*i/q) (interpolation by the scale p/q)."""
    if q == 1:
        return affine(p, 0)
    num_text, num_tex = ("i", "i") if p == 1 else (f"{p}*i", f"{p} i")
    return Formula(f"floor({num_text}/{q})", _floor_tex(num_tex, q))


@lru_cache(maxsize=4096)  # pure in its ints; Formula is immutable
def ratio(q: int) -> Formula:
    """i/q (exact: divisibility was checked)."""
    return Formula(f"i/{q}", rf"\frac{{i}}{{{q}}}")


def symbolic_formula(rule: Callable[[Value], Value]) -> Value:
    import sympy

    from convplan.ops._values import norm

    i = sympy.Symbol("i", integer=True, positive=True)
    return norm(rule(i))
