"""ONNX names made legal for a /v1/graph body (contract section 8).

Ids (node ids and input names, one namespace): ``[A-Za-z_][A-Za-z0-9_./:-]{0,127}``, ``i`` reserved.
Symbols: ``[A-Za-z_][A-Za-z0-9_]{0,31}``. Other characters become ``_``, a
leading digit gets ``_`` before it, the result is cut to the length, and a
clash is suffixed ``_2``, ``_3``...
"""

from __future__ import annotations

import re

__all__ = ["NameSpace"]

_RESERVED = frozenset({"i"})


class NameSpace:
    def __init__(self, *, symbols: bool) -> None:
        self._bad = re.compile(r"[^A-Za-z0-9_]" if symbols else r"[^A-Za-z0-9_./:-]")
        self._length = 32 if symbols else 128
        self._given: dict[str, str] = {}
        self._taken: set[str] = set(_RESERVED)

    def name(self, raw: str, *, key: str | None = None) -> str:
        """The legal name for ``raw``; the same ``key`` (default: ``raw``) always gets the same name."""
        key = raw if key is None else key
        if key in self._given:
            return self._given[key]
        base = self._bad.sub("_", raw) or "_"
        if not (base[0].isalpha() or base[0] == "_") or not base[0].isascii():
            base = "_" + base
        base = base[: self._length]
        name, n = base, 1
        while name in self._taken:
            n += 1
            suffix = f"_{n}"
            name = base[: self._length - len(suffix)] + suffix
        self._taken.add(name)
        self._given[key] = name
        return name
