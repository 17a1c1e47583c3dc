"""Stacks answered before, at any input size (``POST /v1/shapes`` on plain numbers).

A design tool trying input sizes re-sends one stack with a new ``input_size`` each time. The prefix memo,
keyed on the input, finds nothing; yet everything in the answer but the sizes is what it was last time: the
formulas, channels, parameters, padding, overlap, warnings and receptive fields of the layers that have a
``PlainRule`` (ops/_plain.py; a rule promises exactly that: convs, transposed convs, pools and shape-neutral
ops on explicit padding). A template keeps each layer's rendered JSON and rule; a request runs the rules along
the stack, from its input size, and fills in the sizes, unread rows, overhang and MACs.

A template is learned from an answer the engine (or the memo) gave, the second time a stack is asked for (a
stack edited once and never again costs only its key), and checked then: filled in at that answer's own
input, it must give that answer, else it is not kept. Where a rule declines (a size it refuses, or one above
the size limit) the engine answers, and words the refusal. ``run_shapes`` asks the templates only about
inputs the prefix memo has not seen (the memo reuses its entries as they are, which is faster still).
Bounded: past ``max_layers`` stored layers the templates start over.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convplan.ops import OpModel, PlainRule, Value
from convplan.ops._values import all_ints
from convplan.shapes.models import ShapesRequest

__all__ = ["StackTemplates"]


class _Layer(NamedTuple):
    rule: PlainRule
    document: dict[str, Any]  # the layer's JSON at the size it was learned at: copied, its sizes replaced


class _Template(NamedTuple):
    layers: tuple[_Layer, ...]
    head: dict[str, Any]  # the response's fields but the sizes, the MACs and the layers
    limit: int  # max_size: a computed size above it is the engine's refusal


#: An entry for a stack asked for once (learned the second time).
_SEEN = "seen"


class StackTemplates:
    """Templates by stack (the layers' ``params_key``, the input's rank and channels, training mode, the
    receptive-field period and the size limit); ``max_layers`` 0: off."""

    def __init__(self, max_layers: int) -> None:
        self.max_layers = max_layers
        # A template; None where the stack has none (a layer without a rule); _SEEN
        self._entries: dict[tuple[Any, ...], _Template | str | None] = {}
        self._layers = 0  # stored, counting one for an entry without layers

    def __len__(self) -> int:
        return len(self._entries)

    def answer(self, request: ShapesRequest, size: list[Value], channels: Value | None, limit: int,
               rf_period: int | None) -> tuple[tuple[Any, ...] | None, dict[str, Any] | None]:
        """The response from a template, or None; and the key to ``learn`` the engine's answer under (None where
        there is nothing to learn: a template declined this size, the stack has none or was not asked for
        before, or the request is not plain numbers)."""
        if not self.max_layers or request.symbols or not all_ints(size) or not (  # type: ignore[arg-type]
                channels is None or channels.__class__ is int):
            return None, None
        key = (len(size), channels, request.training, rf_period, limit,
               *[layer.params_key() for layer in request.layers])
        entry = self._entries.get(key, _ABSENT)
        if entry.__class__ is _Template:
            return None, _fill(entry, size)  # type: ignore[arg-type]
        if entry is _ABSENT:
            self._store(key, _SEEN, 1)
        return (key if entry is _SEEN else None), None

    def learn(self, key: tuple[Any, ...], request: ShapesRequest, size: list[int], response: dict[str, Any],
              limit: int) -> None:
        """Keep ``response`` (the engine's, for ``request`` on the resolved input ``size``) as the template for
        ``key``, where every layer has a rule and the template gives ``response`` back."""
        template = _template(request.layers, response, key[0], limit)
        if template is not None and _fill(template, size) != response:
            template = None  # a rule that does not say what its op does: the engine answers this stack
        self._store(key, template, 1 if template is None else len(template.layers))

    def _store(self, key: tuple[Any, ...], entry: _Template | str | None, layers: int) -> None:
        if self._layers + layers > self.max_layers:
            self._entries.clear()
            self._layers = 0
            if layers > self.max_layers:
                return
        self._entries[key] = entry
        self._layers += layers


_ABSENT = object()


def _template(layers: list[OpModel], response: dict[str, Any], rank: int, limit: int) -> _Template | None:
    steps = []
    for layer, document in zip(layers, response["layers"]):
        if len(document["input_size"]) != rank:
            return None  # after a flatten
        rule = layer.remembered_plain_rule(rank, document["in_channels"], limit)
        if rule is None:
            return None
        steps.append(_Layer(rule, document))
    head = {k: v for k, v in response.items() if k not in ("output_size", "macs", "layers")}
    return _Template(tuple(steps), head, limit)


def _fill(template: _Template, size: list[int]) -> dict[str, Any] | None:
    """The response at ``size``, or None where a rule declines or a size is above the limit."""
    limit = template.limit  # the input is in range: resolved as the engine resolves it (``resolve_input``)
    layers = []
    macs: int | None = 0
    current = size
    before: tuple[PlainRule | None, list[int], Any] = (None, [], None)  # the last layer's rule, input and sizes
    for rule, document in template.layers:
        if rule is before[0] and current == before[1]:
            found = before[2]  # the same layer on the same input (the second conv of most blocks): the same sizes
        else:
            found = rule.sizes(current)
            if found is None:
                return None
            before = (rule, current, found)
        out, unread, overhang, layer_macs = found
        for o in out:
            if o > limit:
                return None
        layer = document.copy()
        layer["input_size"] = current
        layer["output_size"] = out
        layer["unread"] = unread
        layer["overhang"] = overhang
        layer["macs"] = layer_macs
        if macs is not None:
            macs = None if layer_macs is None else macs + layer_macs
        layers.append(layer)
        current = out
    head = template.head
    return {"output_size": list(current), "output_size_latex": head["output_size_latex"],
            "out_channels": head["out_channels"], "out_channels_latex": None, "params": head["params"],
            "params_latex": None, "macs": macs, "macs_latex": None, "conditions": [],
            "warnings": head["warnings"], "layers": layers}
