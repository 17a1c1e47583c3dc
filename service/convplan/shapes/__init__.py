"""The shape engine as a library: `run_shapes(ShapesRequest) -> dict`."""

from convplan.shapes.engine import (
    LayerRecord,
    StackResult,
    infer_layer,
    infer_stack,
    make_resolver,
    resolve_input,
    run_shapes,
)
from convplan.shapes.models import ShapesRequest, SymbolSpec

__all__ = [
    "LayerRecord",
    "ShapesRequest",
    "StackResult",
    "SymbolSpec",
    "infer_layer",
    "infer_stack",
    "make_resolver",
    "resolve_input",
    "run_shapes",
]
