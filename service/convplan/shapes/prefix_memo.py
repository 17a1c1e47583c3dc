"""Stacks seen before, layer by layer (``POST /v1/shapes`` on plain numbers).

A design tool re-sends the whole stack at every edit: a layer appended, edited or removed near the end, the
input channels or a width changed. Every layer before the edit has the same input and parameters as last
time, so the same answer. The memo is a trie over layers: its root is the input (sizes, channels, training
mode), and each entry one layer's answer after the entries above it: the layer's rendered JSON (its index
is its depth), its output sizes and channels, the receptive fields after it and the running totals. A
request walks the trie as far as it matches, runs the engine on the rest from there (the receptive fields
continue from the last match), and adds what it computed.

Only plain numeric stacks are kept: where a value turns out symbolic, or a layer refuses, the request is
answered by the engine alone (a refusal's problem carries the layers before it). Bounded: past
``max_entries`` the memo starts over. Entries are shared between responses and never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from convplan.analyses.receptive_field import MAX_PERIOD, ReceptiveField, identity
from convplan.errors import ConvplanError
from convplan.ops import Resolver, Value
from convplan.ops._values import all_ints
from convplan.shapes.models import ShapesRequest
from convplan.shapes.render import render_layer, stack_fields

__all__ = ["PrefixMemo"]


class _Entry(NamedTuple):
    id: int
    layer: dict[str, Any]  # the rendered layer
    output_size: list[int]
    out_channels: int | None
    fields: list[ReceptiveField | None]  # after this layer, per axis
    params: int | None  # totals up to this layer (None once a layer's count is unknown)
    macs: int | None
    warnings: tuple[str, ...]  # this layer's, as the response lists them ("layer i: ...")


class PrefixMemo:
    """The trie (a dict from ``(parent entry id, layer key)`` to the entry); ``max_entries`` 0: off."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._roots: dict[tuple[Any, ...], int] = {}
        self._entries: dict[tuple[Any, ...], _Entry] = {}
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._entries)

    def knows_input(self, request: ShapesRequest) -> bool:
        """Whether a stack was answered on this input before: the trie then reuses what it can of it."""
        return (tuple(request.input_size), request.in_channels, request.training) in self._roots

    def run(self, request: ShapesRequest, resolver: Resolver, rf_period: int | None,
            compute: Callable[[], dict[str, Any]], infer: Callable[..., Any]) -> dict[str, Any]:
        """The response for ``request``: from the memo as far as it matches, ``infer`` (``infer_stack``) for the
        rest; ``compute()`` (the engine alone) where the memo does not apply."""
        size, channels = request.input_size, request.in_channels
        if (not self.max_entries or request.symbols or not all_ints(size)
                or not (channels is None or channels.__class__ is int)):
            return compute()
        root = (tuple(size), channels, request.training)
        parent = self._roots.get(root, 0)
        layers = request.layers
        found: list[_Entry] = []
        if parent:
            entries = self._entries
            for layer in layers:
                entry = entries.get((parent, layer.params_key()))
                if entry is None:
                    break
                found.append(entry)
                parent = entry.id
        if len(found) < len(layers):
            try:
                found.extend(self._compute_rest(request, resolver, rf_period, found, infer, root))
            except (ConvplanError, _Symbolic):
                return compute()  # the engine alone: its refusal carries every layer before it
        return self._response(request, found)

    def _compute_rest(self, request: ShapesRequest, resolver: Resolver, rf_period: int | None,
                      found: list[_Entry], infer: Callable[..., Any], root: tuple[Any, ...]) -> list[_Entry]:
        layers = request.layers
        start = len(found)
        if found:
            last = found[-1]
            size: list[Value] = list(last.output_size)
            channels: Value | None = last.out_channels
            fields, params, macs, parent = last.fields, last.params, last.macs, last.id
        else:
            size, channels = list(request.input_size), request.in_channels  # type: ignore[arg-type]
            fields, params, macs, parent = identity(len(size)), 0, 0, self._roots.get(root, 0)
        result = infer(layers[start:], size, channels, resolver, first_index=start)
        if resolver.saw_symbol:
            raise _Symbolic
        # At the input's rank: after a flatten the sizes have no axes left
        period = MAX_PERIOD if rf_period is None else rf_period
        per_layer = stack_fields(result.records, len(request.input_size), period, initial=fields)
        keep = len(result.records) <= self.max_entries
        if len(self._entries) + len(result.records) > self.max_entries:
            self._entries.clear()
            self._roots.clear()
            keep = keep and start == 0  # the entries above these layers are gone: keep none (no chain is wrong)
            parent = 0
        if keep and not parent:
            parent = self._new_root(root)
        rendered: dict[int, Any] = {}
        out = []
        for record, record_fields, layer in zip(result.records, per_layer, layers[start:]):
            shape = record.shape
            params = None if params is None or shape.params is None else params + shape.params
            macs = None if macs is None or shape.macs is None else macs + shape.macs
            entry = _Entry(self._next_id, render_layer(record, False, record_fields, rendered), shape.output_size,
                           shape.out_channels, record_fields, params, macs,
                           tuple(f"layer {record.index}: {w}" for w in record.warnings))
            self._next_id += 1
            if keep:
                self._entries[(parent, layer.params_key())] = entry
            parent = entry.id
            out.append(entry)
        return out

    def _new_root(self, root: tuple[Any, ...]) -> int:
        self._roots[root] = self._next_id
        self._next_id += 1
        return self._roots[root]

    @staticmethod
    def _response(request: ShapesRequest, found: list[_Entry]) -> dict[str, Any]:
        if found:
            last = found[-1]
            size, channels, params, macs = list(last.output_size), last.out_channels, last.params, last.macs
        else:
            size, channels, params, macs = list(request.input_size), request.in_channels, 0, 0
        return {
            "output_size": size, "output_size_latex": [None] * len(size),
            "out_channels": channels, "out_channels_latex": None,
            "params": params, "params_latex": None, "macs": macs, "macs_latex": None,
            "conditions": [], "warnings": [w for e in found for w in e.warnings],
            "layers": [e.layer for e in found],
        }


class _Symbolic(Exception):
    """A value turned out symbolic: the memo does not apply (the engine answers)."""
