"""Running a checked plan: batch the arrays, call the kernel, restore the layout."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from math import prod
from typing import Any

import numpy as np

from convplan.errors import ErrorItem, LayerError
from convplan.numeric._conv import prepare_conv, prepare_conv_transpose
from convplan.numeric._interp import prepare_interpolate
from convplan.numeric._plan import Plan
from convplan.numeric._pool import (
    adaptive_avg_pool_nd,
    adaptive_max_pool_nd,
    max_unpool_nd,
    padding_only_window,
    prepare_avg_pool,
    prepare_max_pool,
)
from convplan.numeric._shuffle import pixel_shuffle_nd, pixel_unshuffle_nd

__all__ = ["max_pool_padding_only_window", "run"]

Arrays = Mapping[str, np.ndarray | None]
Outputs = dict[str, np.ndarray]
Shape = tuple[int, ...]
Shapes = Mapping[str, "Shape | None"]


def _pads(plan: Plan) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in plan.shape.padding]


def _ints(plan: Plan, name: str) -> list[int]:
    return [int(v) for v in plan.shape.resolved[name]]


def _out(plan: Plan) -> list[int]:
    return [int(v) for v in plan.shape.output_size]


# Each op's runner is prepared from the plan and the batched arrays' shapes
# (everything but the values), then kept on the plan: the library caches
# plans, so a repeated call goes straight to the array work.
Runner = Callable[[np.ndarray, Arrays], Outputs]


def _conv(plan: Plan, x: Shape, a: Shapes) -> Runner:
    weight = a["weight"]
    assert weight is not None
    kernel = prepare_conv(x, weight[2:], weight[0], pads=_pads(plan), stride=_ints(plan, "stride"),
                          dilation=_ints(plan, "dilation"), groups=int(plan.shape.resolved["groups"]),
                          out=_out(plan), padding_mode=plan.params.get("padding_mode") or "zeros")
    return lambda x, a: {"output": kernel(x, a["weight"], a.get("bias"))}  # type: ignore[arg-type]


def _conv_transpose(plan: Plan, x: Shape, a: Shapes) -> Runner:
    weight = a["weight"]
    assert weight is not None
    kernel = prepare_conv_transpose(x, weight[2:], weight[1], pads=_pads(plan), stride=_ints(plan, "stride"),
                                    dilation=_ints(plan, "dilation"), groups=int(plan.shape.resolved["groups"]),
                                    out=_out(plan))
    return lambda x, a: {"output": kernel(x, a["weight"], a.get("bias"))}  # type: ignore[arg-type]


def max_pool_padding_only_window(plan: Plan) -> tuple[int, int] | None:
    """``(axis, window)`` of a max_pool window that reads only padding (its value would be -inf), or None."""
    size = plan.input_shape[-plan.rank:]
    return padding_only_window(size, _pads(plan), _ints(plan, "kernel_size"), _ints(plan, "stride"),
                               _ints(plan, "dilation"), _out(plan))


def _max_pool(plan: Plan, x: Shape, a: Shapes) -> Runner:
    kernel = prepare_max_pool(x, kernel=_ints(plan, "kernel_size"), stride=_ints(plan, "stride"),
                              dilation=_ints(plan, "dilation"), pads=_pads(plan), out=_out(plan))

    def run(x: np.ndarray, a: Arrays) -> Outputs:
        y, idx = kernel(x)
        return {"output": y, "indices": idx}

    return run


def _avg_pool(plan: Plan, x: Shape, a: Shapes) -> Runner:
    div = plan.params.get("divisor_override")
    kernel = prepare_avg_pool(x, kernel=_ints(plan, "kernel_size"), stride=_ints(plan, "stride"), pads=_pads(plan),
                              out=_out(plan), count_include_pad=plan.params.get("count_include_pad", True) is not False,
                              divisor_override=None if div is None else int(div))
    return lambda x, a: {"output": kernel(x)}


def _adaptive_avg(plan: Plan, x: Shape, a: Shapes) -> Runner:
    out = _out(plan)
    return lambda x, a: {"output": adaptive_avg_pool_nd(x, out)}


def _adaptive_max(plan: Plan, x: Shape, a: Shapes) -> Runner:
    out = _out(plan)

    def run(x: np.ndarray, a: Arrays) -> Outputs:
        y, idx = adaptive_max_pool_nd(x, out)
        return {"output": y, "indices": idx}

    return run


def _max_unpool(plan: Plan, x: Shape, a: Shapes) -> Runner:
    return lambda x, a: _unpool(plan, x, a)


def _unpool(plan: Plan, x: np.ndarray, a: Arrays) -> Outputs:
    idx = a["indices"]
    assert idx is not None
    out = _out(plan)
    plane = prod(out)
    bad = (idx < 0) | (idx >= plane)
    if bad.any():
        first = tuple(int(v) for v in np.argwhere(bad)[0])
        value = int(idx[first])
        where = first if plan.batched else first[1:]
        reason = (f"Found an invalid max index: {value} (output volumes are of size "
                  f"{'x'.join(map(str, out))})")
        raise LayerError(reason, [ErrorItem(("body", "indices", *where), reason, "value_error.indices")])
    return {"output": max_unpool_nd(x, idx, out)}


def _upsample(plan: Plan, x: Shape, a: Shapes) -> Runner:
    # F.interpolate hands the kernel scale_factor only when sizes were not
    # given and recompute_scale_factor is falsy; otherwise the scale is in/out.
    scales = plan.shape.resolved.get("scale_factor") or [None] * plan.rank
    if plan.params.get("recompute_scale_factor"):
        scales = [None] * plan.rank
    mode = plan.params.get("mode") or "nearest"
    kernel = prepare_interpolate(x, _out(plan), mode=mode, scales=[None if s is None else float(s) for s in scales],
                                 align_corners=bool(plan.params.get("align_corners")),
                                 antialias=bool(plan.params.get("antialias")))
    return lambda x, a: {"output": kernel(x)}


def _pixel_shuffle(plan: Plan, x: Shape, a: Shapes) -> Runner:
    factor = int(plan.shape.resolved["factor"])
    return lambda x, a: {"output": pixel_shuffle_nd(x, factor)}


def _pixel_unshuffle(plan: Plan, x: Shape, a: Shapes) -> Runner:
    factor = int(plan.shape.resolved["factor"])
    return lambda x, a: {"output": pixel_unshuffle_nd(x, factor)}


_PREPARE: dict[str, Callable[[Plan, Shape, Shapes], Runner]] = {
    "conv": _conv,
    "conv_transpose": _conv_transpose,
    "max_pool": _max_pool,
    "avg_pool": _avg_pool,
    "adaptive_avg_pool": _adaptive_avg,
    "adaptive_max_pool": _adaptive_max,
    "max_unpool": _max_unpool,
    "upsample": _upsample,
    "pixel_shuffle": _pixel_shuffle,
    "pixel_unshuffle": _pixel_unshuffle,
}


def batched(plan: Plan, arrays: Mapping[str, Any]) -> dict[str, Any]:
    """``input`` and ``indices`` with a leading batch axis."""
    out = dict(arrays)
    if not plan.batched:
        for name in ("input", "indices"):
            if out.get(name) is not None:
                out[name] = out[name][None]
    return out


def run(plan: Plan, arrays: Mapping[str, np.ndarray | None]) -> Outputs:
    """Results in the input's layout: ``output`` (and ``indices`` for max pools)."""
    a = batched(plan, arrays)
    x = np.ascontiguousarray(a["input"], dtype=np.float64)
    shapes = tuple((k, None if v is None else v.shape) for k, v in a.items())
    prepared = plan.extra.get("runner")
    if prepared is None or prepared[0] != shapes:
        prepared = (shapes, _PREPARE[plan.op](plan, x.shape, dict(shapes)))
        plan.extra["runner"] = prepared
    outputs = prepared[1](x, a)
    if not plan.batched:
        outputs = {k: v[0] for k, v in outputs.items()}
    return outputs
