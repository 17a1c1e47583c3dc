"""The layer behind a plan's mismatch (``mismatch.layer``): contract section 7's culprit rule, on the plan as one
graph (``convplan.frontends.plan``) evaluated up to the merge PyTorch refuses (``analyses.merges.culprit_of``,
the same rule and code as ``/v1/graph``)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from convplan.analyses.merges import culprit_of
from convplan.frontends.plan import merge_node_id, plan_graph
from convplan.frontends.stack import INPUT
from convplan.graph.coords import AxisMap
from convplan.graph.evaluate import Tensor, evaluate
from convplan.ops import Resolver, Value
from convplan.ops._context import text
from convplan.plan.program import Program

__all__ = ["add_culprit"]

_REASONS = {
    "drops_rows": "it drops input rows a window would read",
    "overhang": "a ceil-mode window runs past its input",
    "output_padding": "its output_padding can make the sizes equal",
    "border": "its output is not its input over its scale (borders lost or gained)",
    "scale": "it changes the scale",
}


def add_culprit(mismatch: dict[str, Any], encoder_size: list[Value], decoder_size: list[Value], program: Program,
                resolver: Resolver, size: list[Value], channels: Value | None) -> None:
    """Fill ``mismatch``'s ``layer`` and ``detail``; ``resolver``: a fresh one (its conditions are not the plan's)."""
    rank = len(size)
    maps = [AxisMap(INPUT, Fraction(1), Fraction(0))] * rank
    result = evaluate(plan_graph(program, rank).graph, resolver, {INPUT: Tensor(size, channels, maps)}, strict=True,
                      magnitude=False)
    merge = result.mismatch
    culprit = culprit_of(result, merge) if merge is not None and merge.node == merge_node_id(
        mismatch["decoder_stage"]) else None
    axis = mismatch["axis"]
    layer = None
    if culprit is not None:
        loc = result.by_id[culprit.node].node.loc
        layer = {"index": culprit.index, "op": culprit.op, "loc": list(loc),
                 "input_size": text(culprit.input_size[axis]), "unread": text(culprit.unread[axis]),
                 "overhang": text(culprit.overhang[axis]), "reason": culprit.reason}
        why = (f"layer {culprit.index} ({culprit.op}, {'/'.join(map(str, loc[1:]))}) on one path only: "
               f"{_REASONS[culprit.reason]} (input {layer['input_size']} on axis {axis}, {layer['unread']} row(s) "
               f"unread, overhang {layer['overhang']})")
    else:
        why = "no layer on one path only rounds or scales: the sizes differ by construction"
    mismatch["layer"] = layer
    mismatch["detail"] = (f"decoder stage {mismatch['decoder_stage']}: skip from encoder stage "
                          f"{mismatch['encoder_stage']} has size {[text(v) for v in encoder_size]}, the decoder map "
                          f"{[text(v) for v in decoder_size]}; {why}")
