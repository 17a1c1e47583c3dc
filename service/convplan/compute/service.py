"""``POST /v1/compute/{op}`` as a library call (no FastAPI here).

Order matters: (1) count and check every tensor's nested lists (413 over
``max_input_elements`` before any array exists); (2) validate the parameters;
(3) plan the op with the shape engine (sizes, rank, layout: every 422 PyTorch
would raise); (4) count the response's elements, explain arrays included
(413 over ``max_output_elements``) and bound the arithmetic; (5) build the
arrays and compute; (6) refuse a result that overflowed to infinity (422).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import ValidationError

from convplan.compute.models import COMPUTE_OPS, PARAMS, TENSOR_FIELDS
from convplan.compute.tensors import Measured, build, measure
from convplan.errors import ErrorItem, InvalidRequest, LimitExceeded, UnknownOp
from convplan.numeric._explain import explain_sizes, explain_view
from convplan.numeric._plan import make_plan, validation_error
from convplan.numeric._run import run
from convplan.ops import unknown_op_message

__all__ = ["MAX_WORK", "run_compute"]

#: Default of the ``max_compute_work`` setting: most multiply-adds (or window
#: reads) of one request, a bound on time for inputs that are small but
#: expensive (a large kernel on a padded input).
MAX_WORK = 500_000_000


def _limit(what: str, count: int, limit: int, name: str, loc: tuple[Any, ...]) -> LimitExceeded:
    return LimitExceeded(
        f"{what}: {count} elements, over the limit of {limit}",
        [ErrorItem(loc, f"{count} elements over the limit {limit}", f"limit.{name}")],
        extra={"limit": name, "value": limit},
    )


def _tensors(op: str, body: Mapping[str, Any], limit: int) -> dict[str, Measured | None]:
    used = 0
    out: dict[str, Measured | None] = {}
    for name, required, integer in TENSOR_FIELDS[op]:
        value = body.get(name)
        if value is None:
            if required:
                raise InvalidRequest(f"{name}: field required",
                                     [ErrorItem((name,), "Field required", "missing")])
            out[name] = None
            continue
        measured = measure(value, (name,), budget=limit - used, limit=limit, integer=integer)
        used += measured.size
        out[name] = measured
    return out



def run_compute(op: str, body: Any, settings: Any) -> dict[str, Any]:
    """The response as a dict of NumPy arrays and plain values (JSON via orjson)."""
    if op not in PARAMS:
        message = unknown_op_message(op, PARAMS, "compute ops")
        raise UnknownOp(message, [ErrorItem(("op",), message, "unknown_op")])
    if not isinstance(body, dict):
        raise InvalidRequest("the request must be a JSON object",
                             [ErrorItem((), "must be a JSON object", "model_type")])
    measured = _tensors(op, body, settings.max_input_elements)
    raw = {k: v for k, v in body.items() if k not in measured}
    try:
        params = PARAMS[op].model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc, (), raw) from None
    model = COMPUTE_OPS[op]
    if params.explain and not model.explainable:
        msg = f"explain is only available for {', '.join(o for o, m in COMPUTE_OPS.items() if m.explainable)}"
        raise InvalidRequest(msg, [ErrorItem(("explain",), msg, "value_error.explain")])
    values = params.model_dump(exclude={"spatial_rank", "explain"})
    shapes = {k: (None if v is None else v.shape) for k, v in measured.items()}
    plan = make_plan(op, shapes, values, spatial_rank=params.spatial_rank)

    with_indices = model.returns_indices(params)
    count = plan.output_elements * (2 if with_indices else 1)
    matrix, omitted = False, None
    if params.explain:
        sizes = explain_sizes(plan, shapes["weight"], shapes.get("bias") is not None)  # type: ignore[arg-type]
        count += sizes["zero_inserted"] + sizes["padded"] + sizes["equivalent_conv"]
        if sizes["conv_matrix"] > settings.max_conv_matrix_elements:
            omitted = (f"the matrix would have {sizes['conv_matrix']} elements, over max_conv_matrix_elements "
                       f"({settings.max_conv_matrix_elements})")
        elif count + sizes["conv_matrix"] > settings.max_output_elements:
            omitted = (f"with the matrix ({sizes['conv_matrix']} elements) the response would be over "
                       f"max_output_elements ({settings.max_output_elements})")
        else:
            matrix = True
            count += sizes["conv_matrix"]
    if count > settings.max_output_elements:
        raise _limit("the response", count, settings.max_output_elements, "max_output_elements", ())
    work = plan.model.compute_work(plan.shape, shapes, plan.output_elements)
    max_work = getattr(settings, "max_compute_work", MAX_WORK)
    if work > max_work:
        raise LimitExceeded(f"about {work} multiply-adds, over the limit of {max_work} for one request",
                            [ErrorItem((), f"over {max_work} multiply-adds", "limit.compute_work")],
                            extra={"limit": "max_compute_work", "value": max_work})

    arrays = {k: (None if v is None else build(v, integer=k == "indices")) for k, v in measured.items()}
    with np.errstate(over="ignore", invalid="ignore"):
        outputs = run(plan, arrays)
        response: dict[str, Any] = {"output": outputs["output"], "shape": list(outputs["output"].shape)}
        if with_indices:
            response["indices"] = outputs["indices"]
        if params.explain:
            x, w = arrays["input"], arrays["weight"]
            assert x is not None and w is not None
            response["explain"] = explain_view(plan, x, w, arrays.get("bias"), outputs["output"], matrix=matrix,
                                               omitted=omitted)
    if not np.isfinite(outputs["output"]).all():
        msg = "the result overflows float64 (a value is infinite or NaN)"
        raise InvalidRequest(msg, [ErrorItem(("input",), msg, "value_error.overflow")])
    return response
