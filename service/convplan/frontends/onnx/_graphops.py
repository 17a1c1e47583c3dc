"""ONNX ops that are shape-neutral, merges or heads; and the dispatch of ops used both on feature maps
and on shapes (Slice, Concat, Add, Reshape...: on shapes when every input is a constant or a shape).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from convplan.frontends.onnx._convert import Importer, Node, Unsupported
from convplan.frontends.onnx._layers import LAYER_HANDLERS, _feature, _new, _same, circular_pad
from convplan.frontends.onnx._rearrange import extend
from convplan.frontends.onnx._shapeops import SHAPE_HANDLERS, is_shape_input, reshape_target
from convplan.frontends.onnx._shapes import leaf, same_function, sample_worlds
from convplan.frontends.onnx._values import (
    Feature,
    Flat,
    Grouped,
    Known,
    Rearranged,
    Unsqueezed,
    Value,
    Weight,
    Wrapped,
)
from convplan.graph.schema import MAX_NODE_INPUTS

__all__ = ["HANDLERS"]

Handler = Callable[[Importer, Node, list[Value | None]], list[Value] | None]

#: Elementwise ONNX ops and the torch.nn name (snake case) of the same map; math without an nn module
#: (Exp, Sqrt, Erf...) is ``identity`` for sizes.
_UNARY = {
    "Relu": "relu", "LeakyRelu": "leaky_relu", "Elu": "elu", "Selu": "selu", "Celu": "celu",
    "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish",
    "Softplus": "softplus", "Softsign": "softsign", "Mish": "mish", "Gelu": "gelu",
    "ThresholdedRelu": "identity",
    "Exp": "identity", "Log": "identity", "Sqrt": "identity", "Reciprocal": "identity", "Abs": "identity",
    "Neg": "identity", "Erf": "identity", "Floor": "identity", "Ceil": "identity", "Round": "identity",
    "Sign": "identity", "Sin": "identity", "Cos": "identity", "Cast": "identity", "Identity": "identity",
    "Not": "identity", "IsNaN": "identity", "IsInf": "identity",
}


def _unary(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = ins[0]
    if isinstance(x, Flat):
        return [Flat(imp.emit_neutral(node, _UNARY[node.op_type], [x.id]), x.features)]
    return [_same(imp, node, _feature(x, node), _UNARY[node.op_type])]


def _clip_bound(imp: Importer, node: Node, ins: list[Value | None], name: str, index: int) -> float | None:
    """A Clip bound: an attribute before opset 11, an optional constant input from 11; None when absent."""
    if imp.opset < 11:
        value = imp.attr(node, name)
        return None if value is None or abs(value) > 1e30 else float(value)
    if len(ins) <= index or ins[index] is None:
        return None
    items = imp.known(ins[index], f"Clip {name}").array.reshape(-1).tolist()
    return float(items[0]) if items else None


def _clip(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    """ReLU6 (0, 6), ReLU (0, none), Hardtanh (both bounds): as PyTorch's modules export; else identity."""
    if all(is_shape_input(v) for v in ins):
        raise Unsupported("Clip on a shape computation")
    x = _feature(ins[0], node)
    low, high = _clip_bound(imp, node, ins, "min", 1), _clip_bound(imp, node, ins, "max", 2)
    if (low, high) == (0.0, 6.0):
        return [_same(imp, node, x, "relu6")]
    if low == 0.0 and high is None:
        return [_same(imp, node, x, "relu")]
    if low is not None and high is not None:
        return [_same(imp, node, x, "hardtanh", min_val=low, max_val=high)]
    return [_same(imp, node, x, "identity")]


def _dropout(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = ins[0]
    if isinstance(x, Unsqueezed):
        return [x, x]  # identity for sizes: the Squeeze after it gives the map back
    if isinstance(x, Flat):
        out: Value = Flat(imp.emit_neutral(node, "dropout", [x.id]), x.features)
    else:
        out = _same(imp, node, _feature(x, node), "dropout")
    return [out, out]


def _prelu(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    dims = ins[1].dims if isinstance(ins[1], Weight) else getattr(getattr(ins[1], "array", None), "shape", None)
    if dims is None:
        raise Unsupported("the slope is not a constant")
    count = 1
    for d in dims:
        count *= d
    return [_same(imp, node, x, "prelu", num_parameters=count)]


def _softmax(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    op = "softmax" if node.op_type == "Softmax" else "log_softmax"
    x = ins[0]
    if isinstance(x, Flat):
        if imp.attr(node, "axis", 1) % 2 != 1:
            raise Unsupported("softmax over the batch")
        return [Flat(imp.emit_neutral(node, op, [x.id], dim=1), x.features)]
    x = _feature(x, node)
    axis = imp.attr(node, "axis", 1 if imp.opset < 13 else -1) % (x.rank + 2)
    if axis != 1:
        raise Unsupported(f"{node.op_type} over axis {axis}: only over channels (dim 1)")
    return [_same(imp, node, x, op, dim=1)]


def _batch_norm(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    out = _same(imp, node, _feature(ins[0], node), "batch_norm")
    return [out] * len(node.output)  # training outputs (running stats) have no meaning here


def _affine(value: Value | None, ones: int) -> bool:
    """Whether a norm's scale (``ones`` = 1) or bias (0) is learnt: not a constant all ``ones``."""
    return not (isinstance(value, Known) and all(v == ones for v in value.array.reshape(-1).tolist()))


def _instance_norm(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = ins[0]
    if isinstance(x, Grouped) and not x.normed:
        return [Grouped(x.feature, x.groups, normed=True)]
    x = _feature(x, node)
    affine = _affine(ins[1], 1) or _affine(ins[2], 0)
    return [_same(imp, node, x, "instance_norm", affine=affine)]


def _group_norm(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    groups = imp.attr(node, "num_groups")
    affine = _affine(ins[1], 1) or _affine(ins[2], 0)
    return [_same(imp, node, x, "group_norm", num_groups=groups, affine=affine)]


def _layer_norm(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    axis = imp.attr(node, "axis", -1) % (x.rank + 2)
    if axis == 0:
        raise Unsupported("LayerNormalization over the batch")
    dims = ins[1].dims if isinstance(ins[1], Weight) else getattr(getattr(ins[1], "array", None), "shape", None)
    if dims is None or len(dims) != x.rank + 2 - axis:
        raise Unsupported("the scale is not a constant over the normalised axes")
    return [_same(imp, node, x, "layer_norm", normalized_shape=list(dims),
                  elementwise_affine=True, bias=len(ins) > 2 and ins[2] is not None)]


def _lrn(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    return [_same(imp, node, _feature(ins[0], node), "local_response_norm", size=imp.attr(node, "size"))]


def _depth_space(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    r = imp.attr(node, "blocksize")
    if node.op_type == "DepthToSpace":
        channels = x.channels // (r ** x.rank) if x.channels is not None else None
        return [_new(imp, node, x, "pixel_shuffle", channels, upscale_factor=r)]
    channels = x.channels * r ** x.rank if x.channels is not None else None
    return [_new(imp, node, x, "pixel_unshuffle", channels, downscale_factor=r)]


# --- merges and constant operands ---------------------------------------------------------------------

_MERGE = {"Add": "add", "Sub": "add", "Mul": "mul", "Div": "mul"}


def _other_size(imp: Importer, x: Feature, const: Value) -> list[int]:
    """Per spatial axis, the size of a constant operand broadcast against ``x`` (NumPy: from the right)."""
    dims = const.dims if isinstance(const, Weight) else const.shape  # type: ignore[union-attr]
    if isinstance(const, Known) and any(not isinstance(v, int | float) and hasattr(v, "op")
                                        for v in const.array.reshape(-1).tolist()):
        raise Unsupported("an operand computed from tensor sizes")
    full = (1,) * (x.rank + 2 - len(dims)) + tuple(dims)
    if len(full) != x.rank + 2:
        raise Unsupported("a constant operand of higher rank than the feature map")
    return list(full[2:])


def _binary(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if all(is_shape_input(v) for v in ins):
        return SHAPE_HANDLERS[node.op_type](imp, node, ins)
    op = _MERGE[node.op_type]
    features = [v for v in ins if isinstance(v, Feature | Flat)]
    consts = [v for v in ins if is_shape_input(v)]
    if len(features) == 2:
        a, b = features
        if isinstance(a, Flat) and isinstance(b, Flat):
            return [Flat(imp.emit(node.output[0], op, [a.id, b.id]), a.features)]
        a, b = _feature(a, node), _feature(b, node)
        channels = a.channels if b.channels in (1, a.channels) else b.channels
        return [_new(imp, node, a, op, channels, inputs=[a.id, b.id])]
    x, const = features[0], consts[0]
    if isinstance(x, Flat):
        return [Flat(imp.emit(node.output[0], op, [x.id]), x.features)]
    if const is None:
        raise Unsupported("an empty operand")
    return [_same(imp, node, _feature(x, node), op, other_size=_other_size(imp, x, const))]


def _pow(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    if not is_shape_input(ins[1]):
        raise Unsupported("a feature map as exponent")
    return [_same(imp, node, _feature(ins[0], node), "identity")]


def _concat(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    if all(is_shape_input(v) for v in ins):
        return SHAPE_HANDLERS["Concat"](imp, node, ins)
    first = next(v for v in ins if v is not None)
    rank = first.rank if isinstance(first, Feature) else first.feature.rank if isinstance(first, Wrapped) else None
    axis = imp.attr(node, "axis")
    if rank is not None and axis % (rank + 2) >= 2:
        return [circular_pad(imp, node, ins, axis % (rank + 2))]
    features = [_feature(v, node) for v in ins if v is not None]
    x = features[0]
    if axis % (x.rank + 2) != 1:
        raise Unsupported("Concat on an axis other than channels")
    channels = None if any(f.channels is None for f in features) else sum(f.channels for f in features)  # type: ignore[misc]
    if len(features) == 1:
        return [_same(imp, node, x, "identity")]
    return [_new(imp, node, x, "concat", channels, inputs=[f.id for f in features])]


def _repeat(imp: Importer, node: Node, x: Feature, repeats: int) -> Feature:
    """``x.repeat(1, r, 1, 1)``: torch.cat of ``r`` copies on channels (a concat takes at most
    ``MAX_NODE_INPUTS`` inputs: a hostile repeat of 10**12 would be a list of 10**12 names)."""
    if not 1 <= repeats <= MAX_NODE_INPUTS:
        raise Unsupported(f"a repeat of {repeats} copies on channels (1 to {MAX_NODE_INPUTS}: a concat's inputs)")
    if repeats == 1:
        return _same(imp, node, x, "identity")
    channels = x.channels * repeats if x.channels is not None else None
    return _new(imp, node, x, "concat", channels, inputs=[x.id] * repeats)


def _tile(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    repeats = imp.ints(ins[1], "Tile repeats")
    if len(repeats) != x.rank + 2 or any(r != 1 for i, r in enumerate(repeats) if i != 1):
        raise Unsupported("Tile other than on channels")
    return [_repeat(imp, node, x, repeats[1])]


def _expand(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if is_shape_input(ins[0]):
        return SHAPE_HANDLERS["Expand"](imp, node, ins)
    x = _feature(ins[0], node)
    shape = imp.known(ins[1], "Expand shape").array.reshape(-1).tolist()
    shape = [1] * (x.rank + 2 - len(shape)) + shape
    worlds = sample_worlds(shape)
    for a in range(x.rank):
        item = shape[2 + a]
        if item != 1 and not same_function(item, x.dim(a), worlds):
            raise Unsupported("Expand on a spatial axis")
    target = shape[1]
    if target in (1, x.channels) or same_function(target, leaf(x.id, 1), worlds):
        return [_same(imp, node, x, "identity")]
    if x.channels != 1 or not isinstance(target, int):
        raise Unsupported("Expand on channels from more than one channel or to a computed count")
    return [_repeat(imp, node, x, target)]


# --- reshapes, heads ----------------------------------------------------------------------------------

def _is_batch(item: Any) -> bool:
    """A Reshape target's first entry that keeps the batch: 0 (copy), -1, the batch size, or a number."""
    return item == leaf("", 0) or (isinstance(item, int) and (item >= 0 or item == -1))


def _flatten(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = ins[0]
    if isinstance(x, Flat):
        return [x]
    x = _feature(x, node)
    if imp.attr(node, "axis", 1) != 1:
        raise Unsupported("Flatten on an axis other than 1")
    return [_flat(imp, node, x)]


def _flat(imp: Importer, node: Node, x: Feature) -> Flat:
    return Flat(imp.emit(node.output[0], "flatten", [x.id]), None)


def _reshape(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if is_shape_input(ins[0]):
        return SHAPE_HANDLERS["Reshape"](imp, node, ins)
    target = reshape_target(imp, node, ins)
    x = ins[0]
    step = ("reshape", tuple(target), bool(imp.attr(node, "allowzero", 0)))
    if isinstance(x, Rearranged | Unsqueezed):
        return [extend(imp, node, x, step)]
    if isinstance(x, Flat):
        if len(target) == 2 and _is_batch(target[0]):
            return [x]
        raise Unsupported("Reshape of a flat tensor to other than (N, F)")
    if isinstance(x, Grouped):
        if not x.normed or len(target) != x.feature.rank + 2:
            raise Unsupported("Reshape to groups not followed by InstanceNormalization and a Reshape back")
        return [_group_norm_pattern(imp, node, x)]
    x = _feature(x, node)
    if len(target) == 2 and _is_batch(target[0]) and (target[1] == -1 or isinstance(target[1], int)):
        return [_flat(imp, node, x)]
    if len(target) == 3 and _is_batch(target[0]) and isinstance(target[1], int) and target[1] > 0 \
            and target[2] == -1:
        return [Grouped(x, target[1])]
    return [extend(imp, node, x, step)]  # the map itself, a pixel (un)shuffle, or refused by its reader


def _group_norm_pattern(imp: Importer, node: Node, g: Grouped) -> Feature:
    """Reshape -> InstanceNormalization -> Reshape (-> Mul -> Add): PyTorch's GroupNorm as both exporters
    write it. A following Mul and Add by per-channel constants are its affine parameters."""
    x = g.feature
    affine = False
    readers = imp.consumers.get(node.output[0], [])
    if len(readers) == 1 and readers[0].op_type == "Mul":
        mul = readers[0]
        adds = imp.consumers.get(mul.output[0], [])
        other = [imp.values.get(n) for n in mul.input if n != node.output[0]]
        if len(adds) == 1 and adds[0].op_type == "Add" and other and isinstance(other[0], Known | Weight):
            imp.absorbed.update({id(mul), id(adds[0])})
            out = _same(imp, node, x, "group_norm", num_groups=g.groups, affine=True)
            imp.values[mul.output[0]] = out
            imp.values[adds[0].output[0]] = out
            affine = True
            return out
    return _same(imp, node, x, "group_norm", num_groups=g.groups, affine=affine)


def _gemm(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = ins[0]
    if not isinstance(x, Flat):
        raise Unsupported("Gemm/MatMul other than a head on a flattened tensor")
    dims = ins[1].dims if isinstance(ins[1], Weight) else getattr(getattr(ins[1], "array", None), "shape", None)
    if dims is None or len(dims) != 2:
        raise Unsupported("the weight is not a 2-D initializer")
    if node.op_type == "Gemm":
        if imp.attr(node, "transA", 0):
            raise Unsupported("Gemm with transA")
        out_f, in_f = (dims[0], dims[1]) if imp.attr(node, "transB", 0) else (dims[1], dims[0])
        bias = len(ins) > 2 and ins[2] is not None
        return [Flat(imp.emit(node.output[0], "linear", [x.id], in_features=in_f, out_features=out_f, bias=bias),
                     out_f)]
    in_f, out_f = dims
    bias = False
    readers = imp.consumers.get(node.output[0], [])
    if len(readers) == 1 and readers[0].op_type == "Add":
        other = [imp.values.get(n) for n in readers[0].input if n != node.output[0]]
        if other and isinstance(other[0], Known | Weight) and _dims(other[0]) in ((out_f,), (1, out_f)):
            imp.absorbed.add(id(readers[0]))
            bias = True
    out = Flat(imp.emit(node.output[0], "linear", [x.id], in_features=in_f, out_features=out_f, bias=bias), out_f)
    if bias:
        imp.values[readers[0].output[0]] = out
    return [out]


def _dims(value: Value) -> tuple[int, ...]:
    return value.dims if isinstance(value, Weight) else value.shape  # type: ignore[union-attr]


def _transpose(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if is_shape_input(ins[0]):
        return SHAPE_HANDLERS["Transpose"](imp, node, ins)
    x = ins[0]
    perm = imp.attr(node, "perm")
    step = ("transpose", None if perm is None else tuple(perm))
    if isinstance(x, Rearranged | Unsqueezed):
        return [extend(imp, node, x, step)]
    x = _feature(x, node)
    if any(i.nhwc and i.name == x.id for i in imp.inputs):
        return [x]  # an NHWC input's own transpose to channels-first
    return [extend(imp, node, x, step)]


def _cast_or_identity(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if all(is_shape_input(v) for v in ins):
        return SHAPE_HANDLERS[node.op_type](imp, node, ins)
    return _unary(imp, node, ins)


def _shape_only(op_type: str) -> Handler:
    def handler(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
        if op_type in ("Shape", "Size") or all(is_shape_input(v) for v in ins):
            return SHAPE_HANDLERS[op_type](imp, node, ins)
        raise Unsupported(f"{op_type} of a feature map")

    return handler


def _axes(imp: Importer, node: Node, ins: list[Value | None]) -> tuple[int, ...]:
    if len(ins) > 1 and ins[1] is not None:
        return tuple(imp.ints(ins[1], "axes"))
    return tuple(imp.attr(node, "axes", ()))


def _unsqueeze(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if is_shape_input(ins[0]):
        return SHAPE_HANDLERS["Unsqueeze"](imp, node, ins)
    if isinstance(ins[0], Rearranged):
        return [extend(imp, node, ins[0], ("unsqueeze", _axes(imp, node, ins)))]
    return [Unsqueezed(_feature(ins[0], node), _axes(imp, node, ins), imp.label(node), node.input[0])]


def _squeeze(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if is_shape_input(ins[0]):
        return SHAPE_HANDLERS["Squeeze"](imp, node, ins)
    x = ins[0]
    axes = _axes(imp, node, ins) or None  # none given: every axis of size 1
    if isinstance(x, Unsqueezed) and axes == x.axes:
        return [x.feature]
    if isinstance(x, Rearranged | Unsqueezed):
        return [extend(imp, node, x, ("squeeze", axes))]
    _feature(x, node)
    raise Unsupported("Squeeze of a feature map (only undoing an Unsqueeze, or in a pixel (un)shuffle)")


def _unary_or_shape(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value] | None:
    if node.op_type in SHAPE_HANDLERS and all(is_shape_input(v) for v in ins):
        return SHAPE_HANDLERS[node.op_type](imp, node, ins)
    return _unary(imp, node, ins)


HANDLERS: dict[str, Handler] = {
    **{op: _shape_only(op) for op in SHAPE_HANDLERS},
    **{op: _unary_or_shape for op in _UNARY},
    **LAYER_HANDLERS,
    "Cast": _cast_or_identity,
    "Identity": _cast_or_identity,
    "Dropout": _dropout,
    "Clip": _clip,
    "PRelu": _prelu,
    "Softmax": _softmax,
    "LogSoftmax": _softmax,
    "BatchNormalization": _batch_norm,
    "InstanceNormalization": _instance_norm,
    "GroupNormalization": _group_norm,
    "LayerNormalization": _layer_norm,
    "LRN": _lrn,
    "DepthToSpace": _depth_space,
    "SpaceToDepth": _depth_space,
    **{op: _binary for op in _MERGE},
    "Pow": _pow,
    "Concat": _concat,
    "Tile": _tile,
    "Expand": _expand,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Gemm": _gemm,
    "MatMul": _gemm,
    "Transpose": _transpose,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
}
