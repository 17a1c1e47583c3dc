"""A plan's mismatch (``mismatch``, under ``align: "none"``): the skip, its axes and the layer behind it,
contract section 7's culprit rule on the plan's graph (``analyses.merges.culprit_of``, the same rule and code
as ``/v1/graph``)."""

from __future__ import annotations

from typing import Any

from convplan.analyses.merges import culprit_of
from convplan.graph.align import MergeResult
from convplan.graph.evaluate import GraphResult
from convplan.ops._context import text
from convplan.plan.skips import SkipResult

__all__ = ["mismatch_of"]

_REASONS = {
    "drops_rows": "it drops input rows a window would read",
    "overhang": "a ceil-mode window runs past its input",
    "output_padding": "its output_padding can make the sizes equal",
    "border": "its output is not its input over its scale (borders lost or gained)",
    "scale": "it changes the scale",
}


def mismatch_of(result: GraphResult, merge: MergeResult, skip_index: int, skip: SkipResult) -> dict[str, Any]:
    decoder_stage, encoder_stage = skip.decoder_stage, skip.encoder_stage
    axes = [a for a, s in enumerate(skip.signs) if s != 0]
    axis = axes[0]
    out: dict[str, Any] = {"skip": skip_index, "decoder_stage": decoder_stage, "encoder_stage": encoder_stage,
                           "axis": axis, "axes": axes}
    culprit = culprit_of(result, merge)
    layer = None
    if culprit is not None:
        loc = result.by_id[culprit.node].node.loc
        layer = {"index": culprit.index, "op": culprit.op, "loc": list(loc),
                 "input_size": text(culprit.input_size[axis]), "unread": text(culprit.unread[axis]),
                 "overhang": text(culprit.overhang[axis]), "reason": culprit.reason}
        why = (f"layer {culprit.index} ({culprit.op}, {'/'.join(map(str, loc))}) on one path only: "
               f"{_REASONS[culprit.reason]} (input {layer['input_size']} on axis {axis}, {layer['unread']} row(s) "
               f"unread, overhang {layer['overhang']})")
    else:
        why = "no layer on one path only rounds or scales: the sizes differ by construction"
    out["layer"] = layer
    out["detail"] = (f"decoder stage {decoder_stage}: skip from encoder stage {encoder_stage} has size "
                     f"{[text(v) for v in skip.encoder_size]}, the decoder map {[text(v) for v in skip.decoder_size]}; "
                     f"{why}")
    return out
