"""The sizes an exporter declared for every tensor, as sample worlds over the inputs' sizes.

torch's ``dynamo=True`` exporter computes every shape from the *input's* sizes (torch.export states all of
them in its symbols): a centre crop's bounds read ``x.shape``, not the skip's and the up-conv's, so the crop
target is not among the expression's leaves. It also declares each tensor's dims in ``value_info`` as
expressions in the input's ``dim_param`` names (``((s53//2)) - 2``). Parsed with convplan's own grammar (never
evaluated as code), they give every feature map's size in a world where only the inputs' sizes are drawn, so
a bound can be compared with every tensor's size, and the anchor found as for the TorchScript exporter.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import onnx

from convplan.expr import ExpressionError, SymbolTable, compile_at_points, parse_expression
from convplan.frontends.onnx._shapes import Leaf
from convplan.frontends.onnx._values import Feature

__all__ = ["DeclaredSizes"]

_WORLDS = 12


class DeclaredSizes:
    """``value_info`` dims that are expressions in the inputs' dim names, evaluated in seeded worlds."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self._text: dict[str, list[str]] = {}
        graph = model.graph
        for info in [*graph.value_info, *graph.output]:
            if info.type.HasField("tensor_type") and info.type.tensor_type.HasField("shape"):
                self._text[info.name] = [d.dim_param for d in info.type.tensor_type.shape.dim]
        self._parsed: dict[str, Any] = {}
        self._compiled: dict[str, Any] = {}
        self._symbols: dict[str, Leaf] = {}
        self.worlds: list[dict[Leaf, int]] = []
        self._done: set[str] = set()

    @property
    def usable(self) -> bool:
        return bool(self._symbols) and any(any(dims) for dims in self._text.values())

    def add_input(self, dim_names: Mapping[int, str], leaves: Mapping[int, Leaf]) -> None:
        """An input's spatial ``dim_param`` names (by spatial axis) and its leaves: the worlds' free sizes."""
        rng = random.Random(20_26 + len(self._symbols))
        if not self.worlds:
            self.worlds = [{} for _ in range(_WORLDS)]
        for a, name in dim_names.items():
            if name and name not in self._symbols:
                self._symbols[name] = leaves[a]
                for world in self.worlds:
                    world[leaves[a]] = rng.randint(3000, 6000)

    def covers(self, leaves: set[Leaf]) -> bool:
        """Whether every leaf is an input size these worlds draw."""
        inputs = set(self._symbols.values())
        return bool(leaves) and leaves <= inputs

    def extend(self, features: Mapping[str, Any]) -> None:
        """Every feature map's declared sizes (by ONNX tensor name) added to the worlds, once each."""
        for name, value in features.items():
            if name in self._done or not isinstance(value, Feature) or name not in self._text:
                continue
            self._done.add(name)
            dims = self._text[name]
            if len(dims) != value.rank + 2:
                continue
            for a in range(value.rank):
                key = Leaf(value.canon[a], 2 + a)
                size = self._value_all(dims[2 + a])
                if size is not None and key not in self.worlds[0]:
                    for world, v in zip(self.worlds, size, strict=True):
                        world[key] = v

    def _value_all(self, text: str) -> list[int] | None:
        if not text:
            return None
        if text not in self._parsed:
            try:  # SymPy's printing (torch's) capitalises min and max; the grammar does not
                self._parsed[text] = parse_expression(text.replace("Min(", "min(").replace("Max(", "max("),
                                                      SymbolTable())
            except ExpressionError:
                self._parsed[text] = None
        expr = self._parsed[text]
        if expr is None or not hasattr(expr, "free_symbols"):
            return None
        if not all(sym.name in self._symbols for sym in expr.free_symbols):
            return None
        if text not in self._compiled:
            self._compiled[text] = compile_at_points(expr)
        at = self._compiled[text]
        names = [sym.name for sym in expr.free_symbols]
        out = []
        for world in self.worlds:
            values = {name: world[self._symbols[name]] for name in names}
            if at is None:  # a form the compiled evaluation does not know: SymPy substitutes
                value = expr.xreplace({sym: values[sym.name] for sym in expr.free_symbols})
                if not value.is_Integer:
                    return None
                out.append(int(value))
                continue
            try:
                exact = at(values)
            except ZeroDivisionError:
                return None
            if exact.__class__ is not int and exact.denominator != 1:
                return None
            out.append(int(exact))
        return out
