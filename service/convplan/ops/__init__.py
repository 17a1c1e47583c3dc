"""The layer vocabulary: one module per op family, discovered at import.

``Layer`` is the discriminated union of every registered op model (the
request schema); ``OPS`` maps an op name to its model. Each model's ``infer``
is its size rule, ``coord_map`` its coordinate map and ``rf_window`` its
receptive-field window; the rest of its protocol (compute entry, command-line
names) is described on ``OpModel``. ``unknown_op_message`` words the refusal
of a name that is no op (``Conv2d``: did you mean ``conv``?).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated, Union

from pydantic import Field

from convplan.ops._base import OPS, LayerShape, OpModel, register
from convplan.ops._compute import COMPUTE_ONLY, Outputs, Runner, Shapes, TensorField
from convplan.ops._context import Condition, LayerContext, NeedsSymbolic, Resolver
from convplan.ops._names import suggest_op, unknown_op_message
from convplan.ops._overlap import AxisOverlap, axis_overlap, checkerboard_warning
from convplan.ops._plain import PlainRule
from convplan.ops._values import Value
from convplan.ops._window import SymbolicWindow, Window, window_of_taps

__all__ = [
    "COMPUTE_ONLY",
    "COMPUTE_OPS",
    "OPS",
    "AxisOverlap",
    "Condition",
    "Layer",
    "LayerContext",
    "LayerShape",
    "NeedsSymbolic",
    "OpModel",
    "Outputs",
    "PlainRule",
    "Resolver",
    "Runner",
    "Shapes",
    "SymbolicWindow",
    "TensorField",
    "Value",
    "Window",
    "axis_overlap",
    "checkerboard_warning",
    "register",
    "suggest_op",
    "unknown_op_message",
    "window_of_taps",
]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    importlib.import_module(f"{__name__}.{_module}")

_MODELS = tuple(dict.fromkeys(OPS.values()))


def _compute_order(item: tuple[str, type[OpModel]]) -> tuple[int, int]:
    name, model = item
    return model.compute_order, model.names.index(name)


#: Every op ``POST /v1/compute/{op}`` runs, in listing order (``compute_order``, then the model's own names).
COMPUTE_OPS: dict[str, type[OpModel]] = dict(sorted(
    ((name, model) for name, model in OPS.items() if model.compute_params is not None), key=_compute_order))

Layer = Annotated[Union[_MODELS], Field(discriminator="op")]  # noqa: UP007 - built from the registry
