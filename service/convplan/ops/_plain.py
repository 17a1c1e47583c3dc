"""Plain-int parameters, for the ops' numeric fast paths.

An op's ``infer`` states its size rule once for numbers and symbols alike (``_values``), with a located
refusal for every check. Most requests are plain numbers that pass every check, and for them the general
rule's bookkeeping (resolving each value, wording each check) costs ten times the arithmetic. So a windowed
op first tries its rule on plain ints: the fast path returns None at the first thing it does not handle (a
symbol, an expression, a mode name, a value out of range, a check that would refuse), and ``infer`` then runs
the general rule, which words the refusal. tests/ops/test_plain_paths.py checks that both give the same
``LayerShape`` over random layers.

The fast path is a ``PlainRule``: what does not depend on the size (the window, the padding, the formulas, the
channels, parameters and warnings) is worked out once per parameters, rank and channels and remembered, and the
rule then computes sizes alone. A stack answered before runs its layers' rules without the evaluator
(shapes/templates.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from convplan.ops._shape import LayerShape

__all__ = ["PlainRule", "PlainSizes", "plain_axis_ints", "plain_pads", "plain_window_params", "remembered_rule"]


#: Per axis the output sizes, unread rows and overhang, and the MACs (None where a channel count is unknown).
PlainSizes = tuple[list[int], list[int], list[int], "int | None"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlainRule:
    """An op's fast path for fixed parameters, input rank and channels (``OpModel.plain_rule``): what does not
    depend on the size worked out once, and ``sizes(size)``, what does on the plain ints ``size``, or None where
    ``infer`` refuses there or needs the general rule. ``warnings``: what ``infer`` warns about on every size
    ``sizes`` answers. The op's ``infer`` runs it (``shape``); a stack answered before runs ``sizes`` alone
    (shapes/templates.py), so nothing but ``sizes`` may depend on the size. The shapes share the rule's
    lists (a ``LayerShape``'s lists are never changed in place)."""

    sizes: Callable[[list[int]], PlainSizes | None]
    out_channels: int | None
    padding: list[tuple[int, int]]
    formula: list[Any]
    params: int | None
    resolved: dict[str, Any]
    overlap: list[Any] | None = None
    warnings: tuple[str, ...] = ()

    def shape(self, size: list[int]) -> LayerShape | None:
        """``infer``'s ``LayerShape`` on ``size``, or None."""
        found = self.sizes(size)
        if found is None:
            return None
        out, unread, overhang, macs = found
        return LayerShape(out, self.out_channels, self.padding, self.formula, unread, overhang, self.params, macs,
                          self.resolved, self.overlap)


#: ``PlainRule`` by a layer's ``params_key`` and what else it was built from (``OpModel.remembered_plain_rule``);
#: None for "no rule". Bounded: past ``_MAX_RULES`` it starts over (a rule is cheap to build again).
_RULES: dict[tuple[Any, ...], PlainRule | None] = {}
_MAX_RULES = 4096


def remembered_rule(key: tuple[Any, ...], build: Callable[[], PlainRule | None]) -> PlainRule | None:
    """``build()`` once per ``key`` (a layer's params_key and whatever else the rule is built from)."""
    try:
        return _RULES[key]
    except KeyError:
        pass
    rule = build()
    if len(_RULES) >= _MAX_RULES:
        _RULES.clear()
    _RULES[key] = rule
    return rule


def plain_window_params(layer: Any, padding: Any, rank: int, limit: int, *,
                        dilation: bool = True) -> tuple[list[int], list[int], list[int], list[tuple[int, int]]] | None:
    """``window_params`` (ops/conv.py) and the padding pairs, for conv and the pools, on plain ints: kernel,
    stride (a pool's None: the kernel), dilation (1 where the op has none) and explicit padding; else None."""
    kernel = layer.kernel_size
    stride = layer.__dict__.get("stride", 1)  # a field's value (pools: None is "= kernel_size")
    dilated = layer.dilation if dilation else 1
    if (kernel.__class__ is int and dilated.__class__ is int and padding.__class__ is int
            and (stride is None or stride.__class__ is int)):
        return _scalar_window(kernel, stride, dilated, padding, rank, limit)  # most layers: one value for all axes
    k = plain_axis_ints(kernel, rank, 1, limit)
    s = k if stride is None else plain_axis_ints(stride, rank, 1, limit)
    d = plain_axis_ints(layer.dilation, rank, 1, limit) if dilation else [1] * rank
    pads = plain_pads(padding, rank, limit)
    if k is None or s is None or d is None or pads is None:
        return None
    return k, s, d, pads


@lru_cache(maxsize=1024)
def _scalar_window(kernel: int, stride: int | None, dilation: int, padding: int, rank: int,
                   limit: int) -> tuple[list[int], list[int], list[int], list[tuple[int, int]]] | None:
    """``plain_window_params`` of parameters given once for every axis, remembered (the lists are shared: the
    shapes built on them never change them)."""
    k = plain_axis_ints(kernel, rank, 1, limit)
    s = k if stride is None else plain_axis_ints(stride, rank, 1, limit)
    d = plain_axis_ints(dilation, rank, 1, limit)
    pads = plain_pads(padding, rank, limit)
    if k is None or s is None or d is None or pads is None:
        return None
    return k, s, d, pads


def plain_axis_ints(value: Any, rank: int, low: int, limit: int) -> list[int] | None:
    """A per-axis parameter (a scalar or one entry per axis) as ints in ``[low, limit]``, or None."""
    if value.__class__ is int:
        return [value] * rank if low <= value <= limit else None
    if value.__class__ is not list or len(value) != rank:
        return None
    for v in value:
        if v.__class__ is not int or not low <= v <= limit:
            return None
    return list(value)


def plain_pads(value: Any, rank: int, limit: int) -> list[tuple[int, int]] | None:
    """Explicit non-negative padding (an int, ``"valid"``, per axis an int or ``[before, after]``) as pairs,
    or None (a mode that depends on the size, a symbol, a negative amount)."""
    if value.__class__ is int:
        return [(value, value)] * rank if 0 <= value <= limit else None
    if value == "valid":
        return [(0, 0)] * rank
    if value.__class__ is not list or len(value) != rank:
        return None
    pairs = []
    for item in value:
        if item.__class__ is int:
            if not 0 <= item <= limit:
                return None
            pairs.append((item, item))
        elif item.__class__ is list and len(item) == 2:
            before, after = item
            if before.__class__ is not int or after.__class__ is not int:
                return None
            if not (0 <= before <= limit and 0 <= after <= limit):
                return None
            pairs.append((before, after))
        else:
            return None
    return pairs
