"""Max unpooling (``torch.nn.MaxUnpoolNd``), the partial inverse of max pooling.

Default size ``(i-1)*s + k - pl - pr`` (no dilation term); an explicit
``output_size`` must lie strictly within ``stride`` of it
(``torch/nn/functional.py::_unpool_output_size``).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import prod
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from convplan.errors import ErrorItem, LayerError
from convplan.kernels.pool import max_unpool_nd
from convplan.ops._base import LayerShape, OpModel, OptionalOutputSize, register
from convplan.ops._compute import (
    Arrays,
    ComputeParams,
    IntPerAxis,
    Outputs,
    Runner,
    Shapes,
    Tensor,
    TensorField,
    output_ints,
)
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import PadAmounts, PerAxis
from convplan.ops._formula import affine, symbolic_formula
from convplan.ops._overlap import AxisOverlap, phase_overlap, with_overlap
from convplan.ops._values import Value, all_ints, norm
from convplan.ops._window import SymbolicWindow, Window
from convplan.ops.conv import window_params

__all__ = ["MaxUnpool", "MaxUnpoolParams", "MaxUnpoolRequest"]


class MaxUnpoolParams(ComputeParams):
    kernel_size: IntPerAxis
    stride: IntPerAxis | None = Field(None, description="Defaults to kernel_size.")
    padding: IntPerAxis = 0
    output_size: IntPerAxis | None = Field(None, description="Within stride of the default size (exclusive).")


class MaxUnpoolRequest(MaxUnpoolParams):
    input: Tensor
    indices: Tensor = Field(description="Integers, the input's shape: flat positions in each output plane "
                                        "(as max_pool returns them).")


@register
class MaxUnpool(OptionalOutputSize, OpModel):
    """Max unpooling: scatters each value to the position its index names."""

    names = ("max_unpool",)
    strided = True
    cli_names: ClassVar[Mapping[str, str]] = {"unpool": "max_unpool"}
    cli_keys: ClassVar[Mapping[str, str]] = {"k": "kernel_size", "s": "stride", "p": "padding", "os": "output_size",
                                             "from": "indices_from"}
    cli_main = "kernel_size"
    compute_params = MaxUnpoolParams
    compute_request = MaxUnpoolRequest
    compute_order = 70
    tensors = (TensorField("input"), TensorField("indices", integer=True))

    op: Literal["max_unpool"]
    kernel_size: PerAxis
    stride: PerAxis | None = Field(default=None, description="Defaults to kernel_size.")
    padding: PadAmounts = 0
    output_size: PerAxis | None = Field(default=None, description="Within stride of the default size.")
    indices_from: int | None = Field(
        default=None, ge=0,
        description="Plans only: the encoder stage whose last max_pool supplies the indices.",
    )

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        k, s, d, _ = window_params(ctx, self, dilation=False)
        pads = ctx.pairs("padding", self.padding)
        listed_pad = isinstance(self.padding, list)
        for a, (pl, pr) in enumerate(pads):
            for p in {id(pl): pl, id(pr): pr}.values():
                ctx.require(p, ">=", 0, "negative padding is not supported", axis=a, param="padding",
                            listed=listed_pad)
        default = [norm((i - 1) * s[a] + k[a] - pl - pr) for a, (i, (pl, pr)) in enumerate(zip(size, pads))]
        # In a plan graph, indices_from's pool input arrives as size_of: PyTorch's output size with those indices.
        fixed = self.output_size is not None or (self.indices_from is not None and ctx.size_of is not None)
        if not fixed:
            out = default
        else:
            out = ctx.per_axis("output_size", self.output_size) if self.output_size is not None else ctx.target_size()
            listed = isinstance(self.output_size, list)
            for a in range(ctx.rank):
                low, high = norm(default[a] - s[a]), norm(default[a] + s[a])
                reason = (f"invalid output_size {show(out[a])} (dim {a} must be between {show(low)} and {show(high)}, "
                          "exclusive)")
                ctx.require(out[a], ">", low, reason, axis=a, param="output_size", listed=listed)
                ctx.require(out[a], "<", high, reason, axis=a, param="output_size", listed=listed)
        formula: list[Value | str] = []
        for a, (pl, pr) in enumerate(pads):
            ctx.require(out[a], ">=", 1, f"output size {show(out[a])} is too small", axis=a)
            if fixed:
                formula.append(out[a])
            elif all(type(v) is int for v in (s[a], k[a], pl, pr)):
                formula.append(affine(s[a], k[a] - s[a] - pl - pr))
            else:
                formula.append(symbolic_formula(lambda x, a=a, pl=pl, pr=pr: (x - 1) * s[a] + k[a] - pl - pr))
        zero = [0] * ctx.rank
        shape = LayerShape(out, channels, pads, formula, zero, zero, 0, 0,
                           {"kernel_size": k, "stride": s, "dilation": d})
        return with_overlap(ctx, shape, self.overlap(shape))

    def overlap(self, shape: LayerShape) -> list[AxisOverlap | None]:
        # The pool's windows seen from its output: d = 1 (max_unpool has no dilation).
        return phase_overlap(shape.resolved, shape.padding)

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        r = shape.resolved
        s, k, pl = r["stride"][axis], r["kernel_size"][axis], shape.padding[axis][0]
        if not all(type(v) is int for v in (s, k, pl)):
            return None
        b = Fraction(k - 1, 2) - pl  # inverse of the matching pool's map x = s*y + b
        return Fraction(1, s), -b / s

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        out = output_ints(shape)
        plane = prod(out)

        def run(x: np.ndarray, a: Arrays) -> Outputs:
            idx = a["indices"]
            assert idx is not None
            bad = (idx < 0) | (idx >= plane)
            if bad.any():
                first = tuple(int(v) for v in np.argwhere(bad)[0])
                where = first if batched else first[1:]
                reason = (f"Found an invalid max index: {int(idx[first])} (output volumes are of size "
                          f"{'x'.join(map(str, out))})")
                raise LayerError(reason, [ErrorItem(("indices", *where), reason, "value_error.indices")])
            return {"output": max_unpool_nd(x, idx, out)}

        return run
    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        # Input x writes (at most) one output in its window [s*x - p_before, s*x - p_before + k - 1]:
        # structurally the windows covering y, a transposed conv of ones with dilation 1.
        r = shape.resolved
        values = (r["stride"][axis], shape.padding[axis][0], r["kernel_size"][axis])
        return Window.scattered(*values, 1) if all_ints(values) else SymbolicWindow.scattered(*values, 1)

