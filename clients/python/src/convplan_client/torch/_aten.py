"""ATen ops (torch.export's graph before decompositions) -> the contract's layer vocabulary (section 2).

One handler per op family, keyed by the schema name (``aten::conv2d``); its
arguments come by name from the op's schema, defaults included. A handler
returns the FX node's value (see ``_graph``): a new node (``Op.emit``), an
alias of its input (ops that leave sizes and channels alone and are no
``torch.nn`` module: ``clone``, ``x * 0.5``), or a refusal (``Op.refuse``).
Sizes and amounts read from other tensors' shapes are SymPy expressions in
the input's symbols; ``Op.scalar`` prints them in the grammar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from convplan_client.torch._expr import UnprintableExpr, print_expr
from convplan_client.torch._graph import Const, Indices, Tensor, Unknown, Walk

__all__ = ["HANDLERS", "IGNORED", "Op"]


class Op:
    """One FX node being mapped: its arguments by name, and what a handler needs of the walk."""

    def __init__(self, node: Any, walk: Walk, values: dict[Any, Any], names: dict[str, str | int],
                 replace: Callable[[Any], Any]) -> None:
        self.node = node
        self.walk = walk
        self.names = names
        self._values = values
        self._replace = replace
        self.args = _by_name(node)

    # --- reading arguments -------------------------------------------------

    def value(self, arg: Any) -> Any:
        """The walk's value of an FX argument (lists mapped item by item)."""
        if isinstance(arg, (list, tuple)):
            return type(arg)(self.value(a) for a in arg)
        if hasattr(arg, "op") and hasattr(arg, "meta"):
            return self._values.get(arg)
        return arg

    def tensor(self, name: str) -> Tensor | Const | Unknown | None:
        return self.value(self.args[name])

    def scalar(self, arg: Any) -> int | str:
        """An int or SymInt argument (an FX node or a value) as an int or an expression in the grammar."""
        import sympy

        if hasattr(arg, "meta") and "val" in arg.meta:
            arg = arg.meta["val"]
        if isinstance(arg, bool):
            raise UnprintableExpr("a boolean where a size was expected")
        if isinstance(arg, int):
            return arg
        if isinstance(arg, float):
            return print_expr(sympy.Float(arg), self.names)
        expr = getattr(getattr(arg, "node", None), "expr", None)
        if expr is None:
            raise UnprintableExpr(f"cannot read {type(arg).__name__} as a size")
        return print_expr(self._replace(expr), self.names)

    def ints(self, name: str) -> list[int | str]:
        raw = self.args[name]
        raw = [raw] if not isinstance(raw, (list, tuple)) else raw
        return [self.scalar(v) for v in raw]

    def per_axis(self, name: str, rank: int) -> Any:
        """A list argument as the contract's per-axis value: one scalar when all agree."""
        values = self.ints(name)
        if len(values) == 1:
            values = values * rank
        return values[0] if len(set(map(str, values))) == 1 else values

    def shape(self, which: Any = None) -> tuple[Any, ...]:
        """The output's (or an FX argument's) shape as SymPy expressions."""
        val = (which if which is not None else self.node).meta["val"]
        return tuple(self._expr(s) for s in val.shape)

    def _expr(self, size: Any) -> Any:
        import sympy

        if isinstance(size, int):
            return sympy.Integer(size)
        return self._replace(size.node.expr)

    def print(self, expr: Any) -> int | str:
        return print_expr(expr, self.names)

    @property
    def out_rank(self) -> int:
        val = self.node.meta["val"]
        return len((val[0] if isinstance(val, (list, tuple)) else val).shape)

    # --- results -----------------------------------------------------------

    def emit(self, op: str, inputs: list[Tensor], params: dict[str, Any] | None = None, *,
             consts: tuple[Const | None, ...] = (), rank: int | None = None) -> Tensor:
        out = self.walk.emit(self.node, op, inputs, self.out_rank if rank is None else rank, params or {}, consts)
        val = self.node.meta["val"]
        val = val[0] if isinstance(val, (list, tuple)) else val
        if out.rank > 2 and len(val.shape) == out.rank:
            self.walk.register(out.key, tuple(self._expr(s) for s in val.shape[2:]))
        return out

    def fixed(self, *exprs: Any) -> bool:
        """Whether the expressions read an axis the caller gave as an int (so they are fixed at it in the body)."""
        return any(isinstance(self.names.get(sym.name), int) for e in exprs for sym in e.free_symbols)

    def warn_fixed(self, what: str) -> None:
        self.walk.warnings.append(f"{self.node.name} ({_where(self.node)}): {what} follows the input size but is "
                                  "fixed at the traced size (name the axes, e.g. ('H', 'W'), to keep it exact)")

    def refuse(self, reason: str) -> Unknown:
        return self.walk.refuse(self.node, reason)


def _where(node: Any) -> str:
    from convplan_client.torch._graph import module_path

    return module_path(node) or "<top>"


def _anchor(op: Op, before: Any, after: Any, difference: Any) -> str | None:
    """``start`` / ``end`` / ``center`` (floor(D/2) before), whichever the amounts are at every size; else None."""
    import sympy

    symbols = sorted(set().union(*(e.free_symbols for e in (before, after, difference))), key=str)
    points = [dict.fromkeys(symbols, v) for v in (64, 65, 97, 130, 259)]
    points += [{s: v + 3 * k for k, s in enumerate(symbols)} for v in (70, 101)]

    def at(expr: Any, point: dict[Any, int]) -> int:
        return int(sympy.Integer(expr.xreplace({s: sympy.Integer(v) for s, v in point.items()})))

    for name, rule in (("start", lambda p: at(before, p) == 0), ("end", lambda p: at(after, p) == 0),
                       ("center", lambda p: at(before, p) == at(difference, p) // 2)):
        try:
            if all(rule(p) for p in points):
                return name
        except (TypeError, ValueError):
            return None
    return None


def _by_name(node: Any) -> dict[str, Any]:
    schema = getattr(node.target, "_schema", None)
    if schema is None:
        return {}
    out: dict[str, Any] = {}
    for i, arg in enumerate(schema.arguments):
        if i < len(node.args):
            out[arg.name] = node.args[i]
        elif arg.name in node.kwargs:
            out[arg.name] = node.kwargs[arg.name]
        else:
            out[arg.name] = arg.default_value if arg.has_default_value() else None
    return out


def _spatial_input(op: Op, name: str = "input", *, ranks: tuple[int, ...] = (3, 4, 5)) -> Tensor | Unknown:
    value = op.tensor(name)
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, Tensor):
        return op.refuse("its input is not computed from the network's input")
    if value.rank not in ranks:
        return op.refuse(f"an input of rank {value.rank} (expected (N, C, *spatial))")
    return value


# --- convolutions ------------------------------------------------------------


def _conv(op: Op) -> Any:
    x = _spatial_input(op)
    if isinstance(x, Unknown):
        return x
    weight, bias = op.tensor("weight"), op.tensor("bias")
    if not isinstance(weight, Const):
        return op.refuse("the weight is computed from the input (dynamic weights have no layer)")
    rank = x.rank - 2
    transposed = bool(op.args.get("transposed", op.node.target._schema.name.startswith("aten::conv_transpose")))
    groups = int(op.args.get("groups") or 1)
    params: dict[str, Any] = {
        "kernel_size": _compact(list(weight.shape[2:])),
        "stride": op.per_axis("stride", rank),
        "padding": op.args["padding"] if isinstance(op.args["padding"], str) else op.per_axis("padding", rank),
        "dilation": op.per_axis("dilation", rank),
        "groups": groups,
        "out_channels": weight.shape[1] * groups if transposed else weight.shape[0],
        "bias": bias is not None,
    }
    if transposed:
        output_padding = op.ints("output_padding") if op.args.get("output_padding") is not None else [0]
        if all(isinstance(v, int) for v in output_padding):
            params["output_padding"] = _compact(output_padding * (rank if len(output_padding) == 1 else 1))
        else:  # forward(x, output_size): PyTorch picked output_padding from the requested size
            params["output_size"] = [op.print(s) for s in op.shape()[2:]]
    return op.emit("conv_transpose" if transposed else "conv", [x], params, consts=(weight, _const(bias)))


def _compact(values: list[Any]) -> Any:
    return values[0] if len(set(map(str, values))) == 1 else values


def _const(value: Any) -> Const | None:
    return value if isinstance(value, Const) else None


# --- pools -------------------------------------------------------------------


def _pool_window(op: Op, rank: int) -> dict[str, Any]:
    kernel = op.per_axis("kernel_size", rank)
    stride = op.ints("stride") if op.args.get("stride") not in (None, []) else []
    params: dict[str, Any] = {"kernel_size": kernel}
    if stride:
        params["stride"] = op.per_axis("stride", rank)
    params["padding"] = op.per_axis("padding", rank)
    return params


def _max_pool(op: Op) -> Any:
    x = _spatial_input(op, "self")
    if isinstance(x, Unknown):
        return x
    rank = x.rank - 2
    params = _pool_window(op, rank)
    params["dilation"] = op.per_axis("dilation", rank)
    params["ceil_mode"] = bool(op.args["ceil_mode"])
    out = op.emit("max_pool", [x], params)
    if isinstance(op.node.meta["val"], (list, tuple)):
        return (out, Indices(dict(params)))
    return out


def _avg_pool(op: Op) -> Any:
    x = _spatial_input(op, "self")
    if isinstance(x, Unknown):
        return x
    params = _pool_window(op, x.rank - 2)
    params["ceil_mode"] = bool(op.args["ceil_mode"])
    params["count_include_pad"] = bool(op.args["count_include_pad"])
    if op.args.get("divisor_override") is not None:
        params["divisor_override"] = int(op.args["divisor_override"])
    return op.emit("avg_pool", [x], params)


def _adaptive(kind: str) -> Callable[[Op], Any]:
    def handler(op: Op) -> Any:
        x = _spatial_input(op, "self")
        if isinstance(x, Unknown):
            return x
        out = op.emit(kind, [x], {"output_size": op.per_axis("output_size", x.rank - 2)})
        return (out, Unknown()) if isinstance(op.node.meta["val"], (list, tuple)) else out

    return handler


def _reduce(kind: str) -> Callable[[Op], Any]:
    """``x.mean((2, 3), keepdim=True)`` / ``amax``: a global pool, as ONNX's ReduceMean is (section 8)."""

    def handler(op: Op) -> Any:
        x = _spatial_input(op, "self")
        if isinstance(x, Unknown):
            return x
        dims = sorted(int(d) % x.rank for d in (op.args["dim"] or []))
        if dims != list(range(2, x.rank)):
            return op.refuse(f"a reduction over dims {dims}, not over all spatial axes")
        out = op.emit(kind, [x], {"output_size": 1}, rank=x.rank)
        if op.args.get("keepdim"):
            return out
        return op.walk.emit(op.node, "flatten", [out], 2, {})

    return handler


def _max_unpool(op: Op) -> Any:
    x = _spatial_input(op, "self")
    if isinstance(x, Unknown):
        return x
    indices = op.tensor("indices")
    if not isinstance(indices, Indices):
        return op.refuse("the indices do not come from a max pool of this network")
    params = {k: v for k, v in indices.pool.items() if k in {"kernel_size", "stride", "padding"}}
    params["output_size"] = [op.print(s) for s in op.shape()[2:]]
    return op.emit("max_unpool", [x], params)


# --- resampling ------------------------------------------------------------------

_UPSAMPLE_MODES = {"nearest": "nearest", "_nearest_exact": "nearest-exact", "nearest_exact": "nearest-exact",
                   "linear": "linear", "bilinear": "bilinear", "bicubic": "bicubic", "trilinear": "trilinear"}


def _upsample(op: Op) -> Any:
    x = _spatial_input(op)
    if isinstance(x, Unknown):
        return x
    name = op.node.target._schema.name.removeprefix("aten::")
    antialias = name.endswith("_aa")
    kind = name.removeprefix("_").removeprefix("upsample_").removesuffix("_aa")[:-2]
    mode = _UPSAMPLE_MODES.get(kind)
    if mode is None:
        return op.refuse(f"the upsampling mode {kind!r} is not in the vocabulary")
    params: dict[str, Any] = {"mode": mode}
    scales = op.args.get("scale_factors")
    if scales:
        factors = [_scale(op, s) for s in scales]
        if any(isinstance(f, Unknown) for f in factors):
            return next(f for f in factors if isinstance(f, Unknown))
        params["scale_factor"] = _compact(factors)
    else:
        size = op.shape()[2:]
        like = op.walk.sizes.get(size) if op.fixed(*size) else None
        if like is not None:  # F.interpolate(x, size=y.shape[2:]) at int input sizes: y's size at every size
            params["size_of"] = like
        else:
            if op.fixed(*size):
                op.warn_fixed("the upsample size")
            params["size"] = _compact([op.print(s) for s in size])
    if op.args.get("align_corners"):
        params["align_corners"] = True
    if antialias:
        params["antialias"] = True
    return op.emit("upsample", [x], params)


def _scale(op: Op, value: Any) -> Any:
    """A scale factor as the number it is (the contract's ``scale_factor`` is a number, never an expression:
    0.5 as ``"1/2"`` was refused by the service)."""
    if hasattr(value, "meta") and "val" in value.meta:
        value = value.meta["val"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return op.refuse("a scale factor computed from tensor sizes")
    return int(value) if float(value).is_integer() else float(value)


def _shuffle(kind: str, factor: str) -> Callable[[Op], Any]:
    def handler(op: Op) -> Any:
        x = _spatial_input(op, "self")
        if isinstance(x, Unknown):
            return x
        return op.emit(kind, [x], {factor: int(op.args[factor])})

    return handler


# --- pads and crops ----------------------------------------------------------------

_PAD_MODES = {"constant_pad_nd": "constant", "reflection_pad": "reflect", "replication_pad": "replicate",
              "_pad_circular": "circular"}


def _pad(op: Op) -> Any:
    x = _spatial_input(op, "self")
    if isinstance(x, Unknown):
        return x
    name = op.node.target._schema.name.removeprefix("aten::")
    if name == "pad":
        mode = op.args.get("mode") or "constant"
    else:
        mode = next(m for prefix, m in _PAD_MODES.items() if name.startswith(prefix))
    amounts = op.ints("pad" if "pad" in op.args else "padding")
    rank = x.rank - 2
    pairs: list[list[int | str]] = [[0, 0] for _ in range(rank)]
    for j in range(len(amounts) // 2):
        dim = x.rank - 1 - j
        pair = [amounts[2 * j], amounts[2 * j + 1]]
        if dim < 2:
            if pair != [0, 0]:
                return op.refuse("a pad of the batch or channel axis")
            continue
        pairs[dim - 2] = pair
    value = op.args.get("value")
    params: dict[str, Any] = {"padding": pairs, "mode": mode}
    if value not in (None, 0, 0.0):
        op.walk.warnings.append(f"{op.node.name}: pad value {value} (sizes do not depend on it)")
    return op.emit("pad", [x], params)


def _slice(op: Op) -> Any:
    import sympy

    x = op.tensor("self")
    if isinstance(x, Unknown):
        return x
    if not isinstance(x, Tensor):
        return Const(tuple(op.node.meta["val"].shape)) if isinstance(x, Const) else op.refuse("not a tensor")
    dim = int(op.args["dim"]) % x.rank
    step = op.args.get("step")
    if step not in (None, 1):
        return op.refuse(f"a slice with step {step}")
    in_shape, out_shape = op.shape(op.args["self"]), op.shape()
    if sympy.simplify(in_shape[dim] - out_shape[dim]) == 0:
        return x  # the whole axis: x[:, :, :]
    if dim < 2 or x.rank < 3:
        return op.refuse("a slice of the batch or channel axis (or of a head's features)")
    start = op.args.get("start")
    start_expr = sympy.Integer(0) if start is None else op._expr(start.meta["val"] if hasattr(start, "meta") else start)
    if start_expr.is_number and start_expr < 0:
        start_expr = start_expr + in_shape[dim]
    before = sympy.Max(0, start_expr) if not start_expr.is_number else start_expr
    after = in_shape[dim] - out_shape[dim] - before
    if op.fixed(before, after):  # at int input sizes: a crop to another tensor's size, where it is one
        like = op.walk.axis_sizes.get((dim - 2, out_shape[dim]))
        anchor = _anchor(op, before, after, in_shape[dim] - out_shape[dim]) if like is not None else None
        if anchor is not None:
            return op.emit("crop", [x], {"size_of": like, "axes": [dim - 2], "anchor": anchor})
        if like is not None and before.is_number:  # Caffe's crop `x[5:5 + y.shape[2]]` (FCN-8s): an offset,
            offset: list[list[int | str]] = [[0, 0] for _ in range(x.rank - 2)]  # then y's size from there
            offset[dim - 2] = [int(before), 0]
            shifted = op.emit("crop", [x], {"crop": offset})
            return op.emit("crop", [shifted], {"size_of": like, "axes": [dim - 2], "anchor": "start"})
        op.warn_fixed("the crop")
    crop: list[list[int | str]] = [[0, 0] for _ in range(x.rank - 2)]
    crop[dim - 2] = [op.print(before), op.print(after)]
    return op.emit("crop", [x], {"crop": crop})


def _narrow(op: Op) -> Any:
    x = op.tensor("self")
    if isinstance(x, Unknown):
        return x
    if not isinstance(x, Tensor) or x.rank < 3 or int(op.args["dim"]) % x.rank < 2:
        return op.refuse("a narrow of the batch or channel axis")
    dim = int(op.args["dim"]) % x.rank
    in_shape, out_shape = op.shape(op.args["self"]), op.shape()
    start = op._expr(op.args["start"].meta["val"]) if hasattr(op.args["start"], "meta") else op.args["start"]
    crop: list[list[int | str]] = [[0, 0] for _ in range(x.rank - 2)]
    crop[dim - 2] = [op.print(start), op.print(in_shape[dim] - out_shape[dim] - start)]
    return op.emit("crop", [x], {"crop": crop})


# --- merges and elementwise ------------------------------------------------------------


def _cat(op: Op) -> Any:
    values = op.value(op.args["tensors"])
    if any(isinstance(v, Unknown) for v in values):
        return Unknown()
    if not all(isinstance(v, Tensor) for v in values):
        return op.refuse("a concatenation with a constant tensor")
    rank = values[0].rank
    if int(op.args["dim"]) % rank != 1:
        return op.refuse(f"a concatenation along dim {op.args['dim']} (only channels, dim 1, is a concat)")
    if len(values) == 1:
        return values[0]
    return op.emit("concat", list(values))


def _repeat(op: Op) -> Any:
    """``x.repeat(1, r, 1, 1)``: r copies along channels, i.e. ``torch.cat([x] * r, 1)``."""
    x = op.tensor("self")
    if isinstance(x, Unknown):
        return x
    repeats = [int(r) for r in op.args["repeats"]]
    if not isinstance(x, Tensor) or len(repeats) != x.rank or any(r != 1 for i, r in enumerate(repeats) if i != 1):
        return op.refuse(f"a repeat {repeats} (only along channels is a layer)")
    if repeats[1] == 1:
        return x
    return op.emit("concat", [x] * repeats[1])


def _binary(kind: str) -> Callable[[Op], Any]:
    def handler(op: Op) -> Any:
        a, b = op.tensor("self"), op.tensor("other")
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return Unknown()
        tensors = [v for v in (a, b) if isinstance(v, Tensor)]
        if not tensors:
            return Const(tuple(op.node.meta["val"].shape))
        if len(tensors) == 2:
            return op.emit(kind, tensors, rank=max(t.rank for t in tensors))
        (x,) = tensors
        other = b if x is a else a
        if not isinstance(other, Const):  # a Python number: shape-neutral
            return x
        if len(other.shape) > x.rank:
            return op.refuse("a constant operand of higher rank than the tensor")
        shape = (1,) * (x.rank - len(other.shape)) + tuple(other.shape)
        spatial = list(shape[2:]) if x.rank > 2 else []
        if other.fqn is not None:
            op.walk.warnings.append(f"{op.node.name}: the parameter {other.fqn} is a constant operand of "
                                    f"{kind}; its values are not counted in params")
        params = {"other_size": spatial} if spatial and any(s != 1 for s in spatial) else {}
        if not params:
            return x  # a per-channel constant (a scale, a bias): shape-neutral
        return op.emit(kind, [x], params, rank=x.rank)

    return handler


# --- norms, activations, dropout -------------------------------------------------------------


_NORM_DEFAULTS: dict[str, dict[str, Any]] = {
    "batch_norm": {"affine": True, "track_running_stats": True},
    "instance_norm": {"affine": False, "track_running_stats": False},
    "group_norm": {"affine": True},
    "layer_norm": {"elementwise_affine": True, "bias": True},
}


def _norm(kind: str) -> Callable[[Op], Any]:
    def handler(op: Op) -> Any:
        x = op.tensor("input")
        if isinstance(x, Unknown):
            return x
        if not isinstance(x, Tensor):
            return op.refuse("not computed from the network's input")
        weight, bias = _const(op.tensor("weight")), _const(op.tensor("bias"))
        params: dict[str, Any] = {}
        if kind in {"batch_norm", "instance_norm"}:
            params["affine"] = weight is not None
            params["track_running_stats"] = op.args.get("running_mean") is not None
        elif kind == "group_norm":
            params["num_groups"] = int(op.args["num_groups"])
            params["affine"] = weight is not None
        else:  # layer_norm
            params["normalized_shape"] = [op.scalar(s) for s in op.args["normalized_shape"]]
            params["elementwise_affine"] = weight is not None
            params["bias"] = bias is not None
        # only what differs from torch.nn's defaults (BatchNorm2d(C), InstanceNorm2d(C), GroupNorm, LayerNorm)
        defaults = _NORM_DEFAULTS[kind]
        params = {k: v for k, v in params.items() if defaults.get(k, not v) != v}
        return op.emit(kind, [x], params, consts=(weight, bias))

    return handler


def _neutral(kind: str, *, arg: str = "self") -> Callable[[Op], Any]:
    def handler(op: Op) -> Any:
        x = op.tensor(arg)
        if isinstance(x, (Unknown, Const)):
            return x
        if not isinstance(x, Tensor):
            return op.refuse("not computed from the network's input")
        return op.emit(kind, [x])

    return handler


def _prelu(op: Op) -> Any:
    x, weight = op.tensor("self"), op.tensor("weight")
    if isinstance(x, Unknown):
        return x
    if not isinstance(x, Tensor) or not isinstance(weight, Const):
        return op.refuse("a prelu whose weight is not a parameter")
    count = 1
    for s in weight.shape:
        count *= s
    return op.emit("prelu", [x], {"num_parameters": count}, consts=(weight,))


def _softmax(kind: str) -> Callable[[Op], Any]:
    def handler(op: Op) -> Any:
        x = op.tensor("self")
        if isinstance(x, (Unknown, Const)):
            return x
        if int(op.args["dim"]) % x.rank != 1:
            return op.refuse(f"a {kind} over dim {op.args['dim']} (only over channels, dim 1)")
        return op.emit(kind, [x], {"dim": 1})

    return handler


def _hardtanh(op: Op) -> Any:
    lo, hi = op.args.get("min_val"), op.args.get("max_val")
    return _neutral("relu6" if (lo, hi) == (0.0, 6.0) else "hardtanh")(op)


def _alias(op: Op) -> Any:
    """Ops that keep sizes and channels and are no layer of their own (copies, views, scalar arithmetic)."""
    first = op.node.args[0] if op.node.args else None
    value = op.value(first)
    return value if isinstance(value, (Tensor, Const, Unknown)) else op.refuse("not a tensor")


# --- heads ---------------------------------------------------------------------------


def _flatten_like(op: Op, x: Tensor) -> Any:
    """A reshape to ``(N, C*prod(spatial))``: the contract's ``flatten``; to the same shape: an alias."""
    import sympy

    in_shape, out_shape = op.shape(op.node.args[0]), op.shape()
    if len(in_shape) == len(out_shape) and all(sympy.simplify(a - b) == 0 for a, b in zip(in_shape, out_shape)):
        return x
    features = sympy.Integer(1)
    for s in in_shape[1:]:
        features *= s
    if len(out_shape) == 2 and x.rank > 2 and sympy.simplify(out_shape[0] - in_shape[0]) == 0 \
            and sympy.simplify(out_shape[1] - features) == 0:
        return op.emit("flatten", [x], rank=2)
    return op.refuse(f"a reshape from {len(in_shape)}-D to {len(out_shape)}-D that is no flatten (N, C*spatial)")


def _reshape(op: Op) -> Any:
    x = op.value(op.node.args[0])
    if isinstance(x, (Unknown, Const)):
        return x
    return _flatten_like(op, x)


def _linear(op: Op) -> Any:
    x, weight, bias = op.tensor("input"), op.tensor("weight"), op.tensor("bias")
    if isinstance(x, Unknown):
        return x
    if not isinstance(x, Tensor) or not isinstance(weight, Const):
        return op.refuse("a linear layer whose weight is not a parameter")
    if x.rank != 2:
        return op.refuse(f"a linear layer on a {x.rank}-D tensor (over its last axis); flatten first")
    params = {"in_features": weight.shape[1], "out_features": weight.shape[0], "bias": bias is not None}
    return op.emit("linear", [x], params, consts=(weight, _const(bias)))


HANDLERS: dict[str, Callable[[Op], Any]] = {}


def _add(names: str, handler: Callable[[Op], Any]) -> None:
    for name in names.split():
        HANDLERS[f"aten::{name}"] = handler


_add("conv1d conv2d conv3d convolution _convolution conv_transpose1d conv_transpose2d conv_transpose3d", _conv)
_add("max_pool1d max_pool2d max_pool3d max_pool1d_with_indices max_pool2d_with_indices max_pool3d_with_indices",
     _max_pool)
_add("avg_pool1d avg_pool2d avg_pool3d", _avg_pool)
_add("adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d _adaptive_avg_pool2d _adaptive_avg_pool3d",
     _adaptive("adaptive_avg_pool"))
_add("adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool3d", _adaptive("adaptive_max_pool"))
_add("mean", _reduce("adaptive_avg_pool"))
_add("amax", _reduce("adaptive_max_pool"))
_add("max_unpool2d max_unpool3d", _max_unpool)
_add(" ".join(f"upsample_{m}{d}d" for m in ("nearest", "_nearest_exact", "linear", "bilinear", "bicubic", "trilinear")
              for d in (1, 2, 3)) + " _upsample_nearest_exact1d _upsample_nearest_exact2d _upsample_nearest_exact3d"
     " _upsample_bilinear2d_aa _upsample_bicubic2d_aa", _upsample)
_add("pixel_shuffle", _shuffle("pixel_shuffle", "upscale_factor"))
_add("pixel_unshuffle", _shuffle("pixel_unshuffle", "downscale_factor"))
_add("pad constant_pad_nd reflection_pad1d reflection_pad2d reflection_pad3d replication_pad1d replication_pad2d "
     "replication_pad3d _pad_circular", _pad)
_add("slice", _slice)
_add("narrow", _narrow)
_add("cat concat", _cat)
_add("repeat", _repeat)
_add("add add_ sub sub_ rsub", _binary("add"))
_add("mul mul_ div div_", _binary("mul"))
_add("batch_norm", _norm("batch_norm"))
_add("instance_norm", _norm("instance_norm"))
_add("group_norm", _norm("group_norm"))
_add("layer_norm", _norm("layer_norm"))
for _name, _kind in {"relu": "relu", "leaky_relu": "leaky_relu", "elu": "elu", "selu": "selu", "celu": "celu",
                     "gelu": "gelu", "silu": "silu", "mish": "mish", "sigmoid": "sigmoid", "tanh": "tanh",
                     "hardswish": "hardswish", "hardsigmoid": "hardsigmoid", "softplus": "softplus",
                     "log_sigmoid": "logsigmoid", "rrelu": "rrelu"}.items():
    _add(f"{_name} {_name}_", _neutral(_kind))
_add("hardtanh hardtanh_", _hardtanh)
_add("prelu _prelu_kernel", _prelu)
_add("softmax _softmax", _softmax("softmax"))
_add("log_softmax _log_softmax", _softmax("log_softmax"))
_add("dropout dropout_ feature_dropout feature_dropout_ alpha_dropout alpha_dropout_ feature_alpha_dropout "
     "feature_alpha_dropout_", _neutral("dropout", arg="input"))
_add("flatten view reshape _unsafe_view squeeze unsqueeze", _reshape)
_add("linear", _linear)
_add("clone contiguous detach detach_ alias lift_fresh_copy _to_copy to type_as clamp clamp_ clamp_min clamp_min_ "
     "clamp_max clamp_max_ neg abs exp log sqrt rsqrt pow reciprocal square", _alias)

IGNORED = frozenset({
    "aten::sym_size", "aten::sym_numel", "aten::sym_stride", "aten::sym_storage_offset", "aten::_assert_scalar",
    "aten::_assert_tensor_metadata", "aten::sym_constrain_range_for_size", "aten::sym_constrain_range",
    "aten::_assert_async", "aten::_functional_assert_async",
})
