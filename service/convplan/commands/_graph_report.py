"""A /v1/graph response as a readable report: sizes per node, merges, the mismatch, valid input sizes."""

from __future__ import annotations

from typing import Any

from convplan.commands._output import fmt_axes, fmt_channels, fmt_int, table

__all__ = ["graph_report"]


def _sizes(node: dict[str, Any]) -> str:
    inputs = node.get("input_size") or []
    first = fmt_axes(inputs[0]) if inputs else "-"
    return f"{first} -> {fmt_axes(node.get('output_size'))}"


def _channels(node: dict[str, Any]) -> str:
    """``in -> out``; a merge's inputs as ``a + b`` (concat) or ``a, b``."""
    cin = node.get("in_channels")
    if isinstance(cin, list):
        joined = (" + " if node.get("op") == "concat" else ", ").join(fmt_int(c) for c in cin)
        return fmt_channels({"in_channels": joined if len(cin) > 1 else (cin[0] if cin else None),
                             "out_channels": node.get("out_channels")})
    return fmt_channels(node)


def _nodes(analysis: dict[str, Any]) -> str:
    rows = [[str(n.get("id")), str(n.get("op")), _sizes(n), _channels(n)] for n in analysis.get("nodes") or []]
    return table(["node", "op", "size", "channels"], rows)


def _merges(analysis: dict[str, Any]) -> str:
    rows = []
    for m in analysis.get("merges") or []:
        culprit = m.get("culprit") or {}
        rows.append([str(m.get("node")), " | ".join(fmt_axes(s) for s in m.get("sizes") or []),
                     "yes" if m.get("aligned") else "no", str(m.get("applied") or "-"),
                     f"{culprit.get('node')} ({culprit.get('reason')})" if culprit else "-"])
    return table(["merge", "sizes", "aligned", "applied", "culprit"], rows) if rows else "merges: none"


def _size_set(entry: Any) -> str:
    if not isinstance(entry, dict):
        return "none" if entry is None else str(entry)
    residues = entry.get("residues") or []
    modulus = entry.get("modulus")
    low, high = entry.get("min"), entry.get("max")
    extra = entry.get("extra") or []
    if not residues:
        return f"only {extra}" if extra else "none"
    text = f"i mod {modulus} in {residues}" if modulus not in (None, 1) else "every i"
    bounds = f", {low} <= i" + (f" <= {high}" if high is not None else "") if low is not None else ""
    nearest = entry.get("nearest") or {}
    near = [str(nearest[k]) for k in ("below", "above") if nearest.get(k) is not None]
    return text + bounds + (f", and {extra}" if extra else "") + (f" (nearest: {' / '.join(near)})" if near else "")


def _valid(analysis: dict[str, Any]) -> list[str]:
    valid = analysis.get("valid_input_sizes")
    if not valid:
        reason = analysis.get("valid_input_sizes_reason")
        return [f"valid input sizes: {reason}"] if reason else []
    axes = valid if isinstance(valid, list) else [valid]
    lines = ["valid input sizes:"]
    for a, axis in enumerate(axes):
        if not isinstance(axis, dict):
            continue
        lines.append(f"  axis {axis.get('axis', a)}:")
        for name in ("runs", "clean", "same_size"):
            if name in axis:
                lines.append(f"    {name:9} {_size_set(axis[name])}")
    return lines


def graph_report(analysis: dict[str, Any]) -> str:
    parts = [_nodes(analysis), "", _merges(analysis)]
    mismatch = analysis.get("mismatch")
    if mismatch:
        culprit = mismatch.get("culprit") or {}
        parts += ["", (f"mismatch at {mismatch.get('node')}, axis {mismatch.get('axis')}: sizes "
                       f"{mismatch.get('sizes')}; culprit {culprit.get('node', '-')} ({culprit.get('reason', '-')})")]
        if mismatch.get("detail"):
            parts.append(f"  {mismatch['detail']}")
    valid = _valid(analysis)
    if valid:
        parts += ["", *valid]
    for warning in analysis.get("warnings") or []:
        parts.append(f"warning: {warning}")
    parts += ["", "ok" if analysis.get("ok") else "NOT OK"]
    return "\n".join(parts)
