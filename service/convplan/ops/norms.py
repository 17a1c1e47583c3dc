"""Normalisation layers by ``torch.nn`` name in snake case (``torch.nn.modules.{batchnorm,instancenorm,
normalization}``).

Parameters count as PyTorch counts them (``sum(p.numel() for p in
module.parameters())``; running statistics are buffers, not parameters).
Size refusals, with a batch of 1 (the calculator's ``(1, C, *spatial)``):

- statistics over the batch (``batch_norm`` in training, or without running
  statistics) need more than one value per channel: ``F.batch_norm``'s
  ``_verify_batch_size``, so a 1x1 map is refused;
- statistics over the instance (``instance_norm`` in training, or without
  running statistics, PyTorch's default, so in eval too) need more than one
  spatial element: ``F.instance_norm``'s ``_verify_spatial_size``;
- ``group_norm``'s groups must divide the channels (``nn.GroupNorm.__init__``);
- ``layer_norm``'s ``normalized_shape`` must equal the input's trailing
  dimensions (``F.layer_norm``), so it fixes the sizes it covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StrictBool

from convplan.ops._base import register
from convplan.ops._channels import per_group
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import Number, Scalar
from convplan.ops._values import Value, norm, vmod, vprod
from convplan.ops.neutral import ShapeNeutral

__all__ = ["BatchNorm", "GroupNorm", "InstanceNorm", "LayerNorm", "LocalResponseNorm"]

Momentum = Annotated[Number | None, Field(description="Running statistics' momentum; null = cumulative average.")]


def _affine_params(affine: bool, channels: Value | None) -> Value | None:
    """A weight and a bias per channel when ``affine``."""
    if not affine:
        return 0
    return None if channels is None else norm(2 * channels)


def _spatial(size: list[Value]) -> Value:
    return norm(vprod(size))


class _StatisticsNorm(ShapeNeutral):
    """Batch and instance norm: affine parameters, and statistics of the input itself (refused on a single
    value per channel) in training, or in eval without running statistics."""

    #: PyTorch's refusal, with the spatial size and ``when`` (one of ``refused_when``) filled in.
    refusal: ClassVar[str]
    #: Why the input's own statistics are used: in training, or for want of running statistics.
    refused_when: ClassVar[tuple[str, str]]

    eps: Number = 1e-5
    momentum: Momentum = 0.1
    affine: StrictBool = True
    track_running_stats: StrictBool = True

    def params(self, ctx: LayerContext, channels: Value | None) -> Value | None:
        return _affine_params(self.affine, channels)

    def transparent(self, training: bool) -> bool:
        return not training and self.track_running_stats  # running statistics: ``check`` refuses nothing

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        if ctx.resolver.training or not self.track_running_stats:
            when = self.refused_when[0] if ctx.resolver.training else self.refused_when[1]
            ctx.require(_spatial(size), ">", 1, lambda: self.refusal.format(
                size=" x ".join(show(v) for v in size), when=when))


@register
class BatchNorm(_StatisticsNorm):
    """``torch.nn.BatchNorm1d/2d/3d``."""

    names = ("batch_norm",)
    cli_names: ClassVar[Mapping[str, str]] = {"bn": "batch_norm", "bnorm": "batch_norm"}
    # _BatchNorm.forward: batch statistics in training, or in eval without running statistics.
    refusal = "Expected more than 1 value per channel when training (batch 1, spatial size {size}; {when})"
    refused_when = ("training", "without running statistics (track_running_stats false)")

    op: Literal["batch_norm"]


@register
class InstanceNorm(_StatisticsNorm):
    """``torch.nn.InstanceNorm1d/2d/3d`` (PyTorch's defaults: no affine parameters, no running statistics)."""

    names = ("instance_norm",)
    reads_features = False  # statistics over spatial elements, which flattened features have none of
    # F.instance_norm: use_input_stats = training or not track_running_stats.
    refusal = "Expected more than 1 spatial element when training (spatial size {size}; {when})"
    refused_when = ("in training", "without running statistics, in eval too")

    op: Literal["instance_norm"]
    affine: StrictBool = False
    track_running_stats: StrictBool = False


@register
class GroupNorm(ShapeNeutral):
    """``torch.nn.GroupNorm`` (its ``num_channels`` is the input's channels)."""

    names = ("group_norm",)

    op: Literal["group_norm"]
    num_groups: Scalar
    eps: Number = 1e-5
    affine: StrictBool = True

    def params(self, ctx: LayerContext, channels: Value | None) -> Value | None:
        return _affine_params(self.affine, channels)

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        groups = ctx.scalar("num_groups", self.num_groups)
        ctx.require(groups, ">=", 1, "num_groups must be positive", param="num_groups", listed=False)
        if channels is None:
            ctx.warn("in_channels unknown: the check that num_groups divides the channels was skipped")
            return
        ctx.require(norm(vmod(channels, groups)), "==", 0, lambda: f"num_channels ({show(channels)}) must be "
                    f"divisible by num_groups ({show(groups)})", param="num_groups", listed=False)
        # F.group_norm verifies (N*C/G) * prod(spatial) > 1 values per group, in any mode: with N = 1, one
        # channel per group on a one-element map is refused.
        ctx.require(norm(per_group(channels, groups) * vprod(size)), ">", 1,
                    lambda: f"Expected more than 1 value per channel when training (num_groups {show(groups)} = "
                    f"channels {show(channels)} on spatial size {' x '.join(show(v) for v in size)}; group_norm "
                    "checks this in eval too)")


@register
class LayerNorm(ShapeNeutral):
    """``torch.nn.LayerNorm`` over the trailing dimensions of ``(N, C, *spatial)``."""

    names = ("layer_norm",)

    axis_fields: ClassVar[tuple[str, ...] | None] = None  # normalized_shape covers the trailing axes only

    op: Literal["layer_norm"]
    normalized_shape: Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=4)] = Field(
        description="The trailing dimensions normalised over: `[*spatial]`, the last few spatial sizes, or "
                    "`[C, *spatial]`; each must equal the input's (so it fixes those sizes).")
    eps: Number = 1e-5
    elementwise_affine: StrictBool = True
    bias: StrictBool = True

    def _shape(self, ctx: LayerContext) -> list[Value]:
        listed = isinstance(self.normalized_shape, list)
        values = self.normalized_shape if isinstance(self.normalized_shape, list) else [self.normalized_shape]
        return [ctx.scalar("normalized_shape", v, n if listed else None, listed=listed) for n, v in enumerate(values)]

    def params(self, ctx: LayerContext, channels: Value | None) -> Value | None:
        if not self.elementwise_affine:
            return 0
        return norm(vprod(self._shape(ctx)) * (2 if self.bias else 1))

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        shape = self._shape(ctx)
        if len(shape) > ctx.rank + 1:
            ctx.fail(f"normalized_shape has {len(shape)} dimensions but the input (N, C, *spatial) has only "
                     f"{ctx.rank + 1} after the batch", param="normalized_shape")
        # normalized_shape[n] faces dims[start + n] of (C, *spatial); spatial axis a is dims[a + 1].
        start = ctx.rank + 1 - len(shape)
        for n, expected in enumerate(shape):
            axis = start + n - 1
            actual = channels if axis < 0 else size[axis]
            if actual is None:
                ctx.warn("in_channels unknown: the check of normalized_shape against the channels was skipped")
                continue
            ctx.require(norm(actual - expected), "==", 0, lambda n=n, axis=axis, actual=actual, expected=expected:
                        f"Given normalized_shape[{n}] = {show(expected)}, expected the input's "
                        f"{'channels' if axis < 0 else f'size on axis {axis}'} ({show(actual)}): the normalized "
                        "shape must be the input's trailing dimensions",
                        axis=None if axis < 0 else axis, param="normalized_shape", listed=False)


@register
class LocalResponseNorm(ShapeNeutral):
    """``torch.nn.LocalResponseNorm`` (across channels; no parameters)."""

    names = ("local_response_norm",)
    reads_features = False  # PyTorch: "Expected 3D or higher dimensionality input"
    checks_parameters_only = True

    op: Literal["local_response_norm"]
    size: Scalar = Field(description="Neighbouring channels used for normalisation.")
    alpha: Number = 1e-4
    beta: Number = 0.75
    k: Number = 1.0

    def check(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> None:
        n = ctx.scalar("size", self.size)
        ctx.require(n, ">=", 1, "size must be positive", param="size", listed=False)
