"""The op registry and what a size rule returns.

Every op is one module in this package: a Pydantic model with PyTorch-named
parameters (its request schema) whose ``infer`` is the size rule. Modules are
discovered automatically, so adding an op is adding a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from pydantic import BaseModel

from convplan.ops._compute import COMPUTE_ONLY, Runner, Shapes, TensorField
from convplan.ops._context import LayerContext
from convplan.ops._fields import LayerModel
from convplan.ops._values import Value

__all__ = ["OPS", "LayerShape", "OpModel", "register"]


@dataclass
class LayerShape:
    """A layer's result: sizes per axis and what the response reports."""

    output_size: list[Value]
    out_channels: Value | None
    padding: list[tuple[Value, Value]]
    formula: list[Value | str]
    unread: list[Value]
    overhang: list[Value]
    params: Value | None = 0
    macs: Value | None = 0
    # Resolved per-axis parameters (kernel, stride, dilation, output_padding, ...)
    # for the numeric core and the coordinate maps.
    resolved: dict[str, Any] = field(default_factory=dict)


class OpModel(LayerModel):
    """A layer op: parameters, size rule, coordinate map, compute entry and command-line
    names, defined once: code outside ``convplan.ops`` asks the op, never switches on its name."""

    #: `op` names this model accepts (most ops have one).
    names: ClassVar[tuple[str, ...]] = ()
    #: Whether the op changes sizes with a stride (used by the planner's validity rule).
    strided: ClassVar[bool] = False
    #: Whether each output row is a strided window over the input (conv and pools: the size ratio is
    #: 1/stride, and rows past the last window are left unread), with ``kernel_size``, ``stride`` and
    #: ``dilation`` per axis in ``LayerShape.resolved``.
    windowed: ClassVar[bool] = False

    # -- the command line (convplan.commands) ------------------------------
    #: Other names of the op on the command line (``bn`` for ``batch_norm``), each to an op name.
    cli_names: ClassVar[Mapping[str, str]] = {}
    #: Short parameter names (``k`` for ``kernel_size``), each to a parameter of this model.
    cli_keys: ClassVar[Mapping[str, str]] = {}
    #: The parameter a bare first value stands for (``conv:3``); None: KEY=VALUE only.
    cli_main: ClassVar[str | None] = None

    # -- POST /v1/compute/{op} and convplan.numeric ------------------------
    #: The request's parameters (numbers only); None: not a compute op (404 on /v1/compute).
    compute_params: ClassVar[type[BaseModel] | None] = None
    #: The whole request body (parameters and tensors), for the OpenAPI document.
    compute_request: ClassVar[type[BaseModel] | None] = None
    #: Where the op stands in the compute listings (the OpenAPI document's order).
    compute_order: ClassVar[int] = 0
    #: The request's tensors in positional order; the first is the input.
    tensors: ClassVar[tuple[TensorField, ...]] = (TensorField("input"),)
    #: Whether ``explain: true`` is available (conv_transpose's view of itself as a convolution).
    explainable: ClassVar[bool] = False

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        raise NotImplementedError

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        """Output pixel ``y`` sits at input coordinate ``a*y + b`` (pixel centres).

        None where no affine map exists (adaptive pools, explicit interpolation
        sizes with ``align_corners``... see each op)."""
        return None

    @classmethod
    def compute_fields(cls, op: str, params: Mapping[str, Any], shapes: Shapes, batched_input: tuple[int, ...],
                       rank: int, loc: tuple) -> dict[str, Any]:
        """The op model's fields from a compute request's parameters (and its tensors' shapes)."""
        fields = {k: v for k, v in params.items() if k not in COMPUTE_ONLY and v is not None}
        return {"op": op, **fields}

    @classmethod
    def returns_indices(cls, params: BaseModel) -> bool:
        """Whether the compute response carries ``indices``."""
        return False

    def compute_work(self, shape: LayerShape, shapes: Shapes, output_elements: int) -> int:
        """Multiply-adds (or window reads) of one compute request: the bound on its time."""
        return output_elements

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        """The NumPy kernel for this layer and these batched tensor shapes (values come later)."""
        raise NotImplementedError(f"{self.op} has no numeric kernel")


OPS: dict[str, type[OpModel]] = {}


def register(cls: type[OpModel]) -> type[OpModel]:
    computes = cls.compute_params is not None
    if computes != (cls.compute_request is not None) or computes != (cls.kernel is not OpModel.kernel):
        raise RuntimeError(f"{cls.__name__}: a compute op declares compute_params, compute_request and kernel "
                           "together")
    for name in cls.names:
        if name in OPS:
            raise RuntimeError(f"op {name!r} registered twice")
        OPS[name] = cls
    return cls
