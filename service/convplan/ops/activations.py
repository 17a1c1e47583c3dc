"""Activations by ``torch.nn`` name in snake case (``torch.nn.modules.activation``).

All keep sizes and channels. Only ``prelu`` has parameters (``num_parameters``
weights, 1 or one per channel, as ``F.prelu`` checks); ``softmax``,
``log_softmax`` and ``softmin`` are accepted over the channels only (``dim``
1 of ``(N, C, *spatial)``), where they are shape-neutral per pixel.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictInt

from convplan.ops._base import register
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import Number, Scalar
from convplan.ops._values import Value, norm
from convplan.ops.neutral import ShapeNeutral

__all__ = ["Activation", "Elu", "Gelu", "Hardtanh", "InplaceActivation", "LeakyRelu", "Prelu", "Rrelu", "Shrink",
           "Softmax", "Softplus", "Threshold"]


@register
class Activation(ShapeNeutral):
    """Activations without parameters: ``torch.nn.Sigmoid``, ``Tanh``, ``Softsign``, ``Tanhshrink``,
    ``LogSigmoid``."""

    names = ("sigmoid", "tanh", "softsign", "tanhshrink", "logsigmoid")

    op: Literal["sigmoid", "tanh", "softsign", "tanhshrink", "logsigmoid"]


@register
class InplaceActivation(ShapeNeutral):
    """Activations whose only parameter is ``inplace``: ``torch.nn.ReLU``, ``ReLU6``, ``SELU``, ``SiLU``,
    ``Mish``, ``Hardswish``, ``Hardsigmoid``."""

    names = ("relu", "relu6", "selu", "silu", "mish", "hardswish", "hardsigmoid")

    op: Literal["relu", "relu6", "selu", "silu", "mish", "hardswish", "hardsigmoid"]
    inplace: StrictBool = False


@register
class LeakyRelu(ShapeNeutral):
    """``torch.nn.LeakyReLU``."""

    names = ("leaky_relu",)

    op: Literal["leaky_relu"]
    negative_slope: Number = 0.01
    inplace: StrictBool = False


@register
class Elu(ShapeNeutral):
    """``torch.nn.ELU`` and ``CELU``."""

    names = ("elu", "celu")
    checks_parameters_only = True

    op: Literal["elu", "celu"]
    alpha: Number = 1.0
    inplace: StrictBool = False

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        if self.op == "celu" and self.alpha == 0:  # ATen's celu: "ZeroDivisionError, alpha cannot be 0"
            ctx.fail("ZeroDivisionError: alpha cannot be 0 for CELU", param="alpha")


@register
class Rrelu(ShapeNeutral):
    """``torch.nn.RReLU`` (random slopes in training, their mean in eval)."""

    names = ("rrelu",)
    checks_parameters_only = True

    op: Literal["rrelu"]
    lower: Number = 1.0 / 8
    upper: Number = 1.0 / 3
    inplace: StrictBool = False

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        if self.lower > self.upper:  # ATen's rrelu_with_noise
            ctx.fail("Lower bound should be less than or equal to the upper bound", param="lower")


@register
class Prelu(ShapeNeutral):
    """``torch.nn.PReLU``: ``num_parameters`` learnable slopes, 1 or one per channel."""

    names = ("prelu",)
    checks_parameters_only = True

    op: Literal["prelu"]
    num_parameters: Scalar = Field(1, description="1 (one shared slope) or the number of channels.")
    init: Number = 0.25

    def params(self, ctx: LayerContext, channels: Value | None) -> Value | None:
        return ctx.scalar("num_parameters", self.num_parameters)

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        n = ctx.scalar("num_parameters", self.num_parameters)
        ctx.require(n, ">=", 1, "num_parameters must be positive", param="num_parameters", listed=False)
        if n == 1:
            return
        if channels is None:
            ctx.warn("in_channels unknown: the check that num_parameters is 1 or the channel count was skipped")
            return
        # ATen's prelu: "Mismatch of parameter numbers and input channel size."
        ctx.require(norm(n - channels), "==", 0, lambda: f"Mismatch of parameter numbers and input channel size. "
                    f"Found parameter numbers = {show(n)} and channel size = {show(channels)}.",
                    param="num_parameters", listed=False)


@register
class Gelu(ShapeNeutral):
    """``torch.nn.GELU``."""

    names = ("gelu",)

    op: Literal["gelu"]
    approximate: Literal["none", "tanh"] = "none"


@register
class Hardtanh(ShapeNeutral):
    """``torch.nn.Hardtanh``."""

    names = ("hardtanh",)

    op: Literal["hardtanh"]
    min_val: Number = -1.0
    max_val: Number = 1.0
    inplace: StrictBool = False

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        if not self.max_val > self.min_val:  # torch.nn.Hardtanh.__init__ asserts it
            ctx.fail(f"max_val ({self.max_val}) must be greater than min_val ({self.min_val})", param="max_val")


@register
class Softplus(ShapeNeutral):
    """``torch.nn.Softplus``."""

    names = ("softplus",)

    op: Literal["softplus"]
    beta: Number = 1.0
    threshold: Number = 20.0


@register
class Shrink(ShapeNeutral):
    """``torch.nn.Hardshrink`` and ``Softshrink``."""

    names = ("hardshrink", "softshrink")

    op: Literal["hardshrink", "softshrink"]
    lambd: Number = 0.5

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        if self.op == "softshrink" and self.lambd < 0:  # ATen's softshrink_check
            ctx.fail(f"lambda must be at least 0, but found {self.lambd}", param="lambd")


@register
class Threshold(ShapeNeutral):
    """``torch.nn.Threshold``: ``threshold`` and ``value`` have no defaults, as in PyTorch."""

    names = ("threshold",)

    op: Literal["threshold"]
    threshold: Number
    value: Number
    inplace: StrictBool = False


@register
class Softmax(ShapeNeutral):
    """``torch.nn.Softmax``, ``LogSoftmax`` and ``Softmin`` over the channels."""

    names = ("softmax", "log_softmax", "softmin")

    op: Literal["softmax", "log_softmax", "softmin"]
    dim: StrictInt = Field(1, description="Only 1 (the channels of (N, C, *spatial)): over a spatial axis the "
                                          "op would mix pixels, which this calculator does not model.")

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        if self.dim not in (1, -ctx.rank - 1):  # -rank-1 names the channels of (N, C, *spatial) too
            ctx.fail(f"dim={self.dim}: only dim 1 (the channels) is supported", param="dim")
