"""Helpers for driving the shape engine as a library."""

from __future__ import annotations

from typing import Any

import pytest

from convplan.errors import ConvplanError
from convplan.shapes import ShapesRequest, run_shapes


def shapes(input_size: list[Any], layers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return run_shapes(ShapesRequest.model_validate({"input_size": input_size, "layers": layers, **extra}))


def sizes(input_size: list[Any], *layers: dict[str, Any], **extra: Any) -> list[Any]:
    return shapes(input_size, list(layers), **extra)["output_size"]


def refused(input_size: list[Any], *layers: dict[str, Any], **extra: Any) -> ConvplanError:
    with pytest.raises(ConvplanError) as info:
        shapes(input_size, list(layers), **extra)
    return info.value
