"""The ``output_padding`` the last ``conv_transpose`` of a decoder's ``up`` needs for an exact fit.

PyTorch allows ``output_padding < max(stride, dilation)`` (ATen's shape
check: "output padding must be smaller than either stride or dilation"), but
``forward(x, output_size=...)`` only accepts sizes within ``stride - 1`` of
the smallest (``_ConvTransposeNd._output_padding``): ``output_size_ok`` says
whether that window also takes the fit.
"""

from __future__ import annotations

from convplan.analyses.merges import keeps_shape
from convplan.errors import ConvplanError
from convplan.graph.holds import holds
from convplan.ops import NeedsSymbolic, Resolver, Value
from convplan.ops._values import norm, vmax
from convplan.shapes.engine import LayerRecord, infer_stack, make_resolver

__all__ = ["output_padding_fit"]



def output_padding_fit(resolver: Resolver, up: list[LayerRecord], target: list[Value]) -> tuple[list, list]:
    rank = len(target)
    last = max((k for k, r in enumerate(up) if hasattr(r.layer, "output_padding_fit")), default=None)
    if last is None:
        return [None] * rank, [None] * rank
    record, rest = up[last], up[last + 1:]
    r = record.shape.resolved
    current = r["output_padding"]
    base = [norm(record.shape.output_size[a] - current[a]) for a in range(rank)]  # output with padding 0
    legal = [norm(vmax(r["stride"][a], r["dilation"][a])) for a in range(rank)]
    if all(keeps_shape(x.layer, x.shape, x.input_size) for x in rest):
        need = [norm(target[a] - base[a]) for a in range(rank)]
    else:
        need = _search(rest, base, legal, target, record)
    fits: list[Value | None] = []
    ok: list[bool | None] = []
    for a in range(rank):
        v = need[a]
        # At symbolic sizes the value must be legal at every admissible size (floor((H - 3)/2) - 2*floor((H - 3)/4)
        # + 1 is 2 at half of them, which stride 2 refuses).
        if v is None or holds(v, ">=", 0, resolver) is not True or holds(v, "<", legal[a], resolver) is not True:
            fits.append(None)
            ok.append(None)
            continue
        fits.append(v)
        ok.append(holds(v, "<", r["stride"][a], resolver))
    return fits, ok


def _search(rest: list[LayerRecord], base: list[Value], legal: list[Value], target: list[Value],
            record: LayerRecord) -> list[Value | None]:
    """Layers after the conv_transpose change sizes: try each legal output_padding (numbers only)."""
    rank = len(base)
    if not all(type(v) is int for v in (*base, *legal, *target)):
        return [None] * rank
    found: list[Value | None] = [None] * rank
    for v in range(max(legal)):  # type: ignore[type-var]
        size = [base[a] + min(v, legal[a] - 1) for a in range(rank)]  # type: ignore[operator]
        try:
            out = infer_stack([x.layer for x in rest], size, record.shape.out_channels,
                              make_resolver(None, symbolic=False)).output_size
        except (ConvplanError, NeedsSymbolic):
            continue
        for a in range(rank):
            if found[a] is None and v < legal[a] and out[a] == target[a]:  # type: ignore[operator]
                found[a] = v
    return found
