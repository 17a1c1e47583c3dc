"""Cheap constructors for the SymPy nodes the language produces.

SymPy's own ``floor``/``ceiling``/``Min``/``Max`` constructors run assumption
queries (sign analysis, pairwise comparisons) that cost milliseconds per node
and grow quadratically with Min/Max arity -- a 256-character input could take
seconds.  These constructors reproduce the *structural* normalizations SymPy
applies to our expressions (pull integer terms out of floor/ceiling, flatten
Min/Max, fold constants) and then build the node unevaluated, so results stay
equal to what SymPy would build for the common cases while the cost stays
linear.  Every module that rebuilds a tree (canonicalize, decide, substitute)
goes through :func:`rebuild` so SymPy's slow evaluators are never re-triggered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction

import sympy
from sympy import Add, Max, Min, Mod, Mul, Pow, ceiling, floor

from ._errors import ExpressionError, ExprLimits

Value = Fraction | sympy.Expr


def to_sympy(value: int | Fraction | sympy.Expr) -> sympy.Expr:
    """Python int / Fraction / SymPy -> SymPy (bools are refused: they are ints in Python)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not expression values")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Expr):
        return value
    raise TypeError(f"not an expression value: {type(value).__name__}")


def as_fraction(expr: sympy.Expr) -> Fraction | None:
    """The exact value of a rational SymPy constant, else None."""
    if isinstance(expr, sympy.Rational):
        return Fraction(int(expr.p), int(expr.q))
    return None


def int_valued(expr: sympy.Expr) -> bool:
    """Structural proof that ``expr`` is an integer for every admissible symbol value.

    SymPy's ``is_integer`` on a sum fires its whole fact-deduction machinery (sign
    analysis, derivatives) at milliseconds per query; this walk is microseconds and
    covers what our operators produce.  False means "not proven", not "non-integer".
    """
    if isinstance(expr, sympy.Rational):
        return expr.q == 1
    if isinstance(expr, sympy.Symbol):
        return expr.is_integer is True  # a declared assumption: a dictionary lookup
    if isinstance(expr, (floor, ceiling)):
        return True
    if isinstance(expr, Pow):
        exp = expr.exp
        return isinstance(exp, sympy.Integer) and exp >= 0 and int_valued(expr.base)
    if isinstance(expr, (Add, Mul, Min, Max, Mod)):
        return all(int_valued(arg) for arg in expr.args)
    return False


def _round(cls: type[floor] | type[ceiling], arg: sympy.Expr) -> sympy.Expr:
    """floor/ceiling with SymPy's structural rules but none of its sign analysis."""
    if isinstance(arg, sympy.Rational):
        value = Fraction(int(arg.p), int(arg.q))
        return sympy.Integer(value.__floor__() if cls is floor else value.__ceil__())
    if isinstance(arg, (floor, ceiling)) or isinstance(-arg, (floor, ceiling)):
        return arg
    if int_valued(arg):
        return arg
    integral: list[sympy.Expr] = []
    rest: list[sympy.Expr] = []
    for term in Add.make_args(arg):
        (integral if int_valued(term) else rest).append(term)
    if not rest:  # pragma: no cover - arg.is_integer would have been True
        return Add(*integral)
    inner = Add(*rest)
    if isinstance(inner, sympy.Rational):  # H + 1/2: only the constant is left to round
        return Add(*integral, _round(cls, inner))
    return Add(*integral, cls(inner, evaluate=False))


def mk_floor(arg: sympy.Expr) -> sympy.Expr:
    return _round(floor, arg)


def mk_ceil(arg: sympy.Expr) -> sympy.Expr:
    return _round(ceiling, arg)


def _min_max(cls: type[Min] | type[Max], args: Iterable[sympy.Expr]) -> sympy.Expr:
    """Min/Max: flatten nesting, and among arguments that differ only by a constant
    (H - 1, H + 2, 7) keep the one that wins.  No assumption queries."""
    flat: list[sympy.Expr] = []
    pending = list(args)
    while pending:
        arg = pending.pop()
        if isinstance(arg, cls):
            pending.extend(arg.args)
        else:
            flat.append(arg)
    best: dict[sympy.Expr, sympy.Expr] = {}
    for arg in flat:
        const, rest = arg.as_coeff_Add()
        if const is sympy.nan or const.is_finite is False:
            return sympy.nan  # only when substituting values that divide by zero
        seen = best.get(rest)
        if seen is None or (const < seen if cls is Min else const > seen):
            best[rest] = const
    kept = [Add(const, rest) for rest, const in best.items()]
    if len(kept) == 1:
        return kept[0]
    return cls(*kept, evaluate=False)


def mk_min(args: Iterable[sympy.Expr]) -> sympy.Expr:
    return _min_max(Min, args)


def mk_max(args: Iterable[sympy.Expr]) -> sympy.Expr:
    return _min_max(Max, args)


def mk_mod(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """Python-style modulo without SymPy's Mod evaluator (assumption queries, ms per node).

    Rules, all exact: constants fold; ``a % a == 0``; with an integer divisor q,
    integer coefficients of integer-valued terms reduce modulo q (``(2*H + 3)%2 == 1``,
    ``(-H)%2 == H%2``) and ``(x%q)%q == x%q``.
    """
    fa, fb = as_fraction(a), as_fraction(b)
    if fb == 0:  # only reachable when substituting values (the parser refuses '% 0')
        return sympy.nan
    if fa is not None and fb is not None:
        value = fa % fb
        return sympy.Rational(value.numerator, value.denominator)
    if a == b or a == -b:
        return sympy.Integer(0)
    if fb is not None and fb.denominator == 1:
        q = fb.numerator
        reduced: list[sympy.Expr] = []
        for term in Add.make_args(a):
            coeff, rest = term.as_coeff_Mul()
            if isinstance(coeff, sympy.Integer) and int_valued(rest):
                coeff = sympy.Integer(int(coeff) % q)
                if coeff != 0:
                    reduced.append(coeff * rest)
            else:
                reduced.append(term)
        a = Add(*reduced)
        fa = as_fraction(a)
        if fa is not None:
            value = fa % fb
            return sympy.Rational(value.numerator, value.denominator)
        if isinstance(a, Mod) and a.args[1] == b:
            return a
    return Mod(a, b, evaluate=False)


def _construct(expr: sympy.Expr, args: list[sympy.Expr]) -> sympy.Expr:
    func = expr.func
    if func is Add:
        return Add(*args)
    if func is Mul:
        return Mul(*args)
    if func is Pow:
        return Pow(args[0], args[1])
    if func is floor:
        return mk_floor(args[0])
    if func is ceiling:
        return mk_ceil(args[0])
    if func is Min:
        return mk_min(args)
    if func is Max:
        return mk_max(args)
    if func is Mod:
        return mk_mod(args[0], args[1])
    return func(*args)


def rebuild(
    expr: sympy.Expr,
    leaf: Mapping[sympy.Basic, sympy.Expr] | None = None,
    post: Callable[[sympy.Expr], sympy.Expr] | None = None,
) -> sympy.Expr:
    """Bottom-up copy of ``expr``: leaves are replaced through ``leaf``, every rebuilt
    node is passed to ``post``.  Unchanged subtrees are reused as they are."""
    if not expr.args:
        if leaf is not None:
            return leaf.get(expr, expr)
        return expr
    args = [rebuild(a, leaf, post) for a in expr.args]
    node = expr if all(a is b for a, b in zip(args, expr.args)) else _construct(expr, args)
    return post(node) if post is not None else node


def degree(expr: sympy.Expr) -> int:
    """Polynomial degree bound (floor/min/max/mod count as their widest argument).

    It bounds how large a value gets when numbers are substituted: nested powers
    such as ((H + 1)**16 + 1)**16 are cheap symbolically but have astronomically
    large values."""
    if isinstance(expr, sympy.Symbol):
        return 1
    if not expr.args:
        return 0
    if isinstance(expr, Mul):
        return sum(degree(arg) for arg in expr.args)
    if isinstance(expr, Pow):
        exp = expr.exp
        scale = abs(int(exp)) if isinstance(exp, sympy.Integer) else 1
        return degree(expr.base) * scale
    return max(degree(arg) for arg in expr.args)


def check_magnitude(expr: sympy.Expr, limits: ExprLimits) -> None:
    """Refuse results carrying constants (coefficients, exponents, denominators) past
    ``max_magnitude``, or a degree above ``max_exponent``."""
    bound = limits.max_magnitude
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Rational) and (abs(int(node.p)) >= bound or int(node.q) >= bound):
            raise ExpressionError(
                f"the expression contains a constant ({_short(node)}) whose magnitude is above "
                f"the limit of {bound}",
                kind="limit",
            )
    total = degree(expr)
    if total > limits.max_exponent:
        raise ExpressionError(
            f"the expression has degree {total} in its symbols; the limit is {limits.max_exponent}",
            kind="limit",
        )


def _short(number: sympy.Rational) -> str:
    text = f"{number.p}" if number.q == 1 else f"{number.p}/{number.q}"
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
