"""Channel bookkeeping shared by conv-like ops."""

from __future__ import annotations

from convplan.ops._context import LayerContext, show
from convplan.ops._values import Value, norm, vmod

__all__ = ["check_groups", "per_group"]


def check_groups(ctx: LayerContext, in_ch: Value | None, out_ch: Value | None, groups: Value) -> None:
    """PyTorch's ``_ConvNd.__init__``: both channel counts divisible by groups."""
    ctx.require(groups, ">=", 1, "groups must be a positive integer", param="groups", listed=False)
    if groups == 1:
        return  # every channel count is divisible by 1: nothing to check or to skip
    if in_ch is None:
        ctx.warn("in_channels unknown: the groups divisibility check was skipped")
    else:
        ctx.require(norm(vmod(in_ch, groups)), "==", 0, f"in_channels must be divisible by groups "
                    f"({show(in_ch)} by {show(groups)})", param="groups", listed=False)
    if out_ch is None:
        ctx.warn("out_channels unknown: the groups divisibility check was skipped")
    else:
        ctx.require(norm(vmod(out_ch, groups)), "==", 0, f"out_channels must be divisible by groups "
                    f"({show(out_ch)} by {show(groups)})", param="groups", listed=False)


def per_group(channels: Value, groups: Value) -> Value:
    if type(channels) is int and type(groups) is int:
        return channels // groups
    return norm(channels / groups)  # exact: divisibility was checked

