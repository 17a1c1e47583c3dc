"""Guards of the traced path as the body's ``where`` conditions on the input's sizes (contract section 7).

A guard on one axis's size (``x_3 % 2 == 0``, ``H // 8 == 2*(H // 16)``, ``H >= 32``) holds on an eventually
periodic set of sizes: its floor divisions and moduli repeat with the lcm ``L`` of their divisors, and its
comparisons with constants are settled above the largest constant ``C``. So the guard is evaluated at every
size up to ``C + 3L + 64`` (exactly, on its SymPy expression) and the last two periods must agree; the
members are then written in the set form (``extra ∪ {min <= i <= max : i mod modulus in residues}``). A guard
over two axes becomes one condition per axis with the other at its given int size (valid sizes vary one axis
with the others as given); over a symbolic other axis, or too long a period, it is not translated and the
capture warns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import lcm
from typing import Any

__all__ = ["size_conditions"]

_MAX_PERIOD = 4096   # the body's limit on a condition's modulus
_MAX_EXTRA = 64      # and on its extra sizes
_MAX_NOTE = 200


def size_conditions(guards: Sequence[Any], axes: Mapping[str, int],
                    values: Mapping[str, int]) -> tuple[list[dict[str, Any]], list[str]]:
    """``where`` conditions for ``guards`` (``Guard``s; ``axes``: symbol name -> spatial axis; ``values``: the
    axes given as ints), and a warning for each guard that is not translated."""
    import sympy

    conditions: list[dict[str, Any]] = []
    warnings: list[str] = []
    for guard in guards:
        names = sorted({sym.name for sym in guard.expr.free_symbols}, key=lambda n: axes.get(n, -1))
        note = f"{guard.text} ({guard.where})"
        note = note if len(note) <= _MAX_NOTE else note[: _MAX_NOTE - 3] + "..."
        made, why = [], None
        for name in names:
            others = [n for n in names if n != name]
            if name not in axes:
                why = f"it reads {name}, not a size of the input"
            elif any(n not in values for n in others):
                why = "it relates two symbolic axes (a condition is on one axis)"
            else:
                one = guard.expr.xreplace({sympy.Symbol(n): sympy.Integer(values[n]) for n in others})
                found = _as_set(one, sympy.Symbol(name))
                if isinstance(found, str):
                    why = found
                else:
                    made.append({"axis": axes[name], **found, "note": note})
            if why is not None:
                break
        if why is None:
            conditions += made
        else:
            warnings.append(f"guard {guard.text} ({guard.where}) is not a condition the body can carry: {why}; "
                            "the valid sizes may include sizes where the module's code takes another path")
    return conditions, warnings


def _divisors(expr: Any) -> tuple[int, int]:
    """The lcm of the integers dividing in ``expr`` (function arguments, rational denominators) and the
    largest constant's magnitude."""
    import sympy

    period, largest = 1, 0
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Rational):
            largest = max(largest, abs(int(node.p)), int(node.q))
            period = lcm(period, int(node.q))
        elif isinstance(node, sympy.Basic) and node.args and not isinstance(
                node, (sympy.Add, sympy.Mul, sympy.Pow, sympy.core.relational.Relational, sympy.logic.boolalg.Boolean)):
            for arg in node.args:
                if isinstance(arg, sympy.Integer) and abs(int(arg)) >= 2:
                    period = lcm(period, abs(int(arg)))
    return period, largest


def _as_set(expr: Any, symbol: Any) -> dict[str, Any] | str:
    """The sizes ``n >= 1`` where ``expr`` holds, in the set form, or why not."""
    import sympy

    period, largest = _divisors(expr)
    if period > _MAX_PERIOD:
        return f"its period {period} is over {_MAX_PERIOD}"
    end = largest + 3 * period + 64
    try:
        holds = [False] + [bool(expr.xreplace({symbol: sympy.Integer(n)})) for n in range(1, end)]
    except TypeError:
        return "it does not evaluate to true or false at a size"
    if holds[end - 2 * period:end - period] != holds[end - period:end]:
        return f"it is not periodic (with period {period}) above {largest}"
    members = [n for n in range(1, end) if holds[n]]
    if not members:
        return "it holds at no size"
    last = None if any(holds[end - period:end]) else members[-1]  # no member in the last period: bounded
    top = end if last is None else last + 1
    tail = range(max(1, top - period), top)
    residues = {n % period for n in tail if holds[n]}
    low = tail.start
    while low - 1 >= 1 and holds[low - 1] == ((low - 1) % period in residues):
        low -= 1
    extra = [n for n in members if n < low]
    if len(extra) > _MAX_EXTRA:
        return f"{len(extra)} sizes outside its periodic pattern (over {_MAX_EXTRA})"
    modulus = next(d for d in range(1, period + 1)
                   if period % d == 0 and all((r + d) % period in residues for r in residues))
    minimum = next(n for n in range(low, top) if n % period in residues)
    return {"modulus": modulus, "residues": sorted({r % modulus for r in residues}), "min": minimum,
            "max": last, "extra": extra}
