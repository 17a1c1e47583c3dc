"""Request schema of `POST /v1/shapes` (contract section 3)."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from convplan.errors import ErrorItem, LimitExceeded
from convplan.ops import OPS, Layer, OpModel
from convplan.ops._fields import Scalar

__all__ = [
    "InputSize",
    "LayerCount",
    "ShapesRequest",
    "SymbolName",
    "SymbolSpec",
    "Symbols",
    "Training",
    "check_layer_count",
    "count_layers",
    "count_raw_layers",
    "raw_count",
]

SymbolName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")]


class SymbolSpec(BaseModel):
    """Assumptions on one symbol: an integer at least `min`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: StrictInt = Field(default=1, ge=-1_000_000_000, le=1_000_000_000,
                           description="Smallest admissible value (default 1).")


Symbols = Annotated[
    dict[SymbolName, SymbolSpec],
    Field(description="Symbols are integers >= 1 unless listed here, e.g. `{\"p\": {\"min\": 0}}`."),
]

Training = Annotated[
    StrictBool,
    Field(description="Modules in training mode (PyTorch's `module.train()`): norms use batch statistics, so "
                      "`batch_norm` refuses one value per channel and `instance_norm` with running statistics one "
                      "spatial element. Default: eval."),
]

InputSize = Annotated[
    list[Scalar],
    Field(min_length=1, max_length=3, description="Spatial sizes, one per axis (rank 1 to 3).",
          examples=[[572, 572], ["16*n", "16*n"]]),
]


class ShapesRequest(BaseModel):
    """A stack of layers applied to an input of the given spatial size."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "input_size": [572],
                    "in_channels": 1,
                    "layers": [
                        {"op": "conv", "kernel_size": 3, "out_channels": 64},
                        {"op": "relu"},
                        {"op": "max_pool", "kernel_size": 2},
                    ],
                }
            ]
        },
    )

    input_size: InputSize
    in_channels: Scalar | None = Field(default=None, description="Channels of the input; null = unknown.")
    symbols: Symbols | None = None
    layers: list[Layer] = Field(description="Applied in order.")
    training: Training = False

    @classmethod
    def check_raw_volume(cls, raw: Any, limits: Any) -> None:
        """The layer limit on the parsed JSON, before any layer is validated: a body of a million
        layers is a 413 in microseconds, not after seconds of validation."""
        if isinstance(raw, dict):
            check_layer_count(count_raw_layers(raw.get("layers")), limits, ("layers",))


def raw_count(items: Any) -> int:
    """Items of a JSON list (0 for anything else: validation reports that)."""
    return len(items) if isinstance(items, list) else 0


#: Layers as the ``max_layers`` limit counts them: (other layers, shape-neutral layers).
LayerCount = tuple[int, int]

_NEUTRAL_OPS = frozenset(name for name, model in OPS.items() if model.shape_neutral)


def count_raw_layers(items: Any) -> LayerCount:
    """The layers of a JSON list, by the ``op`` each names (an unknown op counts fully: validation refuses it)."""
    if not isinstance(items, list):
        return 0, 0
    neutral = sum(1 for item in items if isinstance(item, dict) and isinstance(item.get("op"), str)
                  and item["op"] in _NEUTRAL_OPS)
    return len(items) - neutral, neutral


def count_layers(layers: Iterable[OpModel]) -> LayerCount:
    flags = [layer.shape_neutral for layer in layers]
    return flags.count(False), flags.count(True)


#: How many shape-neutral layers each other layer carries at the light weight (a conv's norm, activation and
#: dropout); neutral layers beyond that count fully (a stack of only activations keeps the plain layer limit).
NEUTRAL_PER_LAYER = 3


@lru_cache(maxsize=8)
def _exact_weight(weight: float) -> Fraction:
    return Fraction(str(weight))  # 0.1 is 1/10, as written


def check_layer_count(count: LayerCount, limits: Any, loc: tuple[str, ...]) -> None:
    """A shape-neutral layer weighs ``neutral_layer_weight``, for up to ``NEUTRAL_PER_LAYER`` per other layer
    (exact: a weight of 0.1 is 1/10, not a float sum)."""
    if limits is None:
        return
    full, neutral = count
    if full + neutral <= limits.max_layers:
        return  # every layer counting fully is within the limit (a weight is at most 1)
    light = min(neutral, NEUTRAL_PER_LAYER * full)
    weight = _exact_weight(limits.neutral_layer_weight)
    if full + (neutral - light) + light * weight <= limits.max_layers:
        return
    what = "layers" if loc == ("layers",) else "layers (over all stages)"
    counted = (f"{full + neutral} {what}" if not light else
               f"{full + neutral} {what}, {light} of them shape-neutral counting {weight} each,")
    raise LimitExceeded(f"{counted} is over the limit {limits.max_layers}",
                        [ErrorItem(loc, f"at most {limits.max_layers} layers", "limit.layers")])
