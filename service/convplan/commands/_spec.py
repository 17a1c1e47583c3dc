"""The command line's compact layer syntax.

A layer is ``OP`` or ``OP:ARGS``; ARGS is a comma-separated list of
``KEY=VALUE`` items, and the first item may be a bare VALUE for the op's main
parameter (``conv:3`` = ``conv:kernel_size=3``, ``upsample:2`` =
``upsample:scale_factor=2``). Commas inside brackets or parentheses do not
split (``p=[1,2]``, ``k=max(a,b)``).

VALUE:

- ``3``, ``-1``                   an integer
- ``3x5``, ``572x572``            one integer per spatial axis (digits only)
- ``[3,5]``, ``[H,W]``, ``[[1,2],0]``  a list (per axis; items are values), for
  symbolic per-axis values and ``[before, after]`` padding pairs
- ``2.5``                         a number (``scale_factor``)
- ``true`` / ``false`` / ``null`` booleans and null
- anything else                   a string: an expression (``16*n``, ``H//2``)
  or a keyword (``same``, ``valid``, ``bilinear``, ``reflect``)

Sizes (the input of ``shape``, ``--input`` of ``plan``) use the same VALUE
syntax: ``572``, ``572x572``, ``16*n``, ``[H,W]``.

Other op names (``bn``, ``deconv``), short keys (``k=``, ``c=``, ``r=``) and
the main parameter are each op's own (``cli_names``, ``cli_keys`` and
``cli_main`` on its model in ``convplan.ops``).
"""

from __future__ import annotations

import re
from typing import Any

from convplan.ops import OPS

__all__ = [
    "OP_NAMES",
    "SpecError",
    "compact",
    "parse_assumption",
    "parse_layer",
    "parse_size",
    "parse_value",
]


class SpecError(ValueError):
    """A command-line spec that cannot be read (a usage error: exit status 2)."""


def _op_names() -> dict[str, str]:
    """Every op's command-line names (``bn``, ``deconv``...) to its op name, as the ops declare them."""
    names: dict[str, str] = {}
    for model in dict.fromkeys(OPS.values()):
        for alias, op in model.cli_names.items():
            if alias in names or alias in OPS or op not in model.names:
                raise RuntimeError(f"command-line name {alias!r} of {model.__name__} clashes or names no op of it")
            names[alias] = op
    return names


OP_NAMES = _op_names()

_INT = re.compile(r"[+-]?\d+")
_PER_AXIS_INTS = re.compile(r"\d+(?:x\d+)+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][+-]?\d+)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets and parentheses."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth < 0:
                raise SpecError(f"unbalanced {ch!r} in {text!r}")
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise SpecError(f"unbalanced brackets in {text!r}")
    parts.append(text[start:])
    return parts


def parse_value(text: str) -> Any:
    """One VALUE (see the module's docstring)."""
    raw = text.strip()
    if not raw:
        raise SpecError("empty value")
    low = raw.lower()
    if low in {"true", "false"}:
        return low == "true"
    if low in {"null", "none"}:
        return None
    if _INT.fullmatch(raw):
        return int(raw)
    if _PER_AXIS_INTS.fullmatch(raw):
        return [int(part) for part in raw.split("x")]
    if _FLOAT.fullmatch(raw):
        return float(raw)
    if raw.startswith("[") and raw.endswith("]") and split_top(raw[1:-1]) is not None:
        inner = raw[1:-1].strip()
        return [] if not inner else [parse_value(item) for item in split_top(inner)]
    if "[" in raw or "]" in raw:
        raise SpecError(f"cannot read {raw!r}: a list is [item,item,...]")
    return raw  # an expression or a keyword; the API validates it


def parse_size(text: str) -> list[Any]:
    """A spatial size: ``572``, ``572x572``, ``16*n``, ``[H,W]``."""
    value = parse_value(text)
    if isinstance(value, list):
        if not value or any(isinstance(v, (list, bool, float)) or v is None for v in value):
            raise SpecError(f"cannot read the size {text!r}: one integer or expression per axis")
        return value
    if isinstance(value, (bool, float)) or value is None:
        raise SpecError(f"cannot read the size {text!r}: an integer or an expression")
    return [value]


def parse_layer(text: str) -> dict[str, Any]:
    """``OP[:ARGS]`` as a layer object of the API."""
    op_text, _, args = text.partition(":")
    op_name = op_text.strip().lower().replace("-", "_")
    if not op_name:
        raise SpecError(f"layer {text!r}: missing op (e.g. conv:k=3)")
    op = OP_NAMES.get(op_name, op_name)
    model = OPS.get(op)  # an unknown op goes on to the API as written (a 404 there)
    main = None if model is None else model.cli_main
    keys = {} if model is None else model.cli_keys
    layer: dict[str, Any] = {"op": op}
    if not args.strip():
        if ":" in text:
            raise SpecError(f"layer {text!r}: nothing after ':'")
        return layer
    for position, item in enumerate(split_top(args)):
        item = item.strip()
        if not item:
            raise SpecError(f"layer {text!r}: empty item (two commas?)")
        key, eq, value = item.partition("=")
        if not eq or (not _NAME.fullmatch(key.strip())):
            if position == 0 and main is not None:
                key, value = main, item
            elif position == 0:
                raise SpecError(f"layer {text!r}: {op} has no main parameter; write KEY=VALUE")
            else:
                raise SpecError(f"layer {text!r}: {item!r} is not KEY=VALUE")
        key = key.strip()
        name = keys.get(key, key)
        if name in layer:
            raise SpecError(f"layer {text!r}: {name} given twice")
        layer[name] = parse_value(value)
    return layer


def parse_assumption(text: str) -> tuple[str, dict[str, int]]:
    """``NAME>=INT`` (``--assume p>=0``): the symbol's smallest admissible value."""
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*>=\s*([+-]?\d+)\s*", text)
    if not match:
        raise SpecError(f"cannot read the assumption {text!r}: write NAME>=INT, e.g. p>=0")
    return match.group(1), {"min": int(match.group(2))}


def compact(value: Any) -> str:
    """A value in the command line's syntax (sizes as ``572x572``)."""
    if isinstance(value, list):
        if value and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            return "x".join(str(v) for v in value)
        return "[" + ",".join(compact(v) for v in value) + "]"
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
