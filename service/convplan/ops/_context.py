"""What a size rule needs while it runs: parameter resolution, checks and
bookkeeping, with error locations pointing into the request document.

A check on numbers is decided at once; a check on symbols is decided by
``convplan.expr.decide``: proven true passes, proven false is a 422, and
undecidable goes to ``conditions`` (contract section 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from convplan.errors import ErrorItem, InvalidRequest, LayerError, LimitExceeded
from convplan.expr import (
    ExpressionError,
    SymbolTable,
    decide,
    parse_scalar,
    to_latex,
    to_text,
)
from convplan.ops._fields import PAD_MODES
from convplan.ops._values import Value

__all__ = ["FORMULA_VARIABLE", "RESERVED_I", "Condition", "LayerContext", "NeedsSymbolic", "Reason", "Resolver"]

#: Formulas are written in terms of the layer's input ``i`` (contract section 3), so a
#: user symbol of that name inside a layer's parameters would be ambiguous there (an
#: input size named ``i`` is fine, as in the contract's own general formula).
FORMULA_VARIABLE = "i"
RESERVED_I = ("the name 'i' cannot appear in a layer's parameters: formulas use it for the layer's input "
              "size; rename the symbol")

#: Why a check failed: a message, or a function that makes it only when needed.
Reason = str | Callable[[], str]


class NeedsSymbolic(Exception):
    """Raised on the fast numeric path when a value turns out to be symbolic:
    the caller re-runs the request under the symbolic time budget."""

_COMPARE = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass
class Condition:
    layer: int | None
    axis: int | None
    expr: str
    expr_latex: str | None
    where: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "layer": self.layer,
            "axis": self.axis,
            "expr": self.expr,
            "expr_latex": self.expr_latex,
        }
        if self.where is not None:
            out["where"] = self.where
        return out


@dataclass
class Resolver:
    """Request-wide state: the symbol table and the conditions found so far."""

    table: SymbolTable
    max_expression_length: int = 256
    max_size: int = 1_000_000_000
    symbolic: bool = True
    #: The request's ``training`` (PyTorch's ``module.train()``): batch statistics and their refusals.
    training: bool = False
    saw_symbol: bool = False  # any symbolic value at all (else responses need no printing)
    conditions: list[Condition] = field(default_factory=list)

    def scalar(self, value: Any, loc: tuple, *, layer: int | None = None, axis: int | None = None) -> Value:
        if type(value) is int:
            if abs(value) > self.max_size:
                raise InvalidRequest(  # a range error (422), not a volume limit
                    f"{_where(layer, axis)}value {value} is above the size limit {self.max_size}",
                    [ErrorItem(loc, f"above the size limit {self.max_size}", "limit.size", layer, axis)],
                )
            return value
        if isinstance(value, str) and len(value) > self.max_expression_length:
            raise LimitExceeded(
                f"{_where(layer, axis)}expression of {len(value)} characters is over the limit "
                f"{self.max_expression_length}",
                [ErrorItem(loc, "expression too long", "limit.expression_length", layer, axis)],
            )
        try:
            parsed = parse_scalar(value, self.table)
        except ExpressionError as exc:
            raise LayerError(
                f"{_where(layer, axis)}{exc.message}",
                [ErrorItem(loc, exc.message, f"expression.{exc.kind}", layer, axis)],
            ) from None
        if type(parsed) is not int:
            if layer is not None and any(getattr(sym, "name", None) == FORMULA_VARIABLE
                                         for sym in parsed.free_symbols):
                msg = RESERVED_I
                raise LayerError(f"{_where(layer, axis)}{msg}",
                                 [ErrorItem(loc, msg, "expression.reserved", layer, axis)])
            if not self.symbolic:
                raise NeedsSymbolic
            self.saw_symbol = True
            return parsed
        if abs(parsed) > self.max_size:
            raise InvalidRequest(
                f"{_where(layer, axis)}value {parsed} is above the size limit {self.max_size}",
                [ErrorItem(loc, f"above the size limit {self.max_size}", "limit.size", layer, axis)],
            )
        return parsed


def _where(layer: int | None, axis: int | None) -> str:
    parts = []
    if layer is not None:
        parts.append(f"layer {layer}")
    if axis is not None:
        parts.append(f"axis {axis}")
    return f"{', '.join(parts)}: " if parts else ""


@dataclass(slots=True)
class LayerContext:
    """One layer's view: its index, op, rank and where it sits in the request document."""

    resolver: Resolver
    index: int | None
    op: str
    rank: int
    loc: tuple
    warnings: list[str] = field(default_factory=list)
    #: The spatial size of the tensor a ``size_of`` names (set by the graph evaluator).
    size_of: list[Value] | None = None

    def target_size(self) -> list[Value]:
        """The sizes ``size_of`` names; outside a graph there is nothing to name."""
        if self.size_of is None:
            self.fail("size_of names a node or input of a graph: it is only meaningful in /v1/graph",
                      param="size_of", type="value_error.size_of")
        if len(self.size_of) != self.rank:
            self.fail(f"size_of names a tensor with {len(self.size_of)} spatial axes, but the input has {self.rank}",
                      param="size_of", type="value_error.rank")
        return self.size_of

    # -- parameters -------------------------------------------------------
    def scalar(self, name: str, value: Any, axis: int | None = None, *, listed: bool = False) -> Value:
        if value.__class__ is int and -self.resolver.max_size <= value <= self.resolver.max_size:
            return value  # the hot path: a number in range (the resolver's own first check), nothing to locate
        loc = (*self.loc, name, axis) if listed and axis is not None else (*self.loc, name)
        return self.resolver.scalar(value, loc, layer=self.index, axis=axis)

    def per_axis(self, name: str, value: Any) -> list[Value]:
        """A scalar for every axis, or a list with exactly one value per axis."""
        if isinstance(value, list):
            if len(value) != self.rank:
                self.fail(
                    f"{name} has {len(value)} values but the input has {self.rank} spatial "
                    f"ax{'es' if self.rank != 1 else 'is'}",
                    param=name,
                    type="value_error.rank",
                )
            return [self.scalar(name, v, a, listed=True) for a, v in enumerate(value)]
        one = self.scalar(name, value)
        return [one] * self.rank

    def pairs(self, name: str, value: Any) -> list[tuple[Value, Value]]:
        """Per-axis `[before, after]` amounts from an int, a list of ints, or pairs."""
        if value in PAD_MODES:  # a mode name where only amounts are allowed, not a symbol
            self.fail(f"{name}={value!r} is not available here: give amounts (an int, or per axis an int or "
                      "[before, after])", param=name, type="value_error.padding")
        if isinstance(value, list):
            if len(value) != self.rank:
                self.fail(
                    f"{name} has {len(value)} entries but the input has {self.rank} spatial axes",
                    param=name,
                    type="value_error.rank",
                )
            out = []
            for a, item in enumerate(value):
                if item in PAD_MODES or (isinstance(item, list) and any(v in PAD_MODES for v in item)):
                    self.fail(f"{name}: a mode name ({item!r}) cannot stand for one axis; give amounts, or the "
                              "mode for the whole layer", axis=a, param=name, type="value_error.padding")
                if isinstance(item, list):
                    before = self.resolver.scalar(item[0], (*self.loc, name, a, 0), layer=self.index, axis=a)
                    after = self.resolver.scalar(item[1], (*self.loc, name, a, 1), layer=self.index, axis=a)
                    out.append((before, after))
                else:
                    v = self.scalar(name, item, a, listed=True)
                    out.append((v, v))
            return out
        v = self.scalar(name, value)
        return [(v, v)] * self.rank

    # -- checks -----------------------------------------------------------
    def require(
        self,
        lhs: Value,
        relation: str,
        rhs: Value,
        reason: Reason,
        *,
        axis: int | None = None,
        param: str | None = None,
        listed: bool = True,
        type: str = "layer",
    ) -> None:
        """Refuse unless `lhs relation rhs`; `reason` says what went wrong (a string, or
        a function making it, so that passing checks on the hot path format nothing)."""
        if lhs.__class__ is int and rhs.__class__ is int:  # the hot path (`type` is a parameter here)
            if not (lhs >= rhs if relation == ">=" else _COMPARE[relation](lhs, rhs)):
                self.fail(reason, axis=axis, param=param, listed=listed, type=type)
            return
        reason = reason if isinstance(reason, str) else reason()
        decision = decide(lhs, relation, rhs, self.resolver.table)
        if decision.value is True:
            return
        if decision.value is False:
            self.fail(f"{reason} (for every admissible value of the symbols)", axis=axis, param=param,
                      listed=listed, type=type)
        text = decision.condition or f"{to_text(lhs)} {relation} {to_text(rhs)}"
        self.resolver.conditions.append(
            Condition(self.index, axis, str(text), decision.condition_latex, where=reason)
        )

    def fail(
        self,
        reason: Reason,
        *,
        axis: int | None = None,
        param: str | None = None,
        listed: bool = True,
        type: str = "layer",
    ) -> NoReturn:
        reason = reason if isinstance(reason, str) else reason()
        loc: tuple = self.loc
        if param is not None:
            loc = (*loc, param)
            if axis is not None and listed:
                loc = (*loc, axis)
        raise LayerError.at(f"{self.op}: {reason}", loc=loc, layer=self.index, axis=axis, type=type)

    def warn(self, text: str) -> None:
        self.warnings.append(text)



def latex_or_none(value: Value | str | None) -> str | None:
    """LaTeX of a symbolic value or a formula template; None for numbers."""
    if value is None or type(value) is int:
        return None
    if isinstance(value, str):
        return getattr(value, "latex", None)  # a Formula template carries its own
    return to_latex(value)


def text(value: Value | str | None) -> int | str | None:
    """A value for the response: ints stay ints, formula templates stay text,
    symbolic values are printed in the input grammar."""
    if value is None or type(value) is int or isinstance(value, str):
        return value
    return to_text(value)


def show(value: Value | None) -> str:
    """A value inside a message."""
    if type(value) is int:
        return str(value)
    return str(text(value))

