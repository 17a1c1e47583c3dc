"""A minimal SVG 1.1 writer: elements, escaped text and attributes, nothing else.

Every user string (ids, op names, expressions, problem details) goes through
``escape``: XML metacharacters become entities and characters XML 1.0 cannot
hold (C0 controls, lone surrogates) become U+FFFD, so any input gives a
well-formed document. No script, ``foreignObject`` or external reference is
ever written: the element vocabulary is fixed here.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SVG_MEDIA_TYPE", "SvgDocument", "escape"]

SVG_MEDIA_TYPE = "image/svg+xml"
_NS = "http://www.w3.org/2000/svg"
_TAGS = frozenset({"g", "rect", "line", "polyline", "path", "text", "title"})
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_META = re.compile("[&<>\"']")


def escape(value: object) -> str:
    """Text safe inside an element or a double-quoted attribute."""
    text = _NOT_XML.sub("\ufffd", str(value))
    return _META.sub(lambda m: _ENTITIES[m.group(0)], text)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        text = _number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        out.append(f' {name}="{escape(text)}"')
    return "".join(out)


class SvgDocument:
    """Elements appended in order; ``open``/``close`` nest groups.

    Attribute names are Python keywords with ``_`` for ``-`` (``stroke_width``)
    and a trailing ``_`` for reserved words (``class_``)."""

    def __init__(self, width: float, height: float, *, title: str) -> None:
        self.width = width
        self.height = height
        self._parts: list[str] = [f"<title>{escape(title)}</title>"]
        self._open: list[str] = []

    def open(self, tag: str, **attrs: Any) -> None:
        self._check(tag)
        self._parts.append(f"<{tag}{_attrs(attrs)}>")
        self._open.append(tag)

    def close(self) -> None:
        self._parts.append(f"</{self._open.pop()}>")

    def add(self, tag: str, text: object = None, **attrs: Any) -> None:
        self._check(tag)
        if text is None:
            self._parts.append(f"<{tag}{_attrs(attrs)}/>")
        else:
            self._parts.append(f"<{tag}{_attrs(attrs)}>{escape(text)}</{tag}>")

    def text(self, x: float, y: float, text: object, **attrs: Any) -> None:
        self.add("text", text, x=x, y=y, **attrs)

    @staticmethod
    def _check(tag: str) -> None:
        if tag not in _TAGS:
            raise ValueError(f"element {tag!r} is not in the renderer's vocabulary")

    def render(self) -> str:
        if self._open:
            raise RuntimeError(f"unclosed elements: {self._open}")
        width, height = _number(self.width), _number(self.height)
        head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="{_NS}" version="1.1" '
                f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">')
        return head + "".join(self._parts) + "</svg>\n"
