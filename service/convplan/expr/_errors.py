"""Error type and limits shared by every part of the expression language."""

from __future__ import annotations

from dataclasses import dataclass

#: The kinds an :class:`ExpressionError` can carry.  API layers map them to
#: error codes, so the set is closed and checked at construction time.
ERROR_KINDS: frozenset[str] = frozenset(
    {"type", "syntax", "limit", "zero_division", "not_integer", "unknown_symbol"}
)


class ExpressionError(ValueError):
    """Bad user expression.

    ``kind`` is one of ``'type'`` (the JSON value is not an int or a string),
    ``'syntax'``, ``'limit'`` (length/exponent/depth/digits/nodes/magnitude),
    ``'zero_division'``, ``'not_integer'`` and ``'unknown_symbol'`` (only raised
    by a closed :class:`SymbolTable`).  ``message`` is a user-facing sentence;
    ``position`` is the 1-based character position it refers to, if any.
    """

    def __init__(self, message: str, *, kind: str, position: int | None = None) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown ExpressionError kind {kind!r}")
        super().__init__(message)
        self.message: str = message
        self.kind: str = kind
        self.position: int | None = position

    def __repr__(self) -> str:
        return f"ExpressionError({self.message!r}, kind={self.kind!r})"


# Hard ceilings for the configurable limits: the parser recurses about four
# Python frames per nesting level and SymPy recurses over the tree it builds,
# so max_depth must stay far below the interpreter's recursion limit; the
# other ceilings keep constant folding cheap whatever a caller configures.
_DEPTH_CEILING = 64
_EXPONENT_CEILING = 64
_DIGITS_CEILING = 36
_LENGTH_CEILING = 100_000
_NODES_CEILING = 10_000


@dataclass(frozen=True)
class ExprLimits:
    """Resource limits applied while parsing one expression.

    ``max_magnitude`` bounds the absolute value of every constant (and every
    denominator) computed along the way, so ``99999**16`` is refused before it
    can grow; the other fields bound the text itself.
    """

    max_length: int = 256
    max_exponent: int = 16
    max_depth: int = 32
    max_integer_digits: int = 18
    max_nodes: int = 200
    max_magnitude: int = 10**18

    def __post_init__(self) -> None:
        checks = (
            ("max_length", self.max_length, 1, _LENGTH_CEILING),
            ("max_exponent", self.max_exponent, 0, _EXPONENT_CEILING),
            ("max_depth", self.max_depth, 1, _DEPTH_CEILING),
            ("max_integer_digits", self.max_integer_digits, 1, _DIGITS_CEILING),
            ("max_nodes", self.max_nodes, 1, _NODES_CEILING),
            ("max_magnitude", self.max_magnitude, 2, 10**_DIGITS_CEILING),
        )
        for name, value, low, high in checks:
            if type(value) is not int or not low <= value <= high:
                raise ValueError(f"ExprLimits.{name} must be an int in [{low}, {high}], got {value!r}")


DEFAULT_LIMITS = ExprLimits()
