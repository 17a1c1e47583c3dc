"""Nested JSON lists to arrays: counted first, checked strictly, built last.

``measure`` walks a tensor one nesting level at a time (C-level ``map`` and
``chain`` over each level, no recursion) and stops as soon as the running
element count passes the budget, so an oversized tensor is refused (413)
before any array or model is built. It also checks the structure: every
level a list of equal, non-zero lengths, leaves plain numbers (no booleans,
strings or nulls). Non-finite numbers never get here (the body guard refuses
``NaN``/``Infinity``), but a huge integer is still caught when converting.
"""

from __future__ import annotations

from itertools import chain
from math import prod
from typing import Any

import numpy as np

from convplan.errors import ErrorItem, InvalidRequest, LimitExceeded

__all__ = ["Measured", "build", "measure"]

Loc = tuple[str | int, ...]
_NUMBER = (int, float)


class Measured:
    __slots__ = ("leaves", "loc", "shape")

    def __init__(self, shape: tuple[int, ...], leaves: list[Any], loc: Loc) -> None:
        self.shape, self.leaves, self.loc = shape, leaves, loc

    @property
    def size(self) -> int:
        return prod(self.shape)


def _invalid(loc: Loc, msg: str, kind: str) -> InvalidRequest:
    return InvalidRequest(f"{'.'.join(map(str, loc))}: {msg}", [ErrorItem(loc, msg, kind)])


def _where(loc: Loc, shape: tuple[int, ...], flat: int) -> Loc:
    return (*loc, *(int(v) for v in np.unravel_index(flat, shape))) if shape else loc


def measure(value: Any, loc: Loc, *, budget: int, limit: int, integer: bool = False) -> Measured:
    """Shape and flat leaves of a nested list; ``budget`` is what is left of ``limit``."""
    if not isinstance(value, list):
        raise _invalid(loc, "must be a tensor: nested lists of numbers", "tensor_type")
    level: list[Any] = [value]
    shape: tuple[int, ...] = ()
    while True:
        lengths = set(map(len, level))
        if len(lengths) != 1:
            first = next(i for i, item in enumerate(level) if len(item) != len(level[0]))
            raise _invalid(_where(loc, shape, first), f"ragged tensor: expected {len(level[0])} entries here, "
                           f"got {len(level[first])}", "tensor_ragged")
        length = lengths.pop()
        if length == 0:
            raise _invalid(_where(loc, shape, 0), "empty tensor: every dimension needs at least one entry",
                           "tensor_empty")
        shape = (*shape, length)
        if prod(shape) > budget:
            raise LimitExceeded(
                f"{'.'.join(map(str, loc))}: at least {prod(shape)} elements, over the limit of {limit} numbers "
                "in the tensors of one request",
                [ErrorItem(loc, f"over the limit of {limit} input elements", "limit.input_elements")],
                extra={"limit": "max_input_elements", "value": limit},
            )
        flat = list(chain.from_iterable(level))
        kinds = set(map(type, flat))
        if kinds == {list}:
            level = flat
            continue
        if list in kinds:
            first = next(i for i, item in enumerate(flat) if (type(item) is list) != (type(flat[0]) is list))
            raise _invalid(_where(loc, shape, first), "ragged tensor: numbers and lists mixed at one depth",
                           "tensor_ragged")
        allowed = (int,) if integer else _NUMBER
        if not kinds <= set(allowed):
            first = next(i for i, item in enumerate(flat) if type(item) not in allowed)
            bad = flat[first]
            what = "a boolean" if type(bad) is bool else "null" if bad is None else type(bad).__name__
            need = "an integer" if integer else "a finite number"
            raise _invalid(_where(loc, shape, first), f"must be {need}, got {what}",
                           "int_type" if integer else "finite_number")
        return Measured(shape, flat, loc)


def build(measured: Measured, *, integer: bool = False) -> np.ndarray:
    """The array (float64, or int64 for indices); non-finite values are a 422."""
    dtype = np.int64 if integer else np.float64
    try:
        array = np.array(measured.leaves, dtype=dtype)
    except OverflowError:
        first = next(i for i, v in enumerate(measured.leaves) if abs(v) > (2**63 - 1 if integer else 1e308))
        raise _invalid(_where(measured.loc, measured.shape, first), "number out of range", "finite_number") from None
    if not integer and not np.isfinite(array).all():
        first = int(np.argmin(np.isfinite(array)))
        raise _invalid(_where(measured.loc, measured.shape, first), "must be a finite number", "finite_number")
    return array.reshape(measured.shape)
