"""A layered drawing of a DAG, in pure Python (no graphviz assumed).

Sugiyama's scheme, kept small: longest-path layering (a node one layer
below its deepest input), a dummy node on every layer an edge crosses,
barycentre ordering sweeps (down and up) keeping the order with the fewest
crossings, then x positions that pull each node over the mean of its
inputs, left to right without overlap.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Layout", "crossings", "layered_layout"]

_SWEEPS = 6


@dataclass(frozen=True)
class Layout:
    """``layer``/``x`` of every node and dummy; ``paths[(u, v)]``: the points' ids from u to v."""

    layer: dict[str, int]
    order: list[list[str]]
    x: dict[str, float]
    paths: dict[tuple[str, str], list[str]]
    dummies: frozenset[str]


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for u, v in edges:
        preds[v].append(u)
    layer: dict[str, int] = {}
    pending = list(nodes)
    # Longest path from the sources; ``nodes`` is normally topological, so one pass settles it,
    # and a node whose inputs are never settled (a cycle) is put below what is.
    for _ in range(len(nodes) + 1):
        waiting = []
        for n in pending:
            if all(p in layer for p in preds[n]):
                layer[n] = 1 + max((layer[p] for p in preds[n]), default=-1)
            else:
                waiting.append(n)
        if not waiting or len(waiting) == len(pending):
            pending = waiting
            break
        pending = waiting
    for n in pending:
        layer[n] = 1 + max((layer.get(p, 0) for p in preds[n]), default=-1)
    return layer


def crossings(order: list[list[str]], down: dict[str, list[str]]) -> int:
    """Edge crossings between adjacent layers."""
    total = 0
    for upper, lower in itertools.pairwise(order):
        position = {n: i for i, n in enumerate(lower)}
        segments = [(i, position[v]) for i, u in enumerate(upper) for v in down.get(u, []) if v in position]
        for k, (a, b) in enumerate(segments):
            total += sum(1 for c, d in segments[k + 1:] if (a - c) * (b - d) < 0)
    return total


def _sweep(order: list[list[str]], neighbours: dict[str, list[str]], reference: int, target: int) -> None:
    position = {n: i for i, n in enumerate(order[reference])}
    current = {n: i for i, n in enumerate(order[target])}

    def key(n: str) -> float:
        linked = [position[m] for m in neighbours.get(n, []) if m in position]
        return sum(linked) / len(linked) if linked else float(current[n])

    order[target].sort(key=key)


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]], widths: dict[str, float], *,
                   gap: float = 28.0, dummy_width: float = 12.0) -> Layout:
    """Layers, order and centre x of ``nodes`` (in a topological order) joined by ``edges``."""
    known = set(nodes)
    edges = [(u, v) for u, v in dict.fromkeys(edges) if u in known and v in known and u != v]
    layer = _layers(nodes, edges)
    down: dict[str, list[str]] = {}
    up: dict[str, list[str]] = {}
    paths: dict[tuple[str, str], list[str]] = {}
    dummies: list[str] = []
    for u, v in edges:
        if layer[v] <= layer[u]:  # only a cycle does this; drawn as is
            paths[(u, v)] = [u, v]
            continue
        chain = [u]
        for level in range(layer[u] + 1, layer[v]):
            dummy = f"\0{u}\0{v}\0{level}"
            layer[dummy] = level
            dummies.append(dummy)
            chain.append(dummy)
        chain.append(v)
        paths[(u, v)] = chain
        for a, b in itertools.pairwise(chain):
            down.setdefault(a, []).append(b)
            up.setdefault(b, []).append(a)
    depth = 1 + max(layer.values(), default=0)
    order: list[list[str]] = [[] for _ in range(depth)]
    for n in [*nodes, *dummies]:
        order[layer[n]].append(n)
    best, best_count = [list(row) for row in order], crossings(order, down)
    for _ in range(_SWEEPS):
        for k in range(1, depth):
            _sweep(order, up, k - 1, k)
        for k in range(depth - 2, -1, -1):
            _sweep(order, down, k + 1, k)
        count = crossings(order, down)
        if count < best_count:
            best, best_count = [list(row) for row in order], count
    width = {**widths, **dict.fromkeys(dummies, dummy_width)}
    x: dict[str, float] = {}
    for row in best:
        cursor = float("-inf")
        for n in row:
            linked = [x[m] for m in up.get(n, []) if m in x]
            wanted = sum(linked) / len(linked) if linked else 0.0
            half = width.get(n, dummy_width) / 2
            x[n] = max(wanted, cursor + half)
            cursor = x[n] + half + gap
    shift = min((x[n] - width.get(n, dummy_width) / 2 for n in x), default=0.0)
    x = {n: value - shift for n, value in x.items()}
    return Layout(layer, best, x, paths, frozenset(dummies))
