"""Convolution and transposed convolution (``torch.nn.ConvNd``, ``ConvTransposeNd``).

Size rules follow ATen's ``conv_output_size`` / ``conv_input_size``
(aten/src/ATen/native/ConvUtils.h): ``o = floor((i + pl + pr - k_eff)/s) + 1``
and ``o = (i-1)*s - pl - pr + k_eff + output_padding``, ``k_eff = d*(k-1) + 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import lru_cache
from math import prod
from typing import Any, ClassVar, Literal

from pydantic import Field, StrictBool, StrictInt

from convplan.errors import ErrorItem, InvalidRequest
from convplan.exact import Exact, exact
from convplan.kernels.conv import prepare_conv, prepare_conv_transpose
from convplan.ops._base import LayerShape, OpModel, OptionalOutputSize, register
from convplan.ops._channels import check_groups, per_group
from convplan.ops._compute import (
    ComputeParams,
    IntPadding,
    IntPerAxis,
    Runner,
    Shapes,
    Tensor,
    TensorField,
    output_ints,
    pad_pairs,
    resolved_ints,
)
from convplan.ops._context import LayerContext, show
from convplan.ops._fields import PAD_MODES, Padding, PerAxis, Scalar
from convplan.ops._formula import affine, floor_affine, symbolic_formula
from convplan.ops._overlap import AxisOverlap, checkerboard_warning, phase_overlap, with_overlap
from convplan.ops._padding import check_circular, resolve_padding, same_split
from convplan.ops._plain import PlainRule, PlainSizes, plain_axis_ints, plain_window_params
from convplan.ops._values import Value, all_ints, fdiv, norm, vmax, vmod, vprod
from convplan.ops._window import SymbolicWindow, Window

__all__ = ["Conv", "ConvParams", "ConvRequest", "ConvTranspose", "ConvTransposeParams", "ConvTransposeRequest",
           "drops_rows", "window_params", "window_taps"]


def drops_rows(shape: LayerShape, axis: int) -> bool:
    """The ``clean`` rule of contract section 7 for a windowed strided layer: of the ``unread`` trailing
    real rows (``j = 1..unread`` past the last window's last tap) none may be one that a window the floor
    discarded would read (``j + t*d = 0 (mod s)`` for a tap ``t``); no ceil-mode window may overhang.
    So 1x1 s2, 3x3 s2 p1 and k2 s2 d2 drop nothing at any size, a 2x2 pool drops a row at odd sizes."""
    unread, overhang = shape.unread[axis], shape.overhang[axis]
    if overhang != 0:
        return True
    if unread == 0:
        return False
    r = shape.resolved
    s, k, d = r["stride"][axis], r["kernel_size"][axis], r["dilation"][axis]
    if not all(type(v) is int for v in (unread, s, k, d)):
        return True  # symbolic: cannot show that nothing is dropped
    return any((j + t * d) % s == 0 for j in range(1, unread + 1) for t in range(k))


def window_params(ctx: LayerContext, layer: OpModel, *, dilation: bool = True) -> tuple[list, list, list, list]:
    """kernel_size, stride, dilation and k_eff per axis, each checked positive."""
    k = ctx.per_axis("kernel_size", layer.kernel_size)  # type: ignore[attr-defined]
    stride_value = layer.__dict__.get("stride", 1)  # pools: None is "= kernel_size"; no stride field: 1
    s = k if stride_value is None else ctx.per_axis("stride", stride_value)
    d = ctx.per_axis("dilation", layer.dilation) if dilation else [1] * ctx.rank  # type: ignore[attr-defined]
    if all(v.__class__ is int and v >= 1 for v in (*k, *s, *d)):  # plain positive ints: nothing to check
        return k, s, d, [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    for a in range(ctx.rank):
        ctx.require(k[a], ">=", 1, "kernel_size must be positive", axis=a, param="kernel_size",
                    listed=isinstance(layer.kernel_size, list))  # type: ignore[attr-defined]
        ctx.require(s[a], ">=", 1, "stride must be positive", axis=a, param="stride",
                    listed=isinstance(stride_value, list))
        if dilation:
            ctx.require(d[a], ">=", 1, "dilation must be positive", axis=a, param="dilation",
                        listed=isinstance(layer.dilation, list))  # type: ignore[attr-defined]
    k_eff = [norm(dd * (kk - 1) + 1) for kk, dd in zip(k, d)]
    return k, s, d, k_eff


class ConvParams(ComputeParams):
    kernel_size: IntPerAxis | None = Field(None, description="Optional: must match the weight's kernel.")
    stride: IntPerAxis = 1
    padding: IntPadding = 0
    dilation: IntPerAxis = 1
    groups: StrictInt = 1
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"


class ConvTransposeParams(ComputeParams):
    kernel_size: IntPerAxis | None = Field(None, description="Optional: must match the weight's kernel.")
    stride: IntPerAxis = 1
    padding: IntPadding = 0
    output_padding: IntPerAxis = 0
    dilation: IntPerAxis = 1
    groups: StrictInt = 1
    output_size: IntPerAxis | None = Field(None, description="Spatial sizes; picks output_padding as PyTorch's "
                                                             "forward(x, output_size).")


class ConvRequest(ConvParams):
    input: Tensor
    weight: Tensor = Field(description="(C_out, C_in/groups, *kernel)")
    bias: Tensor | None = Field(None, description="(C_out,)")


class ConvTransposeRequest(ConvTransposeParams):
    input: Tensor
    weight: Tensor = Field(description="(C_in, C_out/groups, *kernel)")
    bias: Tensor | None = Field(None, description="(C_out,)")


def _refuse(loc: tuple, msg: str, kind: str = "value_error.shape") -> InvalidRequest:
    return InvalidRequest(msg, [ErrorItem(loc, msg, kind)])


class _ConvFamily(OpModel):
    """Parameters shared by convolution and transposed convolution."""

    strided = True
    periodic_map = True  # stride, dilation, kernel and pads (output_size: its pads, from the periodic sizes)
    cli_keys: ClassVar[Mapping[str, str]] = {"k": "kernel_size", "s": "stride", "p": "padding", "d": "dilation",
                                             "c": "out_channels",
                "out": "out_channels", "g": "groups"}
    cli_main = "kernel_size"
    tensors = (TensorField("input"), TensorField("weight"), TensorField("bias", required=False))

    axis_fields: ClassVar[tuple[str, ...] | None] = ("kernel_size", "stride", "padding", "dilation")

    kernel_size: PerAxis
    stride: PerAxis = 1
    padding: Padding = 0
    dilation: PerAxis = 1
    groups: Scalar = 1
    out_channels: Scalar | None = Field(default=None, description="Omitted: channels unchanged but unknown.")
    bias: StrictBool = True

    def _channels(
        self, ctx: LayerContext, channels: Value | None, kernel: list[Value], macs_size: list[Value],
        *, transposed: bool,
    ) -> tuple[Value | None, Value | None, Value | None, Value]:
        """Output channels (None when unknown), params, MACs per sample and groups.

        Weights are ``(C_out, C_in/groups, *k)``, or ``(C_in, C_out/groups, *k)``
        when transposed; each weight is used once per position of ``macs_size``."""
        groups = ctx.scalar("groups", self.groups)
        out_ch = channels if self.out_channels is None else ctx.scalar("out_channels", self.out_channels)
        if self.out_channels is not None:
            ctx.require(out_ch, ">=", 1, "out_channels must be positive", param="out_channels", listed=False)
        check_groups(ctx, channels, out_ch, groups)
        known_out = None if self.out_channels is None else out_ch
        if channels is None or known_out is None:
            return known_out, None, None, groups
        if transposed:
            weights = norm(channels * per_group(known_out, groups) * vprod(kernel))
        else:
            weights = norm(known_out * per_group(channels, groups) * vprod(kernel))
        params = norm(weights + (known_out if self.bias else 0))
        return known_out, params, norm(weights * vprod(macs_size)), groups

    def _plain_infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape | None:
        """``infer`` on plain ints where nothing is refused (ops/_plain.py), else None: the same rule (its
        ``plain_rule``, with the warnings it gives)."""
        if not all_ints(size) or (channels is not None and channels.__class__ is not int):
            return None
        rule = self.remembered_plain_rule(ctx.rank, channels, ctx.resolver.max_size)  # type: ignore[arg-type]
        shape = None if rule is None else rule.shape(size)  # type: ignore[arg-type]
        if shape is not None:
            for warning in rule.warnings:  # type: ignore[union-attr]
                ctx.warn(warning)
        return shape

    def _plain_channels(self, limit: int, channels: int | None, kernel: list[int], *,
                        transposed: bool) -> tuple[int | None, int | None, int | None, int] | None:
        """``_channels`` on plain ints where nothing is refused or warned about (ops/_plain.py), else None:
        output channels, parameters, weights (MACs per output position of a conv, per input position of a
        transposed one; None where a channel count is unknown) and groups."""
        groups, out = self.groups, self.out_channels
        if groups.__class__ is not int or not 1 <= groups <= limit:
            return None
        if out is not None and (out.__class__ is not int or not 1 <= out <= limit):
            return None
        if channels is not None and channels.__class__ is not int:
            return None
        if groups != 1 and (channels is None or out is None or channels % groups or out % groups):
            return None  # the general rule's divisibility checks and warnings
        if channels is None or out is None:
            return out, None, None, groups
        weights = (channels * (out // groups) if transposed else out * (channels // groups)) * prod(kernel)
        return out, weights + (out if self.bias else 0), weights, groups

    @classmethod
    def compute_fields(cls, op: str, params: Mapping[str, Any], shapes: Shapes, batched_input: tuple[int, ...],
                       rank: int, loc: tuple) -> dict[str, Any]:
        """Kernel size, channels and bias come from the weight (and bias) tensors."""
        fields = super().compute_fields(op, params, shapes, batched_input, rank, loc)
        weight, bias = shapes["weight"], shapes.get("bias")
        assert weight is not None
        kernel = list(weight[2:])
        given = fields.pop("kernel_size", None)
        if given is not None and (given if isinstance(given, list) else [given] * rank) != kernel:
            raise _refuse((*loc, "kernel_size"), f"kernel_size {given} does not match the weight's kernel {kernel}",
                          "value_error.kernel_size")
        out_channels = cls._weight_channels(weight, fields.get("groups", 1), batched_input[1], loc)
        if bias is not None and bias != (out_channels,):
            raise _refuse((*loc, "bias"), f"bias must have shape [{out_channels}] (out_channels), got {list(bias)}")
        fields.update(kernel_size=kernel, out_channels=out_channels, bias=bias is not None)
        return fields

    @classmethod
    def _weight_channels(cls, weight: tuple[int, ...], groups: Any, c_in: int, loc: tuple) -> int:
        """Output channels of the weight, checked against the input's channels."""
        raise NotImplementedError


@register
class Conv(_ConvFamily):
    """Convolution, as ``torch.nn.Conv1d/2d/3d``."""


    names = ("conv",)
    cli_names: ClassVar[Mapping[str, str]] = {"convolution": "conv"}
    cli_keys: ClassVar[Mapping[str, str]] = {**_ConvFamily.cli_keys, "pm": "padding_mode"}
    compute_params = ConvParams
    compute_request = ConvRequest
    compute_order = 10

    op: Literal["conv"]
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        plain = self._plain_infer(ctx, size, channels)
        if plain is not None:
            return plain
        k, s, d, k_eff = window_params(ctx, self)
        pads, _ = resolve_padding(ctx, self.padding, size=size, kernel_eff=k_eff, stride=s,
                                  dilation=d, kernel=k, allow_same=True,
                                  allow_negative=self.padding_mode != "zeros")
        listed_pad = isinstance(self.padding, list)
        out, unread, formula = [], [], []
        for a, (i, (pl, pr)) in enumerate(zip(size, pads)):
            self._check_padding_mode(ctx, a, i, pl, pr, listed_pad)
            padded = norm(i + pl + pr)
            ctx.require(padded, ">=", k_eff[a],
                        lambda padded=padded, a=a: "kernel size can't be greater than the padded input: padded "
                        f"input {show(padded)}, effective kernel {show(k_eff[a])}", axis=a, param="kernel_size",
                        listed=isinstance(self.kernel_size, list))
            out.append(norm(fdiv(padded - k_eff[a], s[a]) + 1))
            unread.append(norm(vmax(0, norm(vmod(padded - k_eff[a], s[a])) - pr)))
            formula.append(_conv_formula(pl, pr, k_eff[a], s[a]))
        known_out, params, macs, groups = self._channels(ctx, channels, k, out, transposed=False)
        return LayerShape(out, known_out, pads, formula, unread, [0] * ctx.rank, params, macs,
                          {"kernel_size": k, "stride": s, "dilation": d, "groups": groups})

    def plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        if self.padding_mode != "zeros":
            return None  # F.pad's limits: the general rule
        window = plain_window_params(self, self.padding, rank, limit)
        channel_fields = self._plain_channels(limit, channels, [1] if window is None else window[0],
                                              transposed=False)
        if window is None or channel_fields is None:
            return None
        k, s, d, pads = window
        known_out, params, weights, groups = channel_fields
        # Per axis: out = floor((i + c)/s) + 1 with c = pl + pr - k_eff, the rows a last window leaves
        # unread max(0, (i + c) mod s - pr) (the rule of ``infer``)
        steps = [(pl + pr - d[a] * (k[a] - 1) - 1, s[a], pr) for a, (pl, pr) in enumerate(pads)]
        formula = [floor_affine(c, st, 1) for c, st, _ in steps]
        zeros = [0] * rank

        def sizes(size: list[int]) -> PlainSizes | None:
            out, unread = [], []
            for i, (c, st, pr) in zip(size, steps):
                q, r = divmod(i + c, st)
                if q < 0:
                    return None  # the kernel is larger than the padded input
                out.append(q + 1)
                unread.append(r - pr if r > pr else 0)
            return out, unread, zeros, None if weights is None else weights * prod(out)

        return PlainRule(sizes=sizes, out_channels=known_out, padding=pads, formula=formula, params=params,
                         resolved={"kernel_size": k, "stride": s, "dilation": d, "groups": groups})

    def _check_padding_mode(self, ctx: LayerContext, a: int, i: Value, pl: Value, pr: Value, listed: bool) -> None:
        # F.pad limits (torch/nn/functional.py, aten ReflectionPad / PadNd).
        if self.padding_mode == "reflect":
            for p in {id(pl): pl, id(pr): pr}.values():
                ctx.require(p, "<", i, f"reflect padding {show(p)} must be less than the input size {show(i)}",
                            axis=a, param="padding", listed=listed)
        elif self.padding_mode == "circular":
            check_circular(ctx, a, i, pl, pr, listed=listed)

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        return _window_map(shape, axis)

    def drops_rows(self, shape: LayerShape, axis: int) -> bool:
        return drops_rows(shape, axis)
    @classmethod
    def _weight_channels(cls, weight: tuple[int, ...], groups: Any, c_in: int, loc: tuple) -> int:
        if type(groups) is int and groups >= 1 and weight[1] * groups != c_in:
            raise _refuse((*loc, "weight"), f"weight of shape {list(weight)} and groups={groups} expect "
                          f"{weight[1] * groups} input channels, but the input has {c_in}")
        return weight[0]

    def compute_work(self, shape: LayerShape, shapes: Shapes, output_elements: int) -> int:
        x = shapes["input"]
        assert x is not None
        channels_per_group = x[-len(shape.output_size) - 1] // int(shape.resolved["groups"])
        return output_elements * channels_per_group * prod(resolved_ints(shape, "kernel_size"))

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        x, weight = shapes["input"], shapes["weight"]
        assert x is not None and weight is not None
        run = prepare_conv(x, weight[2:], weight[0], pads=pad_pairs(shape), stride=resolved_ints(shape, "stride"),
                           dilation=resolved_ints(shape, "dilation"), groups=int(shape.resolved["groups"]),
                           out=output_ints(shape), padding_mode=self.padding_mode)
        return lambda x, a: {"output": run(x, a["weight"], a.get("bias"))}  # type: ignore[arg-type]
    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        return window_taps(shape, axis)


@register
class ConvTranspose(OptionalOutputSize, _ConvFamily):
    """Transposed convolution, as ``torch.nn.ConvTranspose1d/2d/3d``."""

    names = ("conv_transpose",)
    cli_names: ClassVar[Mapping[str, str]] = {"conv_t": "conv_transpose", "convt": "conv_transpose",
                                              "tconv": "conv_transpose",
                 "deconv": "conv_transpose", "up_conv": "conv_transpose"}
    cli_keys: ClassVar[Mapping[str, str]] = {**_ConvFamily.cli_keys, "op": "output_padding", "os": "output_size"}
    compute_params = ConvTransposeParams
    compute_request = ConvTransposeRequest
    compute_order = 20
    explainable = True

    axis_fields: ClassVar[tuple[str, ...] | None] = (*_ConvFamily.axis_fields, "output_padding", "output_size")

    op: Literal["conv_transpose"]
    output_padding: PerAxis = 0
    padding_mode: Literal["zeros"] = Field(default="zeros", description="PyTorch allows only zeros here.")
    output_size: PerAxis | None = Field(
        default=None,
        description="Picks output_padding as PyTorch's forward(x, output_size) does "
        "(window [min, min + stride - 1]); the layer's output_padding is then ignored.",
    )

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        plain = self._plain_infer(ctx, size, channels)
        if plain is not None:
            return plain
        k, s, d, k_eff = window_params(ctx, self)
        op = ctx.per_axis("output_padding", self.output_padding)
        listed_op = isinstance(self.output_padding, list)
        # With output_size, PyTorch's forward ignores the layer's output_padding entirely.
        for a in range(ctx.rank if self.output_size is None else 0):
            ctx.require(op[a], ">=", 0, "output_padding must be non-negative", axis=a,
                        param="output_padding", listed=listed_op)
            # aten/src/ATen/native/NaiveConvolutionTranspose2d.cpp shape check.
            ctx.require(norm(vmax(s[a], d[a])), ">", op[a],
                        lambda a=a: "output padding must be smaller than either stride or dilation, but got "
                        f"output_padding={show(op[a])}, stride={show(s[a])}, dilation={show(d[a])}",
                        axis=a, param="output_padding", listed=listed_op)
        pads = self._padding(ctx, size, k_eff, s, op)
        if self.output_size is not None:
            op = self._output_padding_from_size(ctx, size, pads, k_eff, s)
        out, formula = [], []
        for a, (i, (pl, pr)) in enumerate(zip(size, pads)):
            o = norm((i - 1) * s[a] - pl - pr + k_eff[a] + op[a])
            ctx.require(o, ">=", 1, lambda o=o: f"output size {show(o)} is too small", axis=a)
            out.append(o)
            if all(type(v) is int for v in (s[a], pl, pr, k_eff[a], op[a])):
                formula.append(affine(s[a], -s[a] - pl - pr + k_eff[a] + op[a]))
            else:
                formula.append(symbolic_formula(
                    lambda x, a=a, pl=pl, pr=pr: (x - 1) * s[a] - pl - pr + k_eff[a] + op[a]))
        known_out, params, macs, groups = self._channels(ctx, channels, k, size, transposed=True)
        shape = LayerShape(out, known_out, pads, formula, [0] * ctx.rank, [0] * ctx.rank, params, macs,
                           {"kernel_size": k, "stride": s, "dilation": d, "groups": groups, "output_padding": op})
        return with_overlap(ctx, shape, self.overlap(shape))

    def plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        if self.output_size is not None:
            return None  # output_padding from the size: the general rule
        window = plain_window_params(self, self.padding, rank, limit)
        op = plain_axis_ints(self.output_padding, rank, 0, limit)
        channel_fields = self._plain_channels(limit, channels, [1] if window is None else window[0],
                                              transposed=True)
        if window is None or op is None or channel_fields is None:
            return None
        k, s, d, pads = window
        if any(op[a] >= max(s[a], d[a]) for a in range(rank)):
            return None  # ATen's output_padding check
        known_out, params, weights, groups = channel_fields
        # Per axis: out = i*s + c with c = -s - pl - pr + k_eff + output_padding (the rule of ``infer``)
        steps = [(s[a], -s[a] - pl - pr + d[a] * (k[a] - 1) + 1 + op[a]) for a, (pl, pr) in enumerate(pads)]
        formula = [affine(st, c) for st, c in steps]
        resolved = {"kernel_size": k, "stride": s, "dilation": d, "groups": groups, "output_padding": op}
        overlap = self.overlap(LayerShape([], None, pads, [], [], [], resolved=resolved))
        warning = checkerboard_warning(overlap)
        zeros = [0] * rank

        def sizes(size: list[int]) -> PlainSizes | None:
            out = []
            for i, (st, c) in zip(size, steps):
                o = i * st + c
                if o < 1:
                    return None  # too small
                out.append(o)
            return out, zeros, zeros, None if weights is None else weights * prod(size)

        return PlainRule(sizes=sizes, out_channels=known_out, padding=pads, formula=formula, params=params,
                         resolved=resolved, overlap=overlap, warnings=() if warning is None else (warning,))

    def overlap(self, shape: LayerShape) -> list[AxisOverlap | None]:
        return phase_overlap(shape.resolved, shape.padding)

    def _padding(self, ctx: LayerContext, size: list[Value], k_eff: list[Value], s: list[Value],
                 op: list[Value]) -> list[tuple[Value, Value]]:
        if isinstance(self.padding, str) and self.padding in PAD_MODES:
            if self.padding == "valid":
                return [(0, 0)] * ctx.rank
            if self.padding == "same":
                ctx.fail("padding='same' is not defined for conv_transpose in PyTorch; use 'same_upper' or "
                         "'same_lower' (output size i*stride, as ONNX auto_pad)", param="padding",
                         type="value_error.padding")
            if self.output_size is not None:
                ctx.fail("output_size cannot be combined with same_upper/same_lower padding", param="output_size")
            pads = []
            for a in range(ctx.rank):
                total = norm(k_eff[a] + op[a] - s[a])
                ctx.require(total, ">=", 0, f"{self.padding} needs dilation*(kernel_size-1) + 1 + output_padding "
                            f">= stride (total padding would be {show(total)})", axis=a, param="padding", listed=False)
                pads.append(same_split(total, lower=self.padding == "same_lower"))
            return pads
        pads, _ = resolve_padding(ctx, self.padding, size=size, kernel_eff=k_eff, stride=s)
        return pads

    def _output_padding_from_size(self, ctx: LayerContext, size: list[Value], pads: list[tuple[Value, Value]],
                                  k_eff: list[Value], s: list[Value]) -> list[Value]:
        # torch/nn/modules/conv.py::_ConvTransposeNd._output_padding: the window uses the stride only.
        target = ctx.per_axis("output_size", self.output_size)
        listed = isinstance(self.output_size, list)
        op = []
        for a, (i, (pl, pr)) in enumerate(zip(size, pads)):
            low = norm((i - 1) * s[a] - pl - pr + k_eff[a])
            high = norm(low + s[a] - 1)
            reason = (f"requested an output size of {show(target[a])}, but valid sizes range from {show(low)} to "
                      f"{show(high)} (for an input of {show(i)})")
            ctx.require(target[a], ">=", low, reason, axis=a, param="output_size", listed=listed)
            ctx.require(target[a], "<=", high, reason, axis=a, param="output_size", listed=listed)
            op.append(norm(target[a] - low))
        return op

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        forward = _window_map(shape, axis)
        if forward is None:
            return None
        a, b = forward  # inverse of the matching conv's map x = a*y + b
        return exact(Fraction(1, a)), exact(Fraction(-b) / a)

    def output_padding_fit(self, shape: LayerShape, axis: int, target: Value) -> Value | None:
        """The legal ``output_padding`` (``< stride or dilation``, ATen's check) that makes this axis ``target``
        long, or None: the fix a decoder's up-conv needs to meet its skip."""
        r = shape.resolved
        need = norm(target - (shape.output_size[axis] - r["output_padding"][axis]))
        legal = norm(vmax(r["stride"][axis], r["dilation"][axis]))
        if type(need) is not int or type(legal) is not int:
            return None
        return need if 0 <= need < legal else None
    @classmethod
    def _weight_channels(cls, weight: tuple[int, ...], groups: Any, c_in: int, loc: tuple) -> int:
        if weight[0] != c_in:
            raise _refuse((*loc, "weight"), f"weight of shape {list(weight)} expects {weight[0]} input channels "
                          f"(its first dimension), but the input has {c_in}")
        return weight[1] * groups if type(groups) is int else weight[1]

    def compute_work(self, shape: LayerShape, shapes: Shapes, output_elements: int) -> int:
        x, weight = shapes["input"], shapes["weight"]
        assert x is not None and weight is not None
        return prod(x) * weight[1] * prod(resolved_ints(shape, "kernel_size"))

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        x, weight = shapes["input"], shapes["weight"]
        assert x is not None and weight is not None
        run = prepare_conv_transpose(x, weight[2:], weight[1], pads=pad_pairs(shape),
                                     stride=resolved_ints(shape, "stride"), dilation=resolved_ints(shape, "dilation"),
                                     groups=int(shape.resolved["groups"]), out=output_ints(shape))
        return lambda x, a: {"output": run(x, a["weight"], a.get("bias"))}  # type: ignore[arg-type]
    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        # Input x writes outputs s*x - p_before + t*d (output_padding only adds rows at the end).
        r = shape.resolved
        values = (r["stride"][axis], shape.padding[axis][0], r["kernel_size"][axis], r["dilation"][axis])
        return Window.scattered(*values) if all_ints(values) else SymbolicWindow.scattered(*values)


def _conv_formula(pl: Value, pr: Value, k_eff: Value, s: Value) -> Value | str:
    if all_ints((pl, pr, k_eff, s)):
        return floor_affine(pl + pr - k_eff, s, 1)
    return symbolic_formula(lambda x: fdiv(x + pl + pr - k_eff, s) + 1)


def window_taps(shape: LayerShape, axis: int) -> Window | SymbolicWindow:
    """Conv and pools: output y reads ``s*y - p_before + t*d`` for every tap ``t`` in ``0..k-1``."""
    r = shape.resolved
    s, k, d, pl = r["stride"][axis], r["kernel_size"][axis], r["dilation"][axis], shape.padding[axis][0]
    if s.__class__ is int and k.__class__ is int and d.__class__ is int and pl.__class__ is int:
        return Window.sliding(s, k, d, pl)
    return SymbolicWindow.strided(s, norm(-pl), norm(d * (k - 1) - pl))


def _window_map(shape: LayerShape, axis: int) -> tuple[Exact, Exact] | None:
    """Conv and pools: output y's window centre is at ``s*y + d*(k-1)/2 - p_before``."""
    r = shape.resolved
    s, k, d = r["stride"][axis], r["kernel_size"][axis], r["dilation"][axis]
    pl = shape.padding[axis][0]
    if not all(type(v) is int for v in (s, k, d, pl)):
        return None
    return _window_step(s, k, d, pl)


@lru_cache(maxsize=4096)
def _window_step(s: int, k: int, d: int, pl: int) -> tuple[Exact, Exact]:
    # Cached: the valid-size scans ask for the same few windows at every size they try. Ints where integral
    # (convplan.exact): the maps compose them at every node the scans evaluate, and int arithmetic is faster.
    return s, exact(Fraction(d * (k - 1), 2) - pl)

