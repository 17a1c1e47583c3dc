"""Integer computations on shapes, as expression trees over tensor sizes.

PyTorch's exporters write ``F.interpolate(x, size=y.shape[2:])``, centre
crops with computed bounds and ``F.pad`` to a computed size as small
subgraphs (Shape, Gather, Slice, Concat, Cast, Unsqueeze, Div, Mul, Floor,
and for ``//`` the TorchScript exporter's sign fix-up: Less, Xor, Equal,
Not, And, Where). Their values are kept here as NumPy object arrays whose
items are ints, Fractions or :class:`Sym` trees whose leaves are the sizes
of named tensors. Nothing is executed: a tree is only ever evaluated with
Python integers, to recognise what it computes by comparing it with the
candidate meanings (a size of ``y``, ``floor((x - y)/2)``...) at a few
sample sizes, and printed to convplan's expression grammar when its
leaves are input sizes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["MAX_TERMS", "Item", "Leaf", "Sym", "TooLarge", "apply", "evaluate", "leaf", "leaves", "make",
           "print_expr", "same_function", "sample_worlds"]

Number = int | Fraction


@dataclass(frozen=True)
class Leaf:
    """The size of axis ``axis`` (ONNX axis: 0 batch, 1 channels, 2... spatial) of tensor ``tensor``."""

    tensor: str
    axis: int


@dataclass(frozen=True)
class Sym:
    """An operation on items; ``op`` is one of :data:`_EVAL`'s keys, or ``leaf``. ``size``: its terms
    counted as a tree (a shared argument once per use), what evaluating or printing it costs."""

    op: str
    args: tuple[Any, ...]
    size: int = field(default=1, compare=False, repr=False)


class TooLarge(ValueError):
    """A shape computation past the bounds: over ``MAX_TERMS`` terms or beyond int64 (a hostile model doubling
    an expression fifty times, or squaring a number: the exporters' computations are a few terms of sizes)."""


#: The most terms one shape expression may have (real exports: under a hundred).
MAX_TERMS = 500
_INT64 = 2**63


Item = Number | Sym


def _trunc_div(a: Number, b: Number) -> Number:
    # ONNX Div on integers truncates toward zero (C semantics); on floats it is exact.
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            raise ZeroDivisionError
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return Fraction(a) / Fraction(b)


def _trunc(a: Number) -> int:
    return math.trunc(a)


def _where(c: Number, a: Number, b: Number) -> Number:
    return a if c else b


_EVAL: dict[str, Callable[..., Number]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": _trunc_div,
    "fdiv": lambda a, b: Fraction(a) / Fraction(b),
    "mod": lambda a, b: a % b,
    "min": min,
    "max": max,
    "neg": lambda a: -a,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "float": Fraction,
    "int": _trunc,
    "lt": lambda a, b: int(a < b),
    "gt": lambda a, b: int(a > b),
    "le": lambda a, b: int(a <= b),
    "ge": lambda a, b: int(a >= b),
    "eq": lambda a, b: int(a == b),
    "not": lambda a: int(not a),
    "and": lambda a, b: int(bool(a) and bool(b)),
    "or": lambda a, b: int(bool(a) or bool(b)),
    "xor": lambda a, b: int(bool(a) != bool(b)),
    "where": _where,
}


def make(op: str, *args: Item) -> Item:
    """``op`` applied to ``args``: folded to a number when every argument is one."""
    if all(not isinstance(a, Sym) for a in args):
        value = _EVAL[op](*args)
        if isinstance(value, Fraction):
            if abs(value.numerator) > _INT64 or value.denominator > _INT64:
                raise TooLarge(f"{op} gives a number beyond int64")
            if value.denominator == 1 and op != "float":
                return int(value)
        elif abs(value) > _INT64:
            raise TooLarge(f"{op} gives a number beyond int64")
        return value
    # Identities the exporters rely on (x*1, x+0, int(float(x)), floor(int)) keep trees small.
    if op in ("mul", "div") and args[1] == 1 and not isinstance(args[1], Sym):
        return args[0]
    if op in ("add", "sub") and args[1] == 0 and not isinstance(args[1], Sym):
        return args[0]
    if op == "int" and isinstance(args[0], Sym) and args[0].op == "float":
        return args[0].args[0]
    size = 1 + sum(a.size if isinstance(a, Sym) else 1 for a in args)
    if size > MAX_TERMS:
        raise TooLarge(f"a shape expression of more than {MAX_TERMS} terms")
    return Sym(op, args, size)


def leaf(tensor: str, axis: int) -> Sym:
    return Sym("leaf", (Leaf(tensor, axis),))


def apply(op: str, *arrays: np.ndarray) -> np.ndarray:
    """Elementwise ``op`` over NumPy object arrays, with NumPy broadcasting."""
    out = np.frompyfunc(lambda *a: make(op, *a), len(arrays), 1)(*arrays)
    if isinstance(out, np.ndarray):
        return out.astype(object)
    scalar = np.empty((), dtype=object)  # frompyfunc returns a bare item for 0-d operands
    scalar[()] = out
    return scalar


def leaves(item: Item) -> set[Leaf]:
    out: set[Leaf] = set()
    stack = [item]
    while stack:
        node = stack.pop()
        if isinstance(node, Sym):
            if node.op == "leaf":
                out.add(node.args[0])
            else:
                stack.extend(node.args)
    return out


def evaluate(item: Item, world: Mapping[Leaf, int]) -> Number:
    """The value of ``item`` with each leaf set as in ``world`` (raises ZeroDivisionError, KeyError)."""
    if not isinstance(item, Sym):
        return item
    if item.op == "leaf":
        return world[item.args[0]]
    return _EVAL[item.op](*(evaluate(a, world) for a in item.args))


def sample_worlds(items: list[Item], *, larger: set[Leaf] = frozenset(), count: int = 12) -> list[dict[Leaf, int]]:
    """A few assignments of the leaves of ``items``: random sizes, those in ``larger`` above all others
    (a crop's input is larger than its target). Seeded: the same model always gives the same answer."""
    rng = random.Random(20_26)
    names = sorted(set().union(*(leaves(i) for i in items)), key=lambda x: (x.tensor, x.axis))
    worlds = []
    for _ in range(count):
        worlds.append({n: rng.randint(3000, 6000) if n in larger else rng.randint(1, 2999) for n in names})
    return worlds


def same_function(a: Item, b: Item, worlds: list[dict[Leaf, int]]) -> bool:
    """Whether ``a`` and ``b`` agree at every sample world (a miss on any division by zero)."""
    try:
        return all(evaluate(a, w) == evaluate(b, w) for w in worlds)
    except (ZeroDivisionError, KeyError):
        return False


# Printing to the request grammar: only what the grammar has.
_INFIX = {"add": "+", "sub": "-", "mul": "*"}


def print_expr(item: Item, name_of: Callable[[Leaf], str | int | None]) -> str | int | None:
    """``item`` in convplan's grammar, leaves named by ``name_of``; None when it has no such form.

    ONNX's truncating Div is printed as floor division ``//``, which is the same on the
    non-negative sizes these computations have (a negative one fails the size check).
    """
    if not isinstance(item, Sym):
        return item if isinstance(item, int) else (int(item) if item.denominator == 1 else None)
    if item.op == "leaf":
        return name_of(item.args[0])
    if item.op in ("floor", "int") and isinstance(item.args[0], Sym) and item.args[0].op == "fdiv":
        # floor(a / b) and trunc(a / b) of non-negative sizes: floor division.
        return print_expr(Sym("div", item.args[0].args), name_of)
    if item.op in ("float", "int", "floor"):
        return print_expr(item.args[0], name_of)
    parts = [print_expr(a, name_of) for a in item.args]
    if any(p is None for p in parts):
        return None
    if item.op in _INFIX:
        return f"{_group(parts[0])}{_INFIX[item.op]}{_group(parts[1])}"
    if item.op == "div":
        return f"{_group(parts[0])}//{_group(parts[1])}"
    if item.op in ("min", "max"):
        return f"{item.op}({parts[0]}, {parts[1]})"
    return None


def _group(text: str | int) -> str:
    """``text`` as an operand: atoms (names, non-negative integers) bare, anything else parenthesised."""
    text = str(text)
    return text if text.isidentifier() or text.isdigit() else f"({text})"
