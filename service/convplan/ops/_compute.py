"""What an op declares to be a compute op (``POST /v1/compute/{op}``, ``convplan.numeric``).

An op model that computes sets ``compute_params`` (the request's parameters,
numbers only, as a Pydantic model), ``compute_request`` (the whole body, for
the OpenAPI document), ``tensors`` and implements ``kernel``; see
``OpModel``. The field types here are those of the compute requests: plain
integers where the layer models take expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

if TYPE_CHECKING:
    from convplan.ops._base import LayerShape

__all__ = [
    "COMPUTE_ONLY",
    "Arrays",
    "ComputeParams",
    "IntPadding",
    "IntPerAxis",
    "Outputs",
    "Runner",
    "Shapes",
    "SpatialRank",
    "Tensor",
    "TensorField",
    "output_ints",
    "pad_pairs",
    "resolved_ints",
]

IntPerAxis = Annotated[
    StrictInt | Annotated[list[StrictInt], Field(min_length=1, max_length=3)],
    Field(description="An integer for every spatial axis, or one per axis."),
]
_Pair = Annotated[list[StrictInt], Field(min_length=2, max_length=2, description="[before, after]")]
IntPadding = Annotated[
    StrictInt
    | Literal["valid", "same", "same_upper", "same_lower"]
    | Annotated[list[StrictInt | _Pair], Field(min_length=1, max_length=3)],
    Field(description="An int; `valid`; `same` (conv, stride 1); `same_upper`/`same_lower` (ONNX auto_pad); "
                      "or one int or `[before, after]` pair per axis."),
]
Tensor = Annotated[
    list[Any],
    Field(description="Nested lists of finite numbers (no booleans, NaN or Infinity), not ragged, not empty."),
]
SpatialRank = Annotated[
    Annotated[StrictInt, Field(ge=1, le=3)] | None,  # strict: `true` is not a rank (Literal[1] would take it)
    Field(description="Spatial rank, to accept an unbatched `(C, *spatial)` input; other hints: the weight, "
                      "a per-axis list, the length of `size`/`output_size`. Conflicting hints are a 422; "
                      "with none the input is batched `(N, C, *spatial)`."),
]


#: Compute parameters that are not the op model's (the size engine's) fields.
COMPUTE_ONLY = frozenset({"return_indices", "spatial_rank", "explain"})


class ComputeParams(BaseModel):
    """Base of every compute request's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spatial_rank: SpatialRank = None
    explain: StrictBool = Field(False, description="conv_transpose only: adds the explain view (a 422 elsewhere).")


class TensorField(NamedTuple):
    """A tensor of a compute request, in positional order (the first is the input)."""

    name: str
    required: bool = True
    integer: bool = False  # integer values (max_unpool's indices), not floats


Shapes = Mapping[str, "tuple[int, ...] | None"]
Arrays = Mapping[str, "np.ndarray | None"]
Outputs = dict[str, np.ndarray]
#: An op's prepared kernel: the batched input and every array in, ``output`` (and ``indices``) out.
Runner = Callable[[np.ndarray, Arrays], Outputs]


# A compute request is numeric, so its shape holds plain ints (the kernels want Python ints).
def pad_pairs(shape: LayerShape) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in shape.padding]


def resolved_ints(shape: LayerShape, name: str) -> list[int]:
    return [int(v) for v in shape.resolved[name]]


def output_ints(shape: LayerShape) -> list[int]:
    return [int(v) for v in shape.output_size]
