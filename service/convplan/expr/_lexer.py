"""Tokenizer for the size-expression grammar.

The whole text is tokenized up front (it is at most ``max_length`` characters),
so every character-level problem -- quotes, dots, brackets, non-ASCII look-alikes
-- is reported before the parser builds anything.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from ._errors import ExpressionError, ExprLimits

NAME_MAX_LENGTH = 32

# Longest operators first so '**' and '//' win over '*' and '/'.
_OPERATORS: tuple[str, ...] = ("**", "//", "+", "-", "*", "/", "%", "(", ")", ",")
_WHITESPACE = frozenset(" \t\r\n")
_DIGITS = frozenset("0123456789")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | _DIGITS


class Token(NamedTuple):
    kind: str  # 'int', 'name', 'op' or 'end'
    text: str
    position: int  # 1-based, for messages


def _describe_char(char: str) -> str:
    """Quote a character; name non-ASCII ones because look-alikes ('Ｈ', Cyrillic 'Н') fool the eye."""
    if char.isascii() and char.isprintable():
        return repr(char)
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def tokenize(text: str, limits: ExprLimits) -> list[Token]:
    """Split ``text`` into tokens, ending with an 'end' token.  Raises ExpressionError."""
    if len(text) > limits.max_length:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {limits.max_length}",
            kind="limit",
        )
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in _WHITESPACE:
            i += 1
            continue
        start = i
        if char in _DIGITS:
            while i < n and text[i] in _DIGITS:
                i += 1
            literal = text[start:i]
            # A letter, '_' or '.' glued to a number means 1e3, 0x10, 1_000, 1.5 or 2H:
            # none is in the grammar (no floats, no implicit multiplication).
            if i < n and (text[i] in _NAME_CHARS or text[i] == "."):
                j = i
                while j < n and (text[j] in _NAME_CHARS or text[j] == "."):
                    j += 1
                raise ExpressionError(
                    f"invalid number {text[start:j]!r} at position {start + 1}: only whole "
                    "decimal numbers are allowed (write 2*H, not 2H)",
                    kind="syntax",
                    position=start + 1,
                )
            if len(literal) > limits.max_integer_digits:
                raise ExpressionError(
                    f"number at position {start + 1} has {len(literal)} digits; the limit is "
                    f"{limits.max_integer_digits}",
                    kind="limit",
                    position=start + 1,
                )
            if len(literal) > 1 and literal[0] == "0":
                raise ExpressionError(
                    f"number {literal!r} at position {start + 1} has a leading zero",
                    kind="syntax",
                    position=start + 1,
                )
            tokens.append(Token("int", literal, start + 1))
            continue
        if char in _NAME_START:
            while i < n and text[i] in _NAME_CHARS:
                i += 1
            name = text[start:i]
            if len(name) > NAME_MAX_LENGTH:
                raise ExpressionError(
                    f"name at position {start + 1} is {len(name)} characters long; names are at "
                    f"most {NAME_MAX_LENGTH} characters",
                    kind="syntax",
                    position=start + 1,
                )
            tokens.append(Token("name", name, start + 1))
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, start + 1))
                i += len(op)
                break
        else:
            raise ExpressionError(
                f"unexpected character {_describe_char(char)} at position {start + 1}",
                kind="syntax",
                position=start + 1,
            )
    tokens.append(Token("end", "", n + 1))
    return tokens
