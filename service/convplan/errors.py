"""Domain errors: what the library raises, independent of HTTP.

The HTTP layer (``convplan.api.problems``) turns each class into an RFC 9457
problem document with the class's ``status``, ``type`` and ``title``; the
library never imports FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "BudgetExhausted",
    "ConvplanError",
    "ErrorItem",
    "InvalidModel",
    "InvalidRequest",
    "LayerError",
    "LimitExceeded",
    "NotOnnx",
    "OverBudget",
    "ServiceBusy",
    "SymbolicTimeout",
    "Unavailable",
    "UnknownOp",
    "UnsupportedModel",
    "WorkTimeout",
    "WorkerCrashed",
]

#: Where in the request document the domain was given: ``("layers", 3, "padding", 1)``, ``()`` for all of it.
#: The edge says where that document is in the HTTP request (``convplan.api.locations``: mostly the body).
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ErrorItem:
    """One reason a request was refused, located in the request document."""

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


class BudgetExhausted(Exception):  # a signal, like StopIteration: no "Error" in the name
    """The work's time budget (``convplan.budget``) ran out at a check point.

    Deliberately not a ``ConvplanError``: domain code that catches refusals to
    try alternatives (the valid-size solver, the output_padding search) must
    not swallow it. The edge turns it into a refusal (``OverBudget.after``) or,
    for the short inline budget, moves the work to a worker process."""

    def __init__(self, seconds: float, elapsed: float) -> None:
        super().__init__(f"stopped after {elapsed:.2f} s (budget {seconds:g} s)")
        self.seconds = seconds
        self.elapsed = elapsed


class OverBudget(ConvplanError):
    """Base of the time-budget refusals: ``after()`` words one for the user."""

    what = "computation"
    advice = "simplify the request"
    item_type = "limit.time"

    @classmethod
    def after(cls, elapsed: float, seconds: float) -> OverBudget:
        msg = f"{cls.what} stopped after {elapsed:.1f} s (budget {seconds:g} s); {cls.advice}"
        return cls(msg, [ErrorItem((), f"{cls.what} over its time budget", cls.item_type)],
                   extra={"budget_seconds": seconds})


class SymbolicTimeout(OverBudget):
    """Symbolic work ran over its time budget."""

    slug = "symbolic-timeout"
    title = "Symbolic computation over its time budget"
    what = "symbolic computation"
    advice = "simplify the expressions or use numbers"
    item_type = "limit.symbolic_time"


class WorkTimeout(OverBudget):
    """Numeric work ran over its time budget, in a worker process."""

    slug = "work-timeout"
    title = "Numeric work over its time budget"
    what = "numeric work"
    advice = ("use fewer layers or stages, or smaller strides (valid input sizes scan one period, the product "
              "of the strides along an axis)")
    item_type = "limit.work_time"


class Unavailable(ConvplanError):
    """The service cannot take the request now; ``retry_after`` seconds is a fair wait (``Retry-After``)."""

    status = 503

    def __init__(self, detail: str, errors: list[ErrorItem] | None = None, *, retry_after: int,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail, errors, extra=extra)
        self.retry_after = retry_after


class WorkerCrashed(Unavailable):
    """The worker process running the request died (killed, out of memory), and again on the retry."""

    slug = "worker-crashed"
    title = "Worker process crashed"


class ServiceBusy(Unavailable):
    """Every worker is busy and the queue is full, or the wait for a worker ran out."""

    slug = "service-busy"
    title = "Service busy"


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
