"""Running a checked plan: batch the arrays, call the op's kernel, restore the layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from convplan.numeric._plan import Plan
from convplan.ops import Outputs

__all__ = ["run"]


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
        # The op's kernel is prepared from the batched shapes (everything but the values) and kept on the
        # plan: the library caches plans, so a repeated call goes straight to the array work.
        prepared = (shapes, plan.model.kernel(plan.shape, dict(shapes), plan.batched))
        plan.extra["runner"] = prepared
    outputs = prepared[1](x, a)
    if not plan.batched:
        outputs = {k: v[0] for k, v in outputs.items()}
    return outputs
