"""From tensor shapes and parameters to a checked plan: rank, layout, sizes.

Shared by the library functions and the compute endpoint, so both refuse the
same things with the same locations. Result sizes always come from the
shape engine (``convplan.shapes.infer_layer`` on the op's model), never from
a second copy of a size rule; the kernels receive the engine's resolved
per-axis paddings and parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import prod
from typing import Any

from pydantic import ValidationError

from convplan.errors import ErrorItem, InvalidRequest, UnknownOp
from convplan.ops import COMPUTE_ONLY, COMPUTE_OPS, LayerShape, OpModel, unknown_op_message
from convplan.shapes.engine import infer_layer

__all__ = ["Plan", "make_plan", "validation_error"]

Loc = tuple[str | int, ...]


@dataclass
class Plan:
    op: str
    model: OpModel  # the checked layer: its kernel entry and compute work
    rank: int
    batched: bool
    shape: LayerShape
    params: dict[str, Any]
    input_shape: tuple[int, ...]
    #: The output's shape in the input's layout (batched or not).
    output_shape: tuple[int, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def output_elements(self) -> int:
        return prod(self.output_shape)


def validation_error(exc: ValidationError, loc: Loc, payload: Mapping[str, Any] | None = None) -> InvalidRequest:
    """A Pydantic error as a located 422 (union tags such as ``list[int]`` dropped)."""
    items = []
    for error in exc.errors():
        where = _strip_tags(tuple(error.get("loc", ())), payload)
        items.append(ErrorItem((*loc, *where), str(error.get("msg", "")), str(error.get("type", "")),
                               None, _axis_of(where)))
    first = items[0]
    where = ".".join(map(str, first.loc))
    detail = f"{len(items)} validation error{'s' if len(items) != 1 else ''}; first" \
             f"{f' at {where}' if where else ''}: {first.msg}"
    return InvalidRequest(detail, items)


def _strip_tags(loc: tuple[Any, ...], payload: Mapping[str, Any] | None) -> tuple[Any, ...]:
    out: list[Any] = []
    current: Any = payload
    for position, part in enumerate(loc):
        if (isinstance(current, Mapping) and isinstance(part, str) and part in current) or (
            isinstance(current, list) and type(part) is int and -len(current) <= part < len(current)
        ):
            current = current[part]
        elif isinstance(current, Mapping) and position == len(loc) - 1:
            current = None
        elif payload is not None:
            continue  # a union tag, not a key of the body
        out.append(part)
    return tuple(out)


def _axis_of(loc: tuple[Any, ...]) -> int | None:
    for position, part in enumerate(loc[:-1]):
        if isinstance(part, str) and type(loc[position + 1]) is int:
            return loc[position + 1]  # type: ignore[no-any-return]
    return None


def _rank(
    op: str, ndim: int, weight_ndim: int | None, params: Mapping[str, Any], spatial_rank: int | None, loc: Loc
) -> tuple[int, bool]:
    """Spatial rank and batchedness (contract section 4): hints from
    ``spatial_rank``, the weight, and any per-axis list; conflicting hints
    are a 422; with none the tensor is batched."""
    hints: list[tuple[Loc, int, str]] = []
    if spatial_rank is not None:
        hints.append(((*loc, "spatial_rank"), spatial_rank, "spatial_rank"))
    if weight_ndim is not None:
        hints.append(((*loc, "weight"), weight_ndim - 2, f"a weight of {weight_ndim} dimensions"))
    for name, value in params.items():
        if isinstance(value, list) and name not in COMPUTE_ONLY:
            hints.append(((*loc, name), len(value), f"{name} with {len(value)} values"))
    ranks = {r for _, r, _ in hints}
    if len(ranks) > 1:
        said = "; ".join(f"{why} says {r}" for _, r, why in hints)
        raise InvalidRequest(
            f"conflicting spatial rank hints: {said}",
            [ErrorItem(where, f"{why} implies spatial rank {r}", "value_error.rank") for where, r, why in hints],
        )
    if ranks:
        rank = ranks.pop()
        if not 1 <= rank <= 3:
            where, _, why = hints[0]
            raise InvalidRequest(
                f"{why} implies spatial rank {rank}; 1 to 3 are supported",
                [ErrorItem(where, "spatial rank must be 1 to 3", "value_error.rank")],
            )
        if ndim == rank + 2:
            return rank, True
        if ndim == rank + 1:
            return rank, False
        msg = (
            f"input has {ndim} dimensions; spatial rank {rank} needs {rank + 2} (N, C, *spatial) or "
            f"{rank + 1} (C, *spatial)"
        )
        raise InvalidRequest(msg, [ErrorItem((*loc, "input"), msg, "value_error.shape")])
    rank = ndim - 2
    if not 1 <= rank <= 3:
        msg = (
            f"input has {ndim} dimensions: batched (N, C, *spatial) with 1 to 3 spatial axes needs 3 to 5 "
            "(an unbatched input needs spatial_rank or another rank hint)"
        )
        raise InvalidRequest(msg, [ErrorItem((*loc, "input"), msg, "value_error.shape")])
    return rank, True


def _fail(loc: Loc, msg: str, kind: str = "value_error.shape") -> InvalidRequest:
    return InvalidRequest(msg, [ErrorItem(loc, msg, kind)])


def make_plan(
    op: str,
    shapes: Mapping[str, tuple[int, ...] | None],
    params: Mapping[str, Any],
    *,
    spatial_rank: int | None = None,
    loc: Loc = (),
) -> Plan:
    """Check shapes and parameters, run the op's size rule, and lay out the result."""
    op_model = COMPUTE_OPS.get(op)
    if op_model is None:
        message = unknown_op_message(op, list(COMPUTE_OPS), "compute ops")
        raise UnknownOp(message, [ErrorItem(("op",), message, "unknown_op")])
    x = shapes["input"]
    assert x is not None
    weight = shapes.get("weight")
    rank, batched = _rank(op, len(x), None if weight is None else len(weight), params, spatial_rank, loc)
    bx = x if batched else (1, *x)
    if weight is not None and len(weight) != rank + 2:
        raise _fail((*loc, "weight"), f"weight must have {rank + 2} dimensions, got {len(weight)}")
    indices = shapes.get("indices")
    if indices is not None and tuple(indices) != tuple(x):
        raise _fail((*loc, "indices"), f"indices must have the input's shape {list(x)}, got {list(indices)}")
    fields = op_model.compute_fields(op, params, shapes, bx, rank, loc)
    try:
        model = op_model.model_validate(fields)
    except ValidationError as exc:
        raise validation_error(exc, loc, fields) from None
    spatial, channels = list(bx[2:]), bx[1]
    shape = infer_layer(model, spatial, channels, loc=loc)
    out_channels = shape.out_channels if shape.out_channels is not None else channels
    out = (bx[0], int(out_channels), *(int(v) for v in shape.output_size))
    return Plan(op, model, rank, batched, shape, dict(params), tuple(x), out if batched else out[1:])
