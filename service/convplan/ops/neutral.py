"""Shape-neutral layers: the base of activations and norms, dropout and identity.

A shape-neutral op keeps sizes and channels; what differs between them is
only their parameter count (``sum(p.numel() for p in module.parameters())``)
and the input sizes PyTorch refuses, the two hooks of ``ShapeNeutral``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import ClassVar, Literal

from pydantic import Field, StrictBool

from convplan.ops._base import LayerShape, OpModel, register
from convplan.ops._context import LayerContext
from convplan.ops._fields import Number
from convplan.ops._formula import affine
from convplan.ops._plain import PlainRule
from convplan.ops._values import Value
from convplan.ops._window import Window

__all__ = ["Dropout", "Identity", "ShapeNeutral"]


_IDENTITY = (Fraction(1), Fraction(0))


class ShapeNeutral(OpModel):
    """Leaves sizes and channels alone; the identity coordinate map."""

    axis_fields: ClassVar[tuple[str, ...] | None] = ()
    shape_neutral: ClassVar[bool] = True
    periodic_map: ClassVar[bool] = True  # the identity
    reads_features: ClassVar[bool] = True  # pointwise or per channel; the norms that need spatial axes say no
    #: Whether ``check`` reads parameters and channels only, never the sizes (``separable``).
    checks_parameters_only: ClassVar[bool] = False

    def params(self, ctx: LayerContext, channels: Value | None) -> Value | None:
        """Learnable parameters (None where they need an unknown channel count)."""
        return 0

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        """PyTorch's refusals for this input (none by default)."""

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        self.check(ctx, size, channels)
        zero = [0] * ctx.rank
        return LayerShape(list(size), channels, [(0, 0)] * ctx.rank, [affine(1, 0)] * ctx.rank, zero, zero,
                          self.params(ctx, channels), 0, {})

    def plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        cls = type(self)
        if cls.check is not ShapeNeutral.check or cls.params is not ShapeNeutral.params:
            return None  # its refusals, or a parameter count read through the context: the general rule
        return identity_rule(rank, channels)

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        return _IDENTITY

    def transparent(self, training: bool) -> bool:
        # Every refusal of a shape-neutral op is in its ``check``: an op without its own refuses nothing.
        return type(self).check is ShapeNeutral.check

    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | None:
        return Window.identity()  # pointwise: each output reads its own pixel

    def separable(self, training: bool) -> bool:
        # A refusal (``check``) may read every axis (the norms' statistics): only one that refuses nothing here is
        # known not to; ops whose checks read parameters and channels alone say so
        return super().separable(training) and (self.transparent(training) or type(self).checks_parameters_only)


def identity_rule(rank: int, channels: int | None) -> PlainRule:
    """``ShapeNeutral.infer`` as a ``PlainRule``, for an op that refuses nothing and has no parameters."""
    zeros = [0] * rank
    return PlainRule(sizes=lambda size: (list(size), zeros, zeros, 0), out_channels=channels,
                     padding=[(0, 0)] * rank, formula=[affine(1, 0)] * rank, params=0, resolved={})


@register
class Identity(ShapeNeutral):
    """``torch.nn.Identity``."""

    names = ("identity",)

    op: Literal["identity"]


#: The spatial rank each feature dropout expects (torch/nn/functional.py dropout1d/2d/3d).
_FEATURE_RANK = {"dropout1d": 1, "dropout2d": 2, "dropout3d": 3}


@register
class Dropout(ShapeNeutral):
    """``torch.nn.Dropout``, ``Dropout1d/2d/3d``, ``AlphaDropout``, ``FeatureAlphaDropout``."""

    names = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")

    op: Literal["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]
    p: Number = Field(0.5, description="Probability of an element (or channel) to be zeroed, in [0, 1].")
    inplace: StrictBool = False

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        # torch.nn.modules.dropout._DropoutNd.__init__
        if not 0 <= self.p <= 1:
            ctx.fail(f"dropout probability has to be between 0 and 1, but got {self.p}", param="p")
        rank = _FEATURE_RANK.get(self.op)
        if rank is None or rank == ctx.rank:
            return
        if self.op == "dropout1d":  # F.dropout1d raises; dropout2d/3d only warn and drop elements instead
            ctx.fail(f"dropout1d: Expected 2D or 3D input, but received a {ctx.rank + 2}D input (1 spatial axis "
                     f"expected, the input has {ctx.rank})")
        ctx.warn(f"{self.op} expects {rank} spatial axes but the input has {ctx.rank}: PyTorch does not drop "
                 "whole channels of (N, C, *spatial) here (it warns, or reads the tensor as unbatched)")

    def plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        # ``check`` reads the probability and the rank alone: where it passes without a word, so does every size
        if not 0 <= self.p <= 1 or _FEATURE_RANK.get(self.op, rank) != rank:
            return None
        return identity_rule(rank, channels)
