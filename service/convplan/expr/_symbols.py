"""Symbol names and the per-request symbol table (name -> integer lower bound)."""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from typing import Any

import sympy

from ._errors import DEFAULT_LIMITS, ExpressionError, ExprLimits
from ._lexer import NAME_MAX_LENGTH

FUNCTION_NAMES: frozenset[str] = frozenset({"floor", "ceil", "min", "max"})
# Python keywords (True, None, lambda, if, ...) are refused as symbol names so a
# string that looks like Python code never turns into a harmless-looking symbol.
RESERVED_NAMES: frozenset[str] = FUNCTION_NAMES | frozenset(keyword.kwlist)

_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")

DEFAULT_MIN = 1


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a symbol name, or None if it can."""
    if not isinstance(name, str):
        return f"symbol names must be strings, got {type(name).__name__}"
    if not name or name[0] not in _NAME_START or any(c not in _NAME_CHARS for c in name):
        return f"{name[:40]!r} is not a valid symbol name (ASCII letters, digits and '_', not starting with a digit)"
    if len(name) > NAME_MAX_LENGTH:
        return f"symbol name {name[:40]!r}... is longer than {NAME_MAX_LENGTH} characters"
    if name in FUNCTION_NAMES:
        return f"{name!r} is a function name and cannot be used as a symbol"
    if name in RESERVED_NAMES:
        return f"{name!r} is a reserved word and cannot be used as a symbol"
    return None


def _spec_min(name: str, spec: Any, limits: ExprLimits) -> int:
    """Read the lower bound from {"min": int} or from an object with a .min attribute."""
    if spec is None:
        return DEFAULT_MIN
    if isinstance(spec, Mapping):
        value = spec.get("min", DEFAULT_MIN)
    else:
        value = getattr(spec, "min", DEFAULT_MIN)
    if value is None:
        return DEFAULT_MIN
    if not isinstance(value, int) or isinstance(value, bool):
        raise ExpressionError(
            f"the minimum of symbol {name!r} must be an integer, got {type(value).__name__}", kind="type"
        )
    if abs(value) >= limits.max_magnitude:
        raise ExpressionError(f"the minimum of symbol {name!r} is too large in magnitude", kind="limit")
    return int(value)


class SymbolTable:
    """Symbols of one request.  Every symbol is an integer >= its minimum (default 1).

    ``specs`` maps name -> {"min": int} (or any object with a ``.min``).  With
    ``closed=True`` names missing from ``specs`` are refused (kind 'unknown_symbol');
    otherwise they are admitted with the default minimum.
    """

    def __init__(
        self,
        specs: Mapping[str, Any] | None = None,
        limits: ExprLimits = DEFAULT_LIMITS,
        *,
        closed: bool = False,
    ) -> None:
        self.limits: ExprLimits = limits
        self.closed: bool = closed
        self._mins: dict[str, int] = {}
        self._symbols: dict[str, sympy.Symbol] = {}
        for name, spec in (specs or {}).items():
            problem = name_problem(name)
            if problem is not None:
                raise ExpressionError(problem, kind="syntax")
            self._mins[name] = _spec_min(name, spec, limits)

    def __contains__(self, name: object) -> bool:
        return name in self._mins

    def names(self) -> Iterable[str]:
        """Names declared in ``specs``."""
        return tuple(self._mins)

    def check_name(self, name: str) -> None:
        """Raise ExpressionError unless ``name`` can be used as a symbol in this table."""
        problem = name_problem(name)
        if problem is not None:
            raise ExpressionError(problem, kind="syntax")
        if self.closed and name not in self._mins:
            raise ExpressionError(f"unknown symbol {name!r}", kind="unknown_symbol")

    def min_of(self, name: str) -> int:
        return self._mins.get(name, DEFAULT_MIN)

    def symbol(self, name: str) -> sympy.Symbol:
        """The (cached) SymPy symbol; its assumptions follow the minimum so SymPy can reason with them."""
        cached = self._symbols.get(name)
        if cached is not None:
            return cached
        self.check_name(name)
        low = self.min_of(name)
        if low >= 1:
            sym = sympy.Symbol(name, integer=True, positive=True)
        elif low == 0:
            sym = sympy.Symbol(name, integer=True, nonnegative=True)
        else:
            sym = sympy.Symbol(name, integer=True)
        self._symbols[name] = sym
        return sym

    def __repr__(self) -> str:
        return f"SymbolTable({self._mins!r}, closed={self.closed})"
