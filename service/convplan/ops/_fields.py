"""Field types shared by the layer models, with their constraints in
``Annotated`` aliases so they show in the OpenAPI schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

__all__ = [
    "PAD_MODES",
    "LayerModel",
    "NodeRef",
    "Number",
    "PadAmounts",
    "Padding",
    "PerAxis",
    "PerAxisOptional",
    "Scalar",
    "ScaleFactor",
]

Scalar = Annotated[
    StrictInt | str,
    Field(
        description=(
            "An integer, or an expression over integers and symbol names: "
            "`+ - * / // %`, `**` with a small constant exponent, parentheses, "
            "`floor()`, `ceil()`, `min()`, `max()` (e.g. `\"H\"`, `\"16*n\"`)."
        ),
        examples=[3, "H", "16*n"],
    ),
]

PerAxis = Annotated[
    Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=3)],
    Field(description="One value for every spatial axis, or a list with one value per axis."),
]

PerAxisOptional = Annotated[
    Scalar | Annotated[list[Scalar | None], Field(min_length=1, max_length=3)],
    Field(description="As PerAxis; a null entry keeps that axis's input size (PyTorch's None)."),
]

NodeRef = Annotated[
    str,
    Field(pattern=r"^[A-Za-z_][A-Za-z0-9_./:-]{0,127}$",
          description="A node id or graph input name (`/v1/graph` only): that tensor's spatial size is used, as "
                      "`F.interpolate(x, size=y.shape[2:])` or a crop or pad to `y` does; an ordering edge, not an "
                      "input."),
]

PAD_MODES = ("valid", "same", "same_upper", "same_lower")

Pair = Annotated[list[Scalar], Field(min_length=2, max_length=2, description="[before, after]")]

Padding = Annotated[
    Scalar | Annotated[list[Scalar | Pair], Field(min_length=1, max_length=3)],
    Field(
        description=(
            "An int (or expression) for every side of every axis; `\"valid\"`; `\"same\"` (PyTorch's: "
            "conv with stride 1 only, odd extra after); `\"same_upper\"` / `\"same_lower\"` (ONNX "
            "auto_pad / TensorFlow SAME: odd extra after / before); or a list with one entry per "
            "axis, each an int or a `[before, after]` pair."
        ),
        examples=[1, "same_upper", [1, [0, 1]]],
    ),
]

PadAmounts = Annotated[
    Scalar | Annotated[list[Scalar | Pair], Field(min_length=1, max_length=3)],
    Field(description="Per axis an int (both sides) or a `[before, after]` pair; negative values crop."),
]

Number = Annotated[StrictFloat | StrictInt, Field(description="A number (PyTorch's float parameters).")]

ScaleFactor = Annotated[
    StrictFloat | StrictInt | Annotated[list[StrictFloat | StrictInt], Field(min_length=1, max_length=3)],
    Field(description="A positive number for every axis, or one per axis (PyTorch's scale_factor)."),
]


class LayerModel(BaseModel):
    """Base of every layer: an `op` and PyTorch-named parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)
