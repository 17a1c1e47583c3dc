"""Domain errors: what the library raises, independent of HTTP.

The HTTP layer (``convplan.api.problems``) turns each class into an RFC 9457
problem document with the class's ``status``, ``type`` and ``title``; the
library never imports FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ConvplanError",
    "ErrorItem",
    "InvalidModel",
    "InvalidRequest",
    "LayerError",
    "LimitExceeded",
    "NotOnnx",
    "SymbolicTimeout",
    "UnknownOp",
    "UnsupportedModel",
]

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ErrorItem:
    """One reason a request was refused, pointing into the body."""

    loc: Loc
    msg: str
    type: str
    layer: int | None = None
    axis: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "loc": list(self.loc),
            "msg": self.msg,
            "type": self.type,
            "layer": self.layer,
            "axis": self.axis,
        }


class ConvplanError(Exception):
    """Base class: every refusal the domain raises carries its HTTP meaning."""

    status: int = 422
    slug: str = "invalid-request"
    title: str = "Invalid request"

    def __init__(
        self,
        detail: str,
        errors: list[ErrorItem] | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        # Extra members of the problem document, e.g. the layers computed
        # before a refusing layer, so a tool can draw the partial stack.
        self.extra: dict[str, Any] = extra or {}


class InvalidRequest(ConvplanError):
    """A grammar, range or semantic error not tied to one layer."""


class LayerError(ConvplanError):
    """A layer that PyTorch would refuse, or a size below 1."""

    slug = "layer-error"
    title = "Layer cannot be applied"

    @classmethod
    def at(
        cls,
        reason: str,
        *,
        loc: Loc,
        layer: int | None,
        axis: int | None = None,
        type: str = "layer",
    ) -> LayerError:
        where = []
        if layer is not None:
            where.append(f"layer {layer}")
        if axis is not None:
            where.append(f"axis {axis}")
        detail = f"{', '.join(where)}: {reason}" if where else reason
        return cls(detail, [ErrorItem(loc, reason, type, layer, axis)])


class SymbolicTimeout(ConvplanError):
    """Symbolic work ran over its time budget."""

    slug = "symbolic-timeout"
    title = "Symbolic computation over its time budget"


class LimitExceeded(ConvplanError):
    """A volume limit (body bytes, elements, layers, nesting...)."""

    status = 413
    slug = "limit-exceeded"
    title = "Request exceeds a limit"


class UnknownOp(ConvplanError):
    status = 404
    slug = "unknown-op"
    title = "Unknown op"



class NotOnnx(ConvplanError):
    """Bytes that do not parse as an ONNX model."""

    slug = "not-onnx"
    title = "Not an ONNX model"


class InvalidModel(ConvplanError):
    """An ONNX model that parses but is malformed (a cycle, an unknown tensor, an impossible shape)."""

    slug = "invalid-model"
    title = "Malformed ONNX model"


class UnsupportedModel(ConvplanError):
    """An ONNX model with ops or shape computations that have no convplan meaning; lists every one."""

    slug = "unsupported-model"
    title = "Model has unsupported ops"
