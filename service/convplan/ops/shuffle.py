"""Pixel shuffle and unshuffle (``torch.nn.PixelShuffle`` / ``PixelUnshuffle``).

2-D is PyTorch's rule: channels / r^2 and the last two axes times r. 1-D and
3-D are an extension of ours: channels / r^rank and every spatial axis times
r (PyTorch itself only ever shuffles the last two dimensions).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import ClassVar, Literal

from pydantic import StrictInt

from convplan.kernels.shuffle import pixel_shuffle_nd, pixel_unshuffle_nd
from convplan.ops._base import OPS, LayerShape, OpModel, register
from convplan.ops._compute import ComputeParams, Runner, Shapes, Tensor
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import Scalar
from convplan.ops._formula import affine, ratio
from convplan.ops._values import Value, fdiv, norm, vmod
from convplan.ops._window import SymbolicWindow, Window

__all__ = ["PixelShuffle", "PixelShuffleParams", "PixelShuffleRequest", "PixelUnshuffle", "PixelUnshuffleParams",
           "PixelUnshuffleRequest"]


class PixelShuffleParams(ComputeParams):
    upscale_factor: StrictInt


class PixelUnshuffleParams(ComputeParams):
    downscale_factor: StrictInt


class PixelShuffleRequest(PixelShuffleParams):
    input: Tensor


class PixelUnshuffleRequest(PixelUnshuffleParams):
    input: Tensor


def _factor(ctx: LayerContext, name: str, value: Scalar) -> Value:
    r = ctx.scalar(name, value)
    ctx.require(r, ">=", 1, f"{name} must be positive", param=name, listed=False)
    return r


@register
class PixelShuffle(OpModel):
    """(C*r^rank, *spatial) -> (C, *spatial*r). 2 spatial axes: PyTorch's PixelShuffle.
    1 and 3 axes: a convplan extension (channels / r^rank, every axis times r)."""

    names = ("pixel_shuffle",)
    cli_names: ClassVar[Mapping[str, str]] = {"shuffle": "pixel_shuffle"}
    cli_keys: ClassVar[Mapping[str, str]] = {"r": "upscale_factor"}
    cli_main = "upscale_factor"
    compute_params = PixelShuffleParams
    compute_request = PixelShuffleRequest
    compute_order = 90

    op: Literal["pixel_shuffle"]
    upscale_factor: Scalar

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        r = _factor(ctx, "upscale_factor", self.upscale_factor)
        block = norm(r**ctx.rank)
        out_ch: Value | None = None
        if channels is None:
            ctx.warn("in_channels unknown: the divisibility of channels by upscale_factor**rank was skipped")
        else:
            ctx.require(norm(vmod(channels, block)), "==", 0,
                        f"pixel_shuffle expects the channels to be divisible by upscale_factor**{ctx.rank}, but "
                        f"{show(channels)} is not divisible by {show(block)}",
                        param="upscale_factor", listed=False)
            out_ch = channels // block if type(channels) is int and type(block) is int else norm(channels / block)
        out = [norm(i * r) for i in size]
        formula: list[Value | str] = [affine(r, 0) if type(r) is int else norm(r * _i()) for _ in size]
        zero = [0] * ctx.rank
        return LayerShape(out, out_ch, [(0, 0)] * ctx.rank, formula, zero, zero, 0, 0, {"factor": r})

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        r = shape.resolved["factor"]
        if type(r) is not int:
            return None
        a = Fraction(1, r)
        return a, (a - 1) / 2

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        factor = int(shape.resolved["factor"])
        return lambda x, a: {"output": pixel_shuffle_nd(x, factor)}
    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        # Output y comes from input y // r (channel y mod r): nearest upsampling by r.
        r = shape.resolved["factor"]
        return Window.nearest(r) if type(r) is int else SymbolicWindow.nearest(r)


@register
class PixelUnshuffle(OpModel):
    """(C, *spatial*r) -> (C*r^rank, *spatial). 2 spatial axes: PyTorch's PixelUnshuffle.
    1 and 3 axes: a convplan extension (channels * r^rank, every axis divided by r)."""

    names = ("pixel_unshuffle",)
    strided = True
    cli_names: ClassVar[Mapping[str, str]] = {"unshuffle": "pixel_unshuffle"}
    cli_keys: ClassVar[Mapping[str, str]] = {"r": "downscale_factor", "upscale_factor": "downscale_factor"}
    cli_main = "downscale_factor"
    compute_params = PixelUnshuffleParams
    compute_request = PixelUnshuffleRequest
    compute_order = 100

    op: Literal["pixel_unshuffle"]
    downscale_factor: Scalar

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        return self._sizes(ctx, size, channels, divisible=True)

    def _sizes(self, ctx: LayerContext, size: list[Value], channels: Value | None, *,
               divisible: bool) -> LayerShape:
        r = _factor(ctx, "downscale_factor", self.downscale_factor)
        block = norm(r**ctx.rank)
        out = []
        for a, i in enumerate(size):
            if divisible:
                ctx.require(norm(vmod(i, r)), "==", 0, f"pixel_unshuffle expects spatial size {show(i)} to be "
                            f"divisible by downscale_factor {show(r)}", axis=a)
                out.append(i // r if type(i) is int and type(r) is int else norm(i / r))
            else:
                out.append(i // r if type(i) is int and type(r) is int else norm(fdiv(i, r)))
        out_ch = None if channels is None else norm(channels * block)
        formula: list[Value | str] = [ratio(r) if type(r) is int else norm(_i() / r) for _ in size]
        zero = [0] * ctx.rank
        return LayerShape(out, out_ch, [(0, 0)] * ctx.rank, formula, zero, zero, 0, 0, {"factor": r})

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        r = shape.resolved["factor"]
        if type(r) is not int:
            return None
        return Fraction(r), Fraction(r - 1, 2)

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        factor = int(shape.resolved["factor"])
        return lambda x, a: {"output": pixel_unshuffle_nd(x, factor)}
    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        # Output y's channels read the input pixels r*y .. r*y + r - 1 (one each): a k=r, s=r window.
        r = shape.resolved["factor"]
        return Window.strided(r, tuple(range(r))) if type(r) is int else SymbolicWindow.strided(r, 0, norm(r - 1))

    def monotone(self) -> OpModel:
        # Divisibility refuses odd sizes but not the even ones above them: the lenient run floors instead.
        return _FlooredUnshuffle.model_construct(**self.__dict__)

    def along_axis(self, axis: int) -> OpModel:
        # On one axis: an avg_pool with kernel = stride = factor, which has the same size rule and coordinate map
        # and reports an indivisible size as unread rows instead of refusing it (a refusal would make "runs"
        # non-monotone in the size).
        r = self.downscale_factor
        return OPS["avg_pool"].model_validate({"op": "avg_pool", "kernel_size": r, "stride": r})


class _FlooredUnshuffle(PixelUnshuffle):
    """``PixelUnshuffle.monotone``: the same layer with an indivisible size floored, not refused (not
    registered: only the valid-size scans' lenient run makes it)."""

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        return self._sizes(ctx, size, channels, divisible=False)


def _i() -> Value:
    import sympy

    return sympy.Symbol("i", integer=True, positive=True)

