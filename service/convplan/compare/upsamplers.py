"""``POST /v1/compare/upsamplers`` as a library call: one input, every upsampler (contract section 10).

Each method is one call into the NumPy core (``convplan.numeric``), so its
values are the compute endpoint's (PyTorch's float64 results):

- ``nearest``, ``bilinear``, ``bilinear_align_corners``, ``bicubic``:
  ``F.interpolate(x, scale_factor=f, mode=...)`` with the rank's linear mode
  (``linear`` / ``bilinear`` / ``trilinear``);
- ``conv_transpose``: ``F.conv_transposeNd(x, w, stride=f, padding=p,
  output_padding=2p - (k - f))`` with ``p = ceil((k - f)/2)``, so ``f*i`` out;
  by default ``w`` is the bilinear kernel of Caffe's ``BilinearFiller`` /
  FCN's ``get_upsampling_weight`` (``k = 2f - f % 2``), channel ``c`` to ``c``
  (run as a depthwise convolution: the same result without ``C**2`` weights);
  it equals ``bilinear`` except at the first and last ``floor(f/2)`` outputs
  per axis, where its taps fall on the zero padding instead of replicating
  the edge;
- ``max_unpool``: ``F.max_unpoolNd(x, indices, f, output_size=pooled_from's
  size)`` with the indices of ``F.max_poolNd(pooled_from, f)``, cut to
  ``f*i`` (the rows past ``f*i`` hold no maximum: they are always zero).

Limits are the compute endpoint's: tensor elements in, response elements out
(every output, coverage included) and multiply-adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np

import convplan.numeric as cn
from convplan.compare.models import METHODS, CompareUpsamplersRequest, Method
from convplan.compute.tensors import Measured, build, measure
from convplan.errors import ErrorItem, InvalidRequest, LimitExceeded
from convplan.ops import AxisOverlap, axis_overlap, checkerboard_warning

__all__ = ["CompareResult", "UpsamplerResult", "bilinear_kernel", "compare_upsamplers", "transposed_padding"]

_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
# Source pixels read per output pixel and axis: the work of one interpolated value is taps**rank.
_TAPS = {"nearest": 1, "bilinear": 2, "bilinear_align_corners": 2, "bicubic": 4}


@dataclass(frozen=True, kw_only=True)
class UpsamplerResult:
    """One method's output (``(N, C, *(f*i))``); conv_transpose also carries its coverage and geometry."""

    method: Method
    output: np.ndarray
    coverage: np.ndarray | None = None
    overlap: list[AxisOverlap] | None = None
    kernel_size: list[int] | None = None
    padding: list[int] | None = None
    output_padding: list[int] | None = None
    weight_init: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"output": self.output, "shape": list(self.output.shape)}
        if self.method == "conv_transpose":
            assert self.overlap is not None
            out.update(coverage=self.coverage, overlap=[a.as_dict() for a in self.overlap],
                       kernel_size=self.kernel_size, padding=self.padding, output_padding=self.output_padding,
                       weight_init=self.weight_init)
        return out


@dataclass(frozen=True, kw_only=True)
class CompareResult:
    scale_factor: int
    input_shape: list[int]
    results: list[UpsamplerResult]
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        """The response: NumPy arrays inside (the route serialises them)."""
        return {"scale_factor": self.scale_factor, "input_shape": self.input_shape,
                "methods": {r.method: r.as_dict() for r in self.results}, "warnings": self.warnings}


def _invalid(loc: tuple[str | int, ...], msg: str, kind: str = "value_error.shape") -> InvalidRequest:
    return InvalidRequest(msg, [ErrorItem(loc, msg, kind)])


def bilinear_kernel(f: int) -> np.ndarray:
    """Caffe's BilinearFiller / FCN's ``get_upsampling_weight`` along one axis: ``k = 2f - f % 2`` taps,
    ``w(t) = 1 - |t - (k - 1)/2| / f``."""
    k = 2 * f - f % 2
    t = np.arange(k, dtype=np.float64)
    return 1 - np.abs(t - (k - 1) / 2) / f


def transposed_padding(k: int, f: int) -> tuple[int, int]:
    """``(padding, output_padding)`` that make a stride-``f`` transposed conv of kernel ``k`` give ``f*i``:
    ``(i-1)*f - 2p + k + op = f*i`` with ``p = ceil((k - f)/2)``, ``op = 2p - (k - f)`` (0 or 1)."""
    p = -((f - k) // 2)
    return p, 2 * p - (k - f)


def _methods(request: CompareUpsamplersRequest, rank: int) -> list[Method]:
    if request.methods is None:
        return [m for m in METHODS if (m != "bicubic" or rank == 2) and (m != "max_unpool" or
                                                                          request.pooled_from is not None)]
    for n, method in enumerate(request.methods):
        if method == "bicubic" and rank != 2:
            raise _invalid(("methods", n), f"bicubic is 2-D only (as in PyTorch); the input has {rank} spatial "
                                           f"ax{'is' if rank == 1 else 'es'}", "value_error.method")
        if method == "max_unpool" and request.pooled_from is None:
            raise _invalid(("pooled_from",), "max_unpool needs pooled_from: the tensor whose max_pool supplies "
                                             "the indices", "missing")
    return list(request.methods)


def _tensors(request: CompareUpsamplersRequest, limit: int) -> dict[str, Measured | None]:
    used = 0
    out: dict[str, Measured | None] = {}
    for name in ("input", "pooled_from", "weight"):
        value = getattr(request, name)
        if value is None:
            out[name] = None
            continue
        measured = measure(value, (name,), budget=limit - used, limit=limit)
        used += measured.size
        out[name] = measured
    return out


def _check_weight(shape: tuple[int, ...], x: tuple[int, ...], f: int) -> tuple[list[int], list[int], list[int]]:
    rank, c = len(x) - 2, x[1]
    if len(shape) != rank + 2 or shape[0] != c or shape[1] != c:
        raise _invalid(("weight",), f"weight must be (C, C, *kernel) = ({c}, {c}, {', '.join(['k'] * rank)}) for "
                                    f"an input of shape {list(x)}, got {list(shape)}")
    kernel, pads, ops = list(shape[2:]), [], []
    for a, k in enumerate(kernel):
        p, op = transposed_padding(k, f)
        if p < 0:
            msg = (f"kernel size {k} on axis {a} is too small for scale factor {f}: the padding ceil((k - f)/2) = "
                   f"{p} would be negative, which PyTorch refuses (k >= f - 1 is needed)")
            raise InvalidRequest(msg, [ErrorItem(("weight",), msg, "value_error.kernel_size", None, a)])
        if op >= f:
            msg = (f"kernel size {k} on axis {a} with scale factor {f} needs output_padding {op}, but PyTorch "
                   f"requires output_padding < stride ({f}); use a kernel of odd size")
            raise InvalidRequest(msg, [ErrorItem(("weight",), msg, "value_error.kernel_size", None, a)])
        pads.append(p)
        ops.append(op)
    return kernel, pads, ops


def _check_pooled(shape: tuple[int, ...], x: tuple[int, ...], f: int) -> None:
    pooled = tuple(shape[:2]) + tuple(s // f for s in shape[2:])
    if len(shape) != len(x) or pooled != x:
        raise _invalid(("pooled_from",), f"max_pool(pooled_from, {f}) must have the input's shape {list(x)}: "
                                         f"pooled_from of shape {list(shape)} pools to {list(pooled)} (pooled_from "
                                         f"must be (N, C, f*i + r) with 0 <= r < f per axis)")


def _check_limits(settings: Any, methods: list[Method], x: tuple[int, ...], f: int, kernel: list[int],
                  given_weight: bool, pooled: tuple[int, ...] | None) -> None:
    rank, n, c = len(x) - 2, x[0], x[1]
    out = n * c * prod(f * i for i in x[2:])
    count = out * (len(methods) + ("conv_transpose" in methods))  # the coverage map is output-shaped
    if count > settings.max_output_elements:
        raise LimitExceeded(f"the response: {count} elements, over the limit of {settings.max_output_elements}",
                            [ErrorItem((), f"{count} elements over the limit {settings.max_output_elements}",
                                       "limit.max_output_elements")],
                            extra={"limit": "max_output_elements", "value": settings.max_output_elements})
    work = 0
    for method in methods:
        if method in _TAPS:
            work += out * _TAPS[method] ** rank
        elif method == "conv_transpose":
            taps = prod(kernel)
            work += prod(x) * (c if given_weight else 1) * taps + prod(x[2:]) * taps + out  # + coverage, broadcast
        else:  # max_unpool: the pool reads every window once, the scatter writes each input once
            assert pooled is not None
            work += prod(pooled) + prod(x)
    if work > settings.max_compute_work:
        raise LimitExceeded(f"about {work} multiply-adds, over the limit of {settings.max_compute_work} for one "
                            "request", [ErrorItem((), f"over {settings.max_compute_work} multiply-adds",
                                                  "limit.compute_work")],
                            extra={"limit": "max_compute_work", "value": settings.max_compute_work})


def _conv_transpose(x: np.ndarray, weight: np.ndarray | None, f: int, kernel: list[int], pads: list[int],
                    ops: list[int]) -> UpsamplerResult:
    rank, c = x.ndim - 2, x.shape[1]
    if weight is None:
        w = bilinear_kernel(f)
        w_nd = w.reshape(-1)
        for _ in range(rank - 1):
            w_nd = np.multiply.outer(w_nd, w)
        # Channel c to c only (FCN's diagonal weight) is a depthwise conv with the kernel in every group.
        depthwise = np.ascontiguousarray(np.broadcast_to(w_nd, (c, 1, *w_nd.shape)))
        output = cn.conv_transpose(x, depthwise, stride=f, padding=pads, output_padding=ops, groups=c)
    else:
        output = cn.conv_transpose(x, weight, stride=f, padding=pads, output_padding=ops)
    ones = cn.conv_transpose(np.ones((1, 1, *x.shape[2:])), np.ones((1, 1, *kernel)), stride=f, padding=pads,
                             output_padding=ops)
    coverage = np.ascontiguousarray(np.broadcast_to(ones[0, 0].round().astype(np.int64), output.shape))
    return UpsamplerResult(method="conv_transpose", output=output, coverage=coverage,
                           overlap=[axis_overlap(k, f, 1, p) for k, p in zip(kernel, pads)], kernel_size=kernel,
                           padding=pads, output_padding=ops, weight_init="bilinear" if weight is None else "given")


def _max_unpool(x: np.ndarray, pooled_from: np.ndarray, f: int) -> UpsamplerResult:
    _, indices = cn.max_pool(pooled_from, f, return_indices=True)
    output = cn.max_unpool(x, indices, f, output_size=list(pooled_from.shape[2:]))
    cut = output[(slice(None), slice(None), *(slice(0, f * i) for i in x.shape[2:]))]
    return UpsamplerResult(method="max_unpool", output=np.ascontiguousarray(cut))


def compare_upsamplers(request: CompareUpsamplersRequest, settings: Any) -> CompareResult:
    """Run the requested (or every applicable) method on ``request.input``; refusals raise ``convplan.errors``."""
    measured = _tensors(request, settings.max_input_elements)
    x_m = measured["input"]
    assert x_m is not None
    x_shape, f = x_m.shape, request.scale_factor
    rank = len(x_shape) - 2
    if not 1 <= rank <= 3:
        raise _invalid(("input",), f"input has {len(x_shape)} dimensions; (N, C, *spatial) with 1 to 3 spatial "
                                   "axes needs 3 to 5")
    methods = _methods(request, rank)
    w_m, p_m = measured["weight"], measured["pooled_from"]
    if w_m is not None:
        kernel, pads, ops = _check_weight(w_m.shape, x_shape, f)
    else:
        kernel = [2 * f - f % 2] * rank
        pads, ops = map(list, zip(*(transposed_padding(k, f) for k in kernel)))
    if p_m is not None:
        _check_pooled(p_m.shape, x_shape, f)
    _check_limits(settings, methods, x_shape, f, kernel, w_m is not None, None if p_m is None else p_m.shape)

    x = build(x_m)
    results = []
    warnings = []
    with np.errstate(over="ignore", invalid="ignore"):
        for method in methods:
            if method == "conv_transpose":
                result = _conv_transpose(x, None if w_m is None else build(w_m), f, kernel, pads, ops)
                assert result.overlap is not None
                warning = checkerboard_warning(list(result.overlap))
                if warning is not None:
                    warnings.append(f"conv_transpose: {warning}")
            elif method == "max_unpool":
                assert p_m is not None
                result = _max_unpool(x, build(p_m), f)
            else:
                mode = "bicubic" if method == "bicubic" else "nearest" if method == "nearest" else _LINEAR[rank]
                output = cn.upsample(x, scale_factor=f, mode=mode,
                                     align_corners=None if method == "nearest" else method == "bilinear_align_corners")
                result = UpsamplerResult(method=method, output=output)
            if not np.isfinite(result.output).all():
                msg = f"{method}: the result overflows float64 (a value is infinite or NaN)"
                raise _invalid(("input",), msg, "value_error.overflow")
            results.append(result)
    return CompareResult(scale_factor=f, input_shape=list(x_shape), results=results, warnings=warnings)
