"""What an ONNX tensor is to the importer: a feature map, a flat head tensor, or known integers.

Weights are read by their dims only (``Weight``); small integer or float
tensors (a Resize's scales, a Pad's pads, a Slice's bounds) by value
(``Known``), as NumPy object arrays of exact numbers or shape expressions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from convplan.frontends.onnx._shapes import Sym, leaf

__all__ = ["MAX_KNOWN", "Feature", "Flat", "Grouped", "Known", "Poison", "Rearranged", "Value", "Weight", "Wrapped",
           "constant_of"]

#: Largest tensor read by value: shape parameters are a few numbers; anything larger is a weight.
MAX_KNOWN = 4096

_FLOATS = frozenset({onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
                     onnx.TensorProto.BFLOAT16})
_INTS = frozenset({onnx.TensorProto.INT64, onnx.TensorProto.INT32, onnx.TensorProto.INT16, onnx.TensorProto.INT8,
                   onnx.TensorProto.UINT8, onnx.TensorProto.UINT16, onnx.TensorProto.UINT32,
                   onnx.TensorProto.UINT64, onnx.TensorProto.BOOL})
_READABLE = _FLOATS | _INTS
_STORAGE = {data_type: helper.tensor_dtype_to_field(data_type) for data_type in _READABLE}  # where to_array reads


@dataclass(frozen=True)
class Feature:
    """A map ``(N, C, *spatial)`` made by convplan node (or input) ``id``; ``canon`` names, per spatial
    axis, the earliest tensor with the same size there (shape-neutral nodes keep their input's, a crop
    on some axes the others'), so that shape expressions compare sizes, not tensor names."""

    id: str
    rank: int
    channels: int | None
    canon: tuple[str, ...]

    def dim(self, axis: int) -> Sym:
        """The size of spatial axis ``axis`` as a shape-expression leaf."""
        return leaf(self.canon[axis], 2 + axis)


@dataclass(frozen=True)
class Flat:
    """A head tensor ``(N, F)`` after ``flatten``."""

    id: str
    features: int | None


@dataclass(frozen=True)
class Grouped:
    """``x`` reshaped to ``(N, G, -1)`` (GroupNorm as written by the exporters); ``normed`` after the
    InstanceNormalization."""

    feature: Feature
    groups: int
    normed: bool = False


@dataclass(frozen=True)
class Unsqueezed:
    """A feature map with size-1 axes inserted (``axes``), as PyTorch's Dropout2d/3d exports around
    itself on a map of lower rank; only a Squeeze of the same axes (through Dropout) gives it back."""

    feature: Feature
    axes: tuple[int, ...]
    label: str = ""  # the Unsqueeze's, for a refusal
    source: str = ""  # the ONNX name of the map it unsqueezes (its declared dims)


@dataclass(frozen=True)
class Wrapped:
    """The first or last ``amount`` rows of ``feature`` on spatial ``axis`` (a constant Slice) read only by a
    Concat on that axis: the TorchScript exporter's circular padding, ``[tail, x, head]``."""

    feature: Feature
    axis: int
    end: str  # "tail": x[-amount:], "head": x[:amount]
    amount: int


@dataclass(frozen=True)
class Rearranged:
    """A feature map through Reshape / Transpose / Unsqueeze / Squeeze steps that have not given a feature map
    back yet (``_rearrange.py``: the exporters' PixelUnshuffle); ``nodes``: the steps' (op type, label)."""

    feature: Feature
    steps: tuple[tuple[Any, ...], ...]
    nodes: tuple[tuple[str, str], ...]
    source: str  # the ONNX name of the map it started from (its declared dims)


@dataclass(frozen=True)
class Known:
    """Integers or floats known as exact values or shape expressions (object array)."""

    array: np.ndarray
    floating: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)


class _Read(Known):
    """A tensor's values, made exact at the first look at ``array``: most small float initializers (norms'
    statistics and affine parameters, biases) are never asked for, and a Fraction per value costs far more
    than reading the file (a U-Net with its weights: 200 ms for 60k values)."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        object.__setattr__(self, "floating", floating)
        object.__setattr__(self, "_values", values)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.__dict__["_values"].shape)  # without making the values exact

    def __getattr__(self, name: str) -> Any:
        if name != "array":
            raise AttributeError(name)
        values = self.__dict__["_values"]
        items = [Fraction(v) if self.floating else int(v) for v in values.reshape(-1).tolist()]
        array = np.empty(len(items), dtype=object)
        array[:] = [int(v) if isinstance(v, Fraction) and v.denominator == 1 else v for v in items]
        array = array.reshape(values.shape)
        object.__setattr__(self, "array", array)  # made once: later looks find the attribute itself
        return array


@dataclass(frozen=True)
class Weight:
    """A tensor known by its dims only (an initializer too large to be a shape parameter, or stripped)."""

    dims: tuple[int, ...]


@dataclass(frozen=True)
class Poison:
    """The output of a node already reported as unsupported: its consumers are not reported again."""


Value = Feature | Flat | Grouped | Unsqueezed | Rearranged | Wrapped | Known | Weight | Poison


def constant_of(tensor: onnx.TensorProto) -> Known | Weight:
    """An initializer or Constant: by value when small, integer or float and present, else by dims."""
    dims = tuple(tensor.dims[:])  # a slice: faster than iterating the protobuf container (hundreds of weights)
    negative = bool(dims) and min(dims) < 0
    count = 0 if negative else math.prod(dims)
    data_type = tensor.data_type
    if (count > MAX_KNOWN or negative or data_type not in _READABLE
            or tensor.data_location == onnx.TensorProto.EXTERNAL):
        return Weight(dims)
    if not tensor.raw_data and not getattr(tensor, _STORAGE[data_type]) and (
            count or not (tensor.float_data or tensor.int64_data or tensor.int32_data or tensor.double_data
                          or tensor.uint64_data)):
        # Stripped: dims without data. ``to_array`` reads only ``raw_data`` or the type's own field: with those
        # empty, any other field gives no value, so a tensor of at least one value is a weight at once.
        return Weight(dims)
    try:
        values = numpy_helper.to_array(tensor)  # reads only this tensor's own bytes (count <= MAX_KNOWN)
    except (ValueError, TypeError):  # stripped: dims without data
        return Weight(dims)
    if values.size != count:
        return Weight(dims)
    floating = tensor.data_type in _FLOATS
    if floating:
        values = values.astype(np.float64)  # exact for every float type (float16 and bfloat16 included)
        if not np.isfinite(values).all():  # NaN or infinity: no size follows from it
            return Weight(dims)
    return _Read(values.reshape(dims), floating)
