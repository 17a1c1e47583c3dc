"""Our own printer: SymPy expression -> text in the input grammar (round-trips through the parser).

Conventions: spaces around binary + and -, none around * / // % and **;
terms with symbols before the constant (``H - 184``); a positive term first when
there is one (``W - 2*H``, ``3 - H``); rational coefficients over a common
denominator (``floor((H - 3)/2)``); a common integer factor pulled out
(``2*(n - 1)``); ``%`` and sums parenthesised inside products.
"""

from __future__ import annotations

from fractions import Fraction
from functools import reduce
from math import gcd, lcm

import sympy
from sympy import Add, Max, Min, Mod, Mul, Pow, ceiling, floor

from ._lexer import NAME_MAX_LENGTH
from ._symbols import name_problem

# Precedence levels of printed fragments (higher binds tighter).
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5

Printed = tuple[str, int]


def _wrap(printed: Printed, minimum: int) -> str:
    text, prec = printed
    return f"({text})" if prec < minimum else text


def _number(value: sympy.Rational) -> Printed:
    p, q = int(value.p), int(value.q)
    if q == 1:
        return str(p), (ATOM if p >= 0 else UNARY)
    return f"{p}/{q}", MUL  # '-7/2' parses as (-7)/2: same value, MUL-level


def _is_negative(term: sympy.Expr) -> bool:
    coeff, _ = term.as_coeff_Mul()
    return bool(coeff.is_negative)


def _ordered_terms(expr: sympy.Expr) -> list[sympy.Expr]:
    """Symbolic terms in SymPy's reading order, the constant last, a positive term first."""
    terms = list(Add.make_args(expr))
    constants = [t for t in terms if t.is_Number]
    symbolic = [t for t in terms if not t.is_Number]
    if len(symbolic) > 1:
        symbolic = list(Add(*symbolic).as_ordered_terms())
    ordered = symbolic + constants
    if _is_negative(ordered[0]):
        for index, term in enumerate(ordered):
            if not _is_negative(term):
                ordered.insert(0, ordered.pop(index))
                break
    return ordered


def _join(terms: list[sympy.Expr]) -> str:
    parts: list[str] = [_wrap(_print(terms[0]), ADD + 1) if not _is_negative(terms[0]) else _print(terms[0])[0]]
    for term in terms[1:]:
        if _is_negative(term):
            parts.append(" - " + _wrap(_print(-term), MUL))
        else:
            parts.append(" + " + _wrap(_print(term), MUL))
    return "".join(parts)


def _print_add(expr: sympy.Expr) -> Printed:
    terms = Add.make_args(expr)
    coeffs = [t.as_coeff_Mul()[0] for t in terms]
    if not all(isinstance(c, sympy.Rational) for c in coeffs):  # pragma: no cover - defensive
        return _join(_ordered_terms(expr)), ADD
    denominator = reduce(lcm, (int(c.q) for c in coeffs), 1)
    if denominator > 1:
        numerator = Add(*(denominator * t for t in terms))
        return f"({_join(_ordered_terms(numerator))})/{denominator}", MUL
    common = reduce(gcd, (abs(int(c.p)) for c in coeffs), 0)
    if all(c.is_negative for c in coeffs):
        common = -common
    if abs(common) > 1:
        inner = Add(*(t / common for t in terms))
        return f"{common}*({_join(_ordered_terms(inner))})", MUL
    return _join(_ordered_terms(expr)), ADD


def _print_mul(expr: sympy.Expr) -> Printed:
    coeff, rest = expr.as_coeff_Mul()
    if coeff.is_negative:
        text, prec = _print_mul_positive(-coeff, rest)
        # '-x**2' and '-floor(x)' are unary-level; '-2*H' and '-1/H' are products with a
        # leading sign: still MUL-level, so 'a%(-1/H)' keeps its parentheses.
        return "-" + text, (UNARY if prec >= UNARY else MUL)
    return _print_mul_positive(coeff, rest)


def _print_mul_positive(coeff: sympy.Rational, rest: sympy.Expr) -> Printed:
    numerator: list[str] = [str(coeff.p)] if coeff.p != 1 else []
    denominator: list[str] = [str(coeff.q)] if coeff.q != 1 else []
    last: Printed = ("1", ATOM)
    for factor in rest.as_ordered_factors():
        if factor == 1:
            continue
        if isinstance(factor, Pow) and factor.exp.is_Integer and factor.exp < 0:
            denominator.append(_wrap(_print(1 / factor), POW))
        else:
            # Sums and '%' are parenthesised inside products ('3*(H%2)', never '3*H%2'),
            # which also keeps a leading unary minus harmless: '-(H%2)'.
            last = _print(factor)
            if last[1] < UNARY:
                last = (f"({last[0]})", ATOM)
            numerator.append(last[0])
    if not denominator:
        if len(numerator) == 1:
            return (numerator[0], ATOM) if coeff.p != 1 else last
        return "*".join(numerator), MUL
    top = "*".join(numerator) if numerator else "1"
    below = denominator[0] if len(denominator) == 1 else "(" + "*".join(denominator) + ")"
    return f"{top}/{below}", MUL


def _print_pow(expr: sympy.Expr) -> Printed:
    base, exp = expr.args
    if not exp.is_Integer:
        raise ValueError(f"cannot print non-integer power {expr!r} in the expression grammar")
    if exp < 0:
        return f"1/{_wrap(_print(base ** -exp), POW)}", MUL
    return f"{_wrap(_print(base), ATOM)}**{int(exp)}", POW


def _print(expr: sympy.Expr) -> Printed:
    if isinstance(expr, sympy.Rational):
        return _number(expr)
    if isinstance(expr, sympy.Symbol):
        problem = name_problem(expr.name)
        if problem is not None or len(expr.name) > NAME_MAX_LENGTH:
            raise ValueError(f"cannot print symbol {expr.name!r}: {problem}")
        return expr.name, ATOM
    if isinstance(expr, Add):
        return _print_add(expr)
    if isinstance(expr, Mul):
        return _print_mul(expr)
    if isinstance(expr, Pow):
        return _print_pow(expr)
    if isinstance(expr, floor):
        return f"floor({_print(expr.args[0])[0]})", ATOM
    if isinstance(expr, ceiling):
        return f"ceil({_print(expr.args[0])[0]})", ATOM
    if isinstance(expr, (Min, Max)):
        name = "min" if isinstance(expr, Min) else "max"
        return f"{name}({', '.join(_print(a)[0] for a in expr.args)})", ATOM
    if isinstance(expr, Mod):
        a, b = expr.args
        return f"{_wrap(_print(a), UNARY)}%{_wrap(_print(b), UNARY)}", MUL
    raise ValueError(f"cannot print {type(expr).__name__} in the expression grammar")


def to_text(value: int | Fraction | sympy.Expr) -> int | str:
    """Integer constants -> Python int (a JSON integer); anything else -> text in our grammar."""
    if isinstance(value, bool):
        raise TypeError("booleans are not expression values")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if not isinstance(value, sympy.Expr):
        raise TypeError(f"not an expression value: {type(value).__name__}")
    if isinstance(value, sympy.Integer):
        return int(value)
    return _print(value)[0]


def to_latex(value: int | Fraction | sympy.Expr) -> str | None:
    """LaTeX for display; None for integer constants (they need no typesetting)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not expression values")
    if isinstance(value, (int, sympy.Integer)):
        return None
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return None
        value = sympy.Rational(value.numerator, value.denominator)
    if not isinstance(value, sympy.Expr):
        raise TypeError(f"not an expression value: {type(value).__name__}")
    return latex_text(value)


def _plain(name: str) -> bool:
    """A name SymPy typesets as intended: a letter, then letters and digits, "_" parts as subscripts (H_in:
    H_{in}); no empty part (a leading, doubled or trailing "_")."""
    return name[:1].isalpha() and all(part.isascii() and part.isalnum() for part in name.split("_"))


def latex_text(value: sympy.Expr | int | Fraction) -> str:
    """``sympy.latex``, but a name that its sub/superscript convention would mangle (``__import__`` became
    ``__import^{}``: a leading, doubled or trailing "_") is set upright with its underscores as written."""
    expr = sympy.Rational(value.numerator, value.denominator) if isinstance(value, (int, Fraction)) else value
    odd = {s: r"\mathrm{" + s.name.replace("_", r"\_") + "}" for s in expr.free_symbols
           if isinstance(s, sympy.Symbol) and not _plain(s.name)}
    return str(sympy.latex(expr, symbol_names=odd) if odd else sympy.latex(expr))
