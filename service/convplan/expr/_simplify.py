"""Canonical form: collapse nested floors/ceilings, and prove integrality.

The nesting rule is the classic identity (Concrete Mathematics, 3.10): for a
real y, an integer-valued r and a positive integer n,

    floor((floor(y) + r)/n) == floor((y + r)/n)
    ceil((ceil(y) + r)/n)   == ceil((y + r)/n)

so a chain of pooling layers ``floor((floor((x - 4)/2) - 4)/2)`` becomes the
single ``floor((x - 12)/4)`` (SymPy prints it ``floor(x/4) - 3`` because it
pulls integer terms out of floor arguments; both are the same object).

Products are normalised too: a sum factor is made primitive with a positive
leading term (``-(H + 1)/H``, never ``(-H - 1)/H``), so two texts for the same
product give the same tree and printing round-trips.
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from sympy import Add, Mod, ceiling, floor

from ._build import int_valued, mk_ceil, mk_floor, rebuild, to_sympy

_MAX_PASSES = 16


def _collapse(node: sympy.Expr) -> sympy.Expr:
    """Apply the nesting identity once to a floor/ceiling node (unchanged if it does not apply)."""
    cls = type(node)
    arg = node.args[0]
    terms = Add.make_args(arg)
    for index, term in enumerate(terms):
        coeff, inner = term.as_coeff_Mul()
        if type(inner) is not cls or not isinstance(coeff, sympy.Rational):
            continue
        if coeff.p != 1 or coeff.q < 2:
            continue
        n = coeff.q
        rest = Add(*(terms[:index] + terms[index + 1 :]))
        if not int_valued(n * rest):
            continue
        new_arg = inner.args[0] / n + rest
        return mk_floor(new_arg) if cls is floor else mk_ceil(new_arg)
    return node


def _primitive_factors(node: sympy.Expr) -> sympy.Expr:
    """In a product, move the numeric content of sum factors to the coefficient.

    SymPy distributes a number over a sum only in a two-factor product, so
    ``-(H + 1)/H`` and ``(-H - 1)/H`` are different trees for the same value;
    the canonical form is ``-1 * (H + 1) * H**-1``: sums primitive, first term positive.
    """
    if not any(isinstance(f, Add) for f in node.args):
        return node
    coeff = sympy.Integer(1)
    factors: list[sympy.Expr] = []
    for factor in node.args:
        if isinstance(factor, Add):
            content, primitive = factor.primitive()
            if primitive.could_extract_minus_sign():
                content, primitive = -content, -primitive
            coeff *= content
            factors.append(primitive)
        else:
            factors.append(factor)
    return sympy.Mul(coeff, *factors)


def _primitive_power(node: sympy.Expr) -> sympy.Expr:
    """(2*H + 2)**-1 -> (H + 1)**-1/2, for the same reason as :func:`_primitive_factors`."""
    base, exp = node.args
    if not isinstance(base, Add) or not isinstance(exp, sympy.Integer):
        return node
    content, primitive = base.primitive()
    if primitive.could_extract_minus_sign():
        content, primitive = -content, -primitive
    if content == 1:
        return node
    return sympy.Mul(content**exp, sympy.Pow(primitive, exp))


def _rule(node: sympy.Expr) -> sympy.Expr:
    if isinstance(node, sympy.Mul):
        return _primitive_factors(node)
    if isinstance(node, sympy.Pow):
        return _primitive_power(node)
    if isinstance(node, (floor, ceiling)):
        return _collapse(node)
    if isinstance(node, Add) and any(isinstance(t, (floor, ceiling)) for t in node.args):
        # Rebuilt floors may come back wrapped in an Add (integer terms pulled out).
        return Add(*(_collapse(t) if isinstance(t, (floor, ceiling)) else t for t in node.args))
    return node


def canonicalize(expr: int | Fraction | sympy.Expr) -> sympy.Expr:
    """Collapse nested floors/ceilings bottom-up until nothing changes (bounded passes)."""
    current = to_sympy(expr)
    for _ in range(_MAX_PASSES):
        following = rebuild(current, post=_rule)
        if following == current:
            return following
        current = following
    return current  # pragma: no cover - each pass strictly reduces the nesting


def _mod_as_floor(node: sympy.Expr) -> sympy.Expr:
    if isinstance(node, Mod):
        a, b = node.args
        return a - b * mk_floor(a / b)
    return node


def size(expr: sympy.Expr) -> int:
    return sum(1 for _ in sympy.preorder_traversal(expr))


def _proven_integer(expr: sympy.Expr) -> bool:
    # The structural walk settles the usual cases in microseconds; SymPy's own
    # (slower, stronger) assumption system has the last word.
    return int_valued(expr) or expr.is_integer is True


def integer_form(expr: sympy.Expr) -> sympy.Expr | None:
    """A canonical form of ``expr`` that SymPy proves integer-valued, or None.

    SymPy cannot see that ``(H - H%2)/2`` is an integer; rewriting ``a % b`` as
    ``a - b*floor(a/b)`` turns it into ``floor(H/2)``.  The rewritten form is
    kept only when it is not bigger than the original.
    """
    canonical = canonicalize(expr)
    if _proven_integer(canonical):
        return canonical
    if not canonical.has(Mod):
        return None
    rewritten = canonicalize(rebuild(canonical, post=_mod_as_floor))
    if not _proven_integer(rewritten):
        return None
    return rewritten if size(rewritten) <= size(canonical) else canonical
