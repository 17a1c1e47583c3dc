"""The output size over the valid inputs, as an expression in ``i`` (input grammar).

On residue class ``r`` the output is ``slope*i + c_r``. One intercept for all
classes gives an affine form (``i - 184`` for the original U-Net); otherwise
we look for ``K*floor((i + b)/M) + C`` (e.g. ``8*floor((i + 7)/8)``: MONAI's
UNet with strides (2, 2, 2), where 63 and 64 both give 64).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from convplan.plan.valid_sizes import AxisSolution

__all__ = ["output_expression"]


def _signed(c: int) -> str:
    return "" if c == 0 else (f" + {c}" if c > 0 else f" - {-c}")


def _term(m: int, x: str) -> str:
    return x if m == 1 else f"-{x}" if m == -1 else f"{m}*{x}"


def _affine(slope: Fraction, c: Fraction) -> int | str:
    if slope == 0:
        return int(c) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"
    q = slope.denominator if slope.denominator > 1 else c.denominator
    p, k = slope * q, c * q
    if q == 1:
        return _term(int(p), "i") + _signed(int(k))
    return f"({_term(int(p), 'i')}{_signed(int(k))})/{q}"


def output_expression(solution: AxisSolution) -> int | str | None:
    intercepts = dict(solution.intercepts)
    if len(set(intercepts.values())) == 1:
        return _affine(solution.slope, next(iter(intercepts.values())))
    period = solution.period
    k = solution.slope * period
    if k.denominator != 1:
        return None
    members = [(r, solution.slope * r + c) for r, c in intercepts.items()]  # (n, output) with n = r (mod M)
    for b in range(period):
        c0 = None
        for n, out in members:
            c = out - k * ((n + b) // period)
            if c0 is None:
                c0 = c
            elif c != c0:
                break
        else:
            assert c0 is not None
            if c0.denominator != 1:
                continue
            inner = "i" if b == 0 else f"(i + {b})"
            return _term(int(k), f"floor({inner}/{period})") + _signed(int(c0))
    return None
