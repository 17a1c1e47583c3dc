"""A test oracle: the sizes and channels of a /v1/graph body's nodes at given symbol values, by PyTorch's rules.

Only what the capture tests need to compare a captured body with running the
module: each op's output-size formula from the torch.nn documentation, merges
that must agree (``SizeMismatch`` where PyTorch's torch.cat / add would
raise). Expressions are parsed by ``convplan.expr`` (the service's parser).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from convplan.expr import SymbolTable, parse_scalar

__all__ = ["SizeMismatch", "evaluate"]


class SizeMismatch(Exception):
    """A merge of unequal sizes, or a size below 1: PyTorch would raise."""


def evaluate(body: Mapping[str, Any], env: Mapping[str, int]) -> dict[str, tuple[int, list[int]]]:
    """``{name: (channels, sizes)}`` for the input and every node, at the symbol values ``env``."""
    table = SymbolTable()

    def num(value: Any) -> int:
        if isinstance(value, int):
            return value
        expr = parse_scalar(value, table)
        return int(expr) if isinstance(expr, int) else int(expr.subs({s: env[s.name] for s in expr.free_symbols}))

    (x,) = body["inputs"]
    out: dict[str, tuple[int, list[int]]] = {x["name"]: (x["channels"], [num(s) for s in x["size"]])}
    for node in body["nodes"]:
        ins = [out[name] for name in node["inputs"]]
        if "size_of" in node:
            node = _fitted(node, ins[0][1], out[node["size_of"]][1])
        channels, sizes = _node(node, ins, num)
        if any(s < 1 for s in sizes):
            raise SizeMismatch(f"{node['id']}: size {sizes}")
        out[node["id"]] = (channels, sizes)
    return out


def _fitted(node: Mapping[str, Any], size: list[int], target: list[int]) -> dict[str, Any]:
    """``size_of``: the node with its amounts (crop, pad) or ``size`` (upsample, adaptive pools) made explicit."""
    rest = {k: v for k, v in node.items() if k not in {"size_of", "axes", "anchor"}}
    if node["op"] not in {"crop", "pad"}:
        return {**rest, "size" if node["op"] == "upsample" else "output_size": list(target)}
    pairs = [[0, 0] for _ in size]
    for a in node.get("axes") or range(len(size)):
        d = abs(size[a] - target[a])
        before = {"center": d // 2, "start": 0, "end": d}[node.get("anchor", "center")]
        pairs[a] = [before, d - before]
    return {**rest, "crop" if node["op"] == "crop" else "padding": pairs}


def _axes(value: Any, rank: int) -> list[Any]:
    return list(value) if isinstance(value, list) else [value] * rank


def _window(i: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = i + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= i + p else out  # torch.nn.MaxPool2d: the last window starts inside


def _node(node: Mapping[str, Any], ins: list[tuple[int, list[int]]], num: Any) -> tuple[int, list[int]]:
    op = node["op"]
    channels, sizes = ins[0]
    rank = len(sizes)
    ax = {key: [num(v) for v in _axes(node[key], rank)] for key in
          ("kernel_size", "stride", "dilation", "output_padding") if key in node and node[key] is not None}
    if op in {"conv", "max_pool", "avg_pool"}:
        k, s = ax["kernel_size"], ax.get("stride", ax["kernel_size"])
        d = ax.get("dilation", [1] * rank)
        if op == "conv" and node.get("padding") == "same":
            return node["out_channels"], sizes
        pad = [0] * rank if node.get("padding") == "valid" else [num(p) for p in _axes(node.get("padding", 0), rank)]
        new = [_window(i, k[a], s[a], pad[a], d[a], node.get("ceil_mode", False)) for a, i in enumerate(sizes)]
        return (node["out_channels"] if op == "conv" else channels), new
    if op == "conv_transpose":
        if "output_size" in node:
            return node["out_channels"], [num(v) for v in node["output_size"]]
        k, s, d = ax["kernel_size"], ax["stride"], ax["dilation"]
        pad = [num(p) for p in _axes(node["padding"], rank)]
        op_ = ax.get("output_padding", [0] * rank)
        return node["out_channels"], [(i - 1) * s[a] - 2 * pad[a] + d[a] * (k[a] - 1) + op_[a] + 1
                                      for a, i in enumerate(sizes)]
    if op in {"adaptive_avg_pool", "adaptive_max_pool"}:
        return channels, [num(v) for v in _axes(node["output_size"], rank)]
    if op == "max_unpool":
        return channels, [num(v) for v in node["output_size"]]
    if op == "upsample":
        if "size" in node:
            return channels, [num(v) for v in _axes(node["size"], rank)]
        return channels, [math.floor(i * f) for i, f in zip(sizes, _axes(node["scale_factor"], rank))]
    if op == "pixel_shuffle":
        r = node["upscale_factor"]
        return channels // r**rank, [i * r for i in sizes]
    if op == "pixel_unshuffle":
        r = node["downscale_factor"]
        return channels * r**rank, [i // r for i in sizes]
    if op in {"pad", "crop"}:
        sign = 1 if op == "pad" else -1
        pairs = node["padding"] if op == "pad" else node["crop"]
        return channels, [i + sign * (num(b) + num(e)) for i, (b, e) in zip(sizes, pairs)]
    if op in {"concat", "add", "mul"}:
        return _merge(node, ins)
    if op == "flatten":
        return channels * math.prod(sizes), []
    if op == "linear":
        assert channels == node["in_features"], node
        return node["out_features"], []
    return channels, sizes  # shape-neutral


def _merge(node: Mapping[str, Any], ins: list[tuple[int, list[int]]]) -> tuple[int, list[int]]:
    if node["op"] == "concat":
        if any(s != ins[0][1] for _, s in ins):
            raise SizeMismatch(f"{node['id']}: concat of {[s for _, s in ins]}")
        return sum(c for c, _ in ins), ins[0][1]
    rows = [(c, s) for c, s in ins] + ([(1, node["other_size"])] if "other_size" in node else [])
    out = []
    for column in zip(*[[c, *s] for c, s in rows]):
        big = max(column)
        if any(v not in (1, big) for v in column):
            raise SizeMismatch(f"{node['id']}: {node['op']} of {rows}")
        out.append(big)
    return out[0], out[1:]
