"""Per-axis formulas in terms of the layer's input ``i``.

With numeric parameters the text comes from small templates (no SymPy on the
numeric path); with symbolic parameters the size rule itself is run on a
symbol ``i`` and printed by our printer.
"""

from __future__ import annotations

from collections.abc import Callable

from convplan.ops._values import Value

__all__ = ["affine", "floor_affine", "pool_ceil", "symbolic_formula"]


def _signed(c: int) -> str:
    if c == 0:
        return ""
    return f" + {c}" if c > 0 else f" - {-c}"


def affine(m: int, c: int) -> int | str:
    """m*i + c."""
    if m == 0:
        return c
    head = "i" if m == 1 else "-i" if m == -1 else f"{m}*i"
    return head + _signed(c)


def _num(c: int) -> str:
    return "i" if c == 0 else f"(i{_signed(c)})"


def floor_affine(c: int, s: int, plus: int) -> int | str:
    """floor((i + c)/s) + plus, with whole multiples of s moved out of the floor
    (floor((i + r + q*s)/s) = floor((i + r)/s) + q): floor((i - 2)/2) + 1 is floor(i/2)."""
    if s == 1:
        return affine(1, c + plus)
    q, r = divmod(c, s)
    return f"floor({_num(r)}/{s}){_signed(q + plus)}"


def pool_ceil(c_ceil: int, c_start: int, s: int) -> int | str:
    """min(ceil((i + c_ceil)/s), floor((i + c_start)/s)) + 1: PyTorch's ceil_mode
    with the rule that drops a last window starting in the right padding."""
    if s == 1:
        return affine(1, min(c_ceil, c_start) + 1)
    return f"min(ceil({_num(c_ceil)}/{s}), floor({_num(c_start)}/{s})) + 1"


def symbolic_formula(rule: Callable[[Value], Value]) -> Value:
    import sympy

    from convplan.ops._values import norm

    i = sympy.Symbol("i", integer=True, positive=True)
    return norm(rule(i))
