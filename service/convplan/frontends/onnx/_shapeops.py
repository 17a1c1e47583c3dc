"""ONNX ops on shapes and constants: evaluated to :class:`Known` values, never executed.

Shape, Gather, Slice, Squeeze, Unsqueeze, Reshape, Concat, Cast, Transpose,
Expand, ConstantOfShape, Size, Range and the elementwise integer ops
(ONNX's truncating Div) with the comparisons the TorchScript exporter writes
for ``//``. Every array here is a few numbers (``MAX_KNOWN``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
from onnx import helper

from convplan.frontends.onnx._convert import Importer, Node, Unsupported
from convplan.frontends.onnx._shapes import apply
from convplan.frontends.onnx._values import MAX_KNOWN, Known, Value, Weight, constant_of

__all__ = ["SHAPE_HANDLERS", "is_shape_input"]

Handler = Callable[[Importer, Node, list[Value | None]], list[Value]]

_FLOAT_TYPES = frozenset({onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
                          onnx.TensorProto.BFLOAT16})


def is_shape_input(value: Value | None) -> bool:
    return value is None or isinstance(value, Known | Weight)


def _known(array: np.ndarray, floating: bool = False) -> Known:
    if not isinstance(array, np.ndarray):  # NumPy indexing returns a bare item for a scalar result
        item, array = array, np.empty((), dtype=object)
        array[()] = item
    if array.size > MAX_KNOWN:
        raise Unsupported(f"a shape computation of {array.size} values (at most {MAX_KNOWN})")
    return Known(np.asarray(array, dtype=object), floating)


def _axes_from(imp: Importer, node: Node, ins: list[Value | None], index: int) -> list[int] | None:
    """Axes given as an attribute (older opsets) or as input ``index`` (newer)."""
    if len(ins) > index and ins[index] is not None:
        return imp.ints(ins[index], "axes")
    axes = imp.attr(node, "axes")
    return list(axes) if axes is not None else None


def _constant(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    for a in node.attribute:
        if a.name in ("value", "sparse_value"):
            tensor = a.t if a.name == "value" else a.sparse_tensor.values
            value = constant_of(tensor)
            if isinstance(value, Weight) and a.name == "sparse_value":
                value = Weight(tuple(a.sparse_tensor.dims))
            return [value]
        if a.name in ("value_int", "value_ints", "value_float", "value_floats"):
            raw = helper.get_attribute_value(a)
            floating = "float" in a.name
            return [_known(np.array(raw, dtype=object), floating)]
    raise Unsupported("a Constant without a numeric value")


def _shape(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    if ins[0] is None:
        raise Unsupported("Shape of nothing")
    full = imp.shape_of(ins[0])
    start = imp.attr(node, "start", 0)
    end = imp.attr(node, "end", None)
    return [_known(full[slice(start, end)])]


def _size(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    shape = imp.shape_of(ins[0]) if ins[0] is not None else np.empty(0, dtype=object)
    total: Any = 1
    for item in shape:
        total = apply("mul", np.array(total, dtype=object), np.array(item, dtype=object)).item()
    return [_known(np.array(total, dtype=object))]


def _arg(imp: Importer, value: Value | None, what: str) -> Known:
    return imp.known(value, what)


def _gather(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Gather data")
    indices = np.array(imp.ints(ins[1], "Gather indices"), dtype=np.int64)
    shape = imp.known(ins[1], "Gather indices").array.shape
    axis = imp.attr(node, "axis", 0)
    if data.array.ndim == 0:
        raise Unsupported("Gather from a scalar")
    n = data.array.shape[axis]
    if np.any((indices < -n) | (indices >= n)):
        raise Unsupported("Gather index out of range")
    taken = np.take(data.array, indices.reshape(shape) % n if n else indices.reshape(shape), axis=axis)
    return [_known(taken, data.floating)]


def _slice(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Slice data")
    if imp.opset < 10:
        starts, ends = list(imp.attr(node, "starts", [])), list(imp.attr(node, "ends", []))
        axes, steps = imp.attr(node, "axes"), None
    else:
        starts, ends = imp.ints(ins[1], "Slice starts"), imp.ints(ins[2], "Slice ends")
        axes = imp.ints(ins[3], "Slice axes") if len(ins) > 3 and ins[3] is not None else None
        steps = imp.ints(ins[4], "Slice steps") if len(ins) > 4 and ins[4] is not None else None
    axes = list(axes) if axes is not None else list(range(len(starts)))
    steps = steps or [1] * len(starts)
    index: list[slice] = [slice(None)] * data.array.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        if st == 0:
            raise Unsupported("Slice with step 0")
        index[a] = slice(s, e, st)  # Python's slice clamps exactly as ONNX's Slice does
    return [_known(data.array[tuple(index)], data.floating)]


def _squeeze(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Squeeze data")
    axes = _axes_from(imp, node, ins, 1)
    array = data.array
    if axes is None:
        axes = [a for a, d in enumerate(array.shape) if d == 1]
    return [_known(np.squeeze(array, axis=tuple(a % max(array.ndim, 1) for a in axes)), data.floating)]


def _unsqueeze(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Unsqueeze data")
    axes = _axes_from(imp, node, ins, 1) or []
    rank = data.array.ndim + len(axes)
    array = data.array
    for a in sorted(x % rank for x in axes):
        array = np.expand_dims(array, a)
    return [_known(array, data.floating)]


def reshape_target(imp: Importer, node: Node, ins: list[Value | None]) -> list[Any]:
    """The target shape of a Reshape (opset 5+: input; older: attribute), items may be expressions."""
    if imp.opset < 5:
        return list(imp.attr(node, "shape", []))
    return imp.known(ins[1], "Reshape shape").array.reshape(-1).tolist()


def _reshape(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Reshape data")
    target = reshape_target(imp, node, ins)
    if not all(isinstance(t, int) for t in target):
        raise Unsupported("Reshape of a shape computation to a computed shape")
    dims = [data.array.shape[i] if t == 0 and not imp.attr(node, "allowzero", 0) else t
            for i, t in enumerate(target)]
    return [_known(data.array.reshape(dims), data.floating)]


def _concat(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    parts = [_arg(imp, v, "Concat input") for v in ins if v is not None]
    axis = imp.attr(node, "axis", 0)
    arrays = [p.array for p in parts if p.array.size or p.array.ndim]
    if not arrays:
        return [_known(np.empty(0, dtype=object))]
    return [_known(np.concatenate(arrays, axis=axis), any(p.floating for p in parts))]


def _cast(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Cast input")
    to = imp.attr(node, "to")
    floating = to in _FLOAT_TYPES
    if floating == data.floating:
        return [data]
    return [_known(apply("float" if floating else "int", data.array), floating)]


def _transpose(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Transpose input")
    perm = imp.attr(node, "perm")
    return [_known(np.transpose(data.array, perm), data.floating)]


def _expand(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    data = _arg(imp, ins[0], "Expand input")
    shape = imp.ints(ins[1], "Expand shape")
    out = np.broadcast_shapes(data.array.shape, tuple(shape))
    _bounded(out, "Expand")
    return [_known(np.broadcast_to(data.array, out).copy(), data.floating)]


def _bounded(shape: tuple[int, ...], what: str) -> None:
    """Refuse a result over ``MAX_KNOWN`` values before it is made (a hostile broadcast of two 4096-value
    tensors is 16M Python objects; an Expand to 10**12, memory without bound)."""
    count = math.prod(shape)
    if count > MAX_KNOWN:
        raise Unsupported(f"a shape computation of {count} values (at most {MAX_KNOWN}) in {what}")


def _constant_of_shape(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    shape = imp.ints(ins[0], "ConstantOfShape shape")
    fill: Known | Weight = Known(np.zeros(1, dtype=object))
    for a in node.attribute:
        if a.name == "value":
            fill = constant_of(a.t)
    if not isinstance(fill, Known):
        raise Unsupported("ConstantOfShape with an unreadable value")
    count = int(np.prod(shape)) if shape else 1
    if count > MAX_KNOWN:
        raise Unsupported(f"ConstantOfShape of {count} values (at most {MAX_KNOWN})")
    array = np.empty(count, dtype=object)
    array[:] = [fill.array.reshape(-1)[0]] * count
    return [_known(array.reshape(shape), fill.floating)]


def _range(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    start, limit, delta = (imp.ints(v, "Range bound")[0] for v in ins[:3])
    if delta == 0 or abs((limit - start) // delta) > MAX_KNOWN:
        raise Unsupported("Range too long or with step 0")
    return [_known(np.array(list(range(start, limit, delta)), dtype=object))]


def _elementwise(op: str, *, variadic: bool = False) -> Handler:
    def handler(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
        args = [_arg(imp, v, f"{node.op_type} input") for v in ins if v is not None]
        _bounded(np.broadcast_shapes(*(a.array.shape for a in args)), node.op_type)
        floating = any(a.floating for a in args[:2] if op != "where") or (op == "where" and
                                                                          any(a.floating for a in args[1:]))
        name = "fdiv" if op == "div" and floating else op
        if variadic:
            result = args[0].array
            for other in args[1:]:
                result = apply(name, result, other.array)
        else:
            result = apply(name, *(a.array for a in args))
        if op in ("lt", "gt", "le", "ge", "eq", "not", "and", "or", "xor"):
            floating = False
        return [_known(result, floating)]

    return handler


def _identity(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    return [ins[0]]  # type: ignore[list-item]


SHAPE_HANDLERS: dict[str, Handler] = {
    "Constant": _constant,
    "Shape": _shape,
    "Size": _size,
    "Gather": _gather,
    "Slice": _slice,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Reshape": _reshape,
    "Concat": _concat,
    "Cast": _cast,
    "Transpose": _transpose,
    "Expand": _expand,
    "ConstantOfShape": _constant_of_shape,
    "Range": _range,
    "Identity": _identity,
    "Add": _elementwise("add"),
    "Sub": _elementwise("sub"),
    "Mul": _elementwise("mul"),
    "Div": _elementwise("div"),
    "Mod": _elementwise("mod"),
    "Neg": _elementwise("neg"),
    "Abs": _elementwise("abs"),
    "Floor": _elementwise("floor"),
    "Ceil": _elementwise("ceil"),
    "Min": _elementwise("min", variadic=True),
    "Max": _elementwise("max", variadic=True),
    "Less": _elementwise("lt"),
    "Greater": _elementwise("gt"),
    "LessOrEqual": _elementwise("le"),
    "GreaterOrEqual": _elementwise("ge"),
    "Equal": _elementwise("eq"),
    "Not": _elementwise("not"),
    "And": _elementwise("and"),
    "Or": _elementwise("or"),
    "Xor": _elementwise("xor"),
    "Where": _elementwise("where"),
}
