"""ONNX ops on feature maps: each emits convplan nodes (contract sections 2, 7 and 8).

ONNX's defaults differ from PyTorch's (pool stride 1, ``count_include_pad``
0, Softmax's axis), so every parameter that matters is written explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from convplan.frontends.onnx._convert import Importer, Node, Unsupported
from convplan.frontends.onnx._rearrange import refuse_reader
from convplan.frontends.onnx._shapeops import SHAPE_HANDLERS, is_shape_input
from convplan.frontends.onnx._shapes import Leaf, leaf, leaves, make, same_function, sample_worlds
from convplan.frontends.onnx._values import Feature, Flat, Known, Rearranged, Value, Weight, Wrapped

__all__ = ["LAYER_HANDLERS", "circular_pad"]

Handler = Callable[[Importer, Node, list[Value | None]], list[Value] | None]

_BIG = 2**31 - 1  # ends at or past this mean "to the end" (PyTorch writes INT64_MAX)


def _feature(value: Value | None, node: Node) -> Feature:
    if isinstance(value, Rearranged):
        raise refuse_reader(value)
    if isinstance(value, Wrapped):
        raise Unsupported("a Concat of Slices on a spatial axis that is not a circular pad")
    if not isinstance(value, Feature):
        raise Unsupported(f"expects a feature map (N, C, *spatial) as input, got {type(value).__name__.lower()}")
    return value


def _same(imp: Importer, node: Node, x: Feature, op: str, **params: Any) -> Feature:
    """A shape-neutral node: same sizes, so the same canonical tensor."""
    node_id = imp.emit_neutral(node, op, [x.id], **params)
    return Feature(node_id, x.rank, x.channels, x.canon)


def _new(imp: Importer, node: Node, x: Feature, op: str, channels: int | None, *,
         name: str | None = None, inputs: list[str] | None = None, new_axes: list[int] | None = None,
         **params: Any) -> Feature:
    """A node with new sizes (on ``new_axes`` only, when given: the others keep ``x``'s)."""
    node_id = imp.emit(name or node.output[0], op, inputs or [x.id], **params)
    if new_axes is None:  # new sizes on every axis (nearly every such node)
        canon = (node_id,) * len(x.canon)
    else:
        canon = tuple(node_id if a in new_axes else c for a, c in enumerate(x.canon))
    return imp.register(Feature(node_id, x.rank, channels, canon))


def _per_axis(values: list[int]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else values


def _padding(imp: Importer, node: Node, rank: int) -> Any:
    auto = imp.attr(node, "auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        return auto.lower()
    if auto == "VALID":
        return 0
    pads = list(imp.attr(node, "pads", [0] * 2 * rank))
    if len(pads) == 2 * rank and pads[:rank] == pads[rank:]:  # the usual case, without building the pairs
        return _per_axis(pads[:rank])
    pairs = list(zip(pads[:rank], pads[rank:]))
    if all(b == a for b, a in pairs):
        return _per_axis([b for b, _ in pairs])
    return [[b, a] for b, a in pairs]


def _window(imp: Importer, node: Node, rank: int, kernel: list[int]) -> dict[str, Any]:
    return {
        "kernel_size": _per_axis(kernel),
        "stride": _per_axis(list(imp.attr(node, "strides", [1] * rank))),
        "padding": _padding(imp, node, rank),
        "dilation": _per_axis(list(imp.attr(node, "dilations", [1] * rank))),
    }


def _weight_dims(value: Value | None) -> tuple[int, ...] | None:
    if isinstance(value, Weight):
        return value.dims
    if isinstance(value, Known):
        return value.shape
    return None


def _conv(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    dims = _weight_dims(ins[1])
    if dims is None or len(dims) != x.rank + 2:
        raise Unsupported("the weight is not a constant of rank 2 + spatial rank")
    kernel = list(imp.attr(node, "kernel_shape", dims[2:]))
    groups = imp.attr(node, "group", 1)
    params = _window(imp, node, x.rank, kernel)
    bias = len(ins) > 2 and ins[2] is not None
    if node.op_type == "Conv":
        return [_new(imp, node, x, "conv", dims[0], out_channels=dims[0], groups=groups, bias=bias, **params)]
    out_channels = dims[1] * groups
    params["output_padding"] = _per_axis(list(imp.attr(node, "output_padding", [0] * x.rank)))
    output_shape = imp.attr(node, "output_shape")
    if output_shape is not None:
        # ONNX: with output_shape the pads are computed (auto_pad's rule); PyTorch's output_size picks
        # output_padding within the stride, which gives the same size wherever both are defined.
        params["output_size"] = _per_axis(list(output_shape)[-x.rank:])
        params.pop("output_padding")
    return [_new(imp, node, x, "conv_transpose", out_channels, out_channels=out_channels, groups=groups,
                 bias=bias, **params)]


def _pool(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    kernel = list(imp.attr(node, "kernel_shape", []))
    if len(kernel) != x.rank:
        raise Unsupported("kernel_shape does not have one entry per spatial axis")
    params = _window(imp, node, x.rank, kernel)
    params["ceil_mode"] = bool(imp.attr(node, "ceil_mode", 0))
    if node.op_type == "MaxPool":
        out = _new(imp, node, x, "max_pool", x.channels, **params)
        return [out, out]  # the indices output: same sizes, read by MaxUnpool
    params.pop("dilation")
    if imp.attr(node, "dilations") not in (None, [1] * x.rank):
        raise Unsupported("AveragePool with dilations (PyTorch's avg_pool has none)")
    params["count_include_pad"] = bool(imp.attr(node, "count_include_pad", 0))
    return [_new(imp, node, x, "avg_pool", x.channels, **params)]


def _global_pool(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    op = "adaptive_max_pool" if node.op_type == "GlobalMaxPool" else "adaptive_avg_pool"
    return [_new(imp, node, x, op, x.channels, output_size=1)]


def _reduce(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    index = 1 if imp.opset >= 18 else len(ins)  # axes moved from an attribute to input 1 in opset 18
    axes = imp.ints(ins[index], "axes") if len(ins) > index and ins[index] is not None else imp.attr(node, "axes")
    axes = sorted(a % (x.rank + 2) for a in (axes if axes is not None else range(x.rank + 2)))
    if axes != list(range(2, x.rank + 2)):
        raise Unsupported(f"{node.op_type} over axes {axes}: only over all spatial axes (a global pool)")
    op = "adaptive_max_pool" if node.op_type == "ReduceMax" else "adaptive_avg_pool"
    pooled = _new(imp, node, x, op, x.channels, output_size=1)
    if imp.attr(node, "keepdims", 1):
        return [pooled]
    flat_id = imp.emit(f"{node.output[0]}_flatten", "flatten", [pooled.id])
    return [Flat(flat_id, x.channels)]


def _unpool(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    kernel = list(imp.attr(node, "kernel_shape", []))
    params: dict[str, Any] = {
        "kernel_size": _per_axis(kernel),
        "stride": _per_axis(list(imp.attr(node, "strides", [1] * x.rank))),
    }
    pads = list(imp.attr(node, "pads", [0] * 2 * x.rank))
    if pads[: x.rank] != pads[x.rank:]:
        raise Unsupported("MaxUnpool with asymmetric pads (PyTorch's max_unpool pads both sides alike)")
    params["padding"] = _per_axis(pads[: x.rank])
    if len(ins) > 2 and ins[2] is not None:
        shape = imp.known(ins[2], "MaxUnpool output_shape").array.reshape(-1).tolist()[-x.rank:]
        sizes = [imp.printable(s) for s in shape]
        if any(s is None for s in sizes):
            raise Unsupported("MaxUnpool output_shape computed from the sizes of an inner tensor")
        params["output_size"] = _per_axis(sizes)  # type: ignore[arg-type]
    return [_new(imp, node, x, "max_unpool", x.channels, **params)]


# --- resize ---------------------------------------------------------------------------------------------

_LINEAR_BY_RANK = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _resize_mode(imp: Importer, node: Node, rank: int) -> dict[str, Any]:
    """PyTorch's mode for an ONNX (mode, coordinate transformation, nearest mode); the closest with a
    warning for combinations PyTorch does not write (the sizes do not depend on them)."""
    mode = imp.attr(node, "mode", "nearest")
    legacy = node.op_type == "Upsample" or imp.opset < 11  # asymmetric coordinates, no attribute
    ctm = "asymmetric" if legacy else imp.attr(node, "coordinate_transformation_mode", "half_pixel")
    if mode == "nearest":
        nearest = "floor" if legacy else imp.attr(node, "nearest_mode", "round_prefer_floor")
        if (ctm, nearest) == ("asymmetric", "floor"):
            return {"mode": "nearest"}
        if ctm in ("half_pixel", "pytorch_half_pixel") and nearest == "round_prefer_ceil":
            return {"mode": "nearest-exact"}
        imp.warn(node, f"nearest with {ctm}/{nearest} has no PyTorch equivalent: read as mode nearest")
        return {"mode": "nearest"}
    if mode in ("linear", "bilinear", "cubic"):
        wanted = "bicubic" if mode == "cubic" else _LINEAR_BY_RANK[rank]
        if wanted == "bicubic" and rank != 2:
            imp.warn(node, f"cubic on {rank} spatial axes has no PyTorch equivalent: read as "
                           f"{_LINEAR_BY_RANK[rank]}")
            wanted = _LINEAR_BY_RANK[rank]
        if mode == "cubic" and imp.attr(node, "cubic_coeff_a", -0.75) != -0.75:
            imp.warn(node, "cubic_coeff_a other than -0.75 has no PyTorch equivalent: read as bicubic")
        if ctm == "align_corners":
            return {"mode": wanted, "align_corners": True}
        if ctm not in ("half_pixel", "pytorch_half_pixel"):
            imp.warn(node, f"{mode} with {ctm} has no PyTorch equivalent: read as {wanted}, align_corners false")
        return {"mode": wanted, "align_corners": False}
    raise Unsupported(f"mode {mode!r}")


def _number(value: Fraction | int) -> int | float:
    return int(value) if Fraction(value).denominator == 1 else float(value)


def _resize(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    params = _resize_mode(imp, node, x.rank)
    if imp.attr(node, "antialias", 0):
        if params["mode"] in ("bilinear", "bicubic"):
            params["antialias"] = True
        else:
            imp.warn(node, "antialias ignored: PyTorch has it only for bilinear and bicubic")
    if imp.attr(node, "keep_aspect_ratio_policy", "stretch") != "stretch":
        raise Unsupported("keep_aspect_ratio_policy other than stretch")
    axes = imp.attr(node, "axes")
    axes = [a % (x.rank + 2) for a in axes] if axes is not None else list(range(x.rank + 2))
    if node.op_type == "Upsample" and imp.opset < 9:
        scales_value: Value | None = Known(np.array([Fraction(v) for v in imp.attr(node, "scales", [])],
                                                    dtype=object), True)
        sizes_value = None
    elif node.op_type == "Upsample" or imp.opset < 11:
        scales_value, sizes_value = ins[1], None
    else:
        scales_value = ins[2] if len(ins) > 2 else None
        sizes_value = ins[3] if len(ins) > 3 else None
    sizes = imp.known(sizes_value, "Resize sizes").array.reshape(-1).tolist() if sizes_value is not None else []
    if sizes:
        spatial = {a: s for a, s in zip(axes, sizes) if a >= 2}
        return [_resize_to(imp, node, x, [spatial.get(2 + a) for a in range(x.rank)], params)]
    scales = imp.known(scales_value, "Resize scales").array.reshape(-1).tolist()
    if len(scales) != len(axes) or any(not isinstance(s, int | Fraction) for s in scales):
        raise Unsupported("scales are not one constant per axis")
    by_axis = dict(zip(axes, scales))
    if by_axis.get(0, 1) != 1 or by_axis.get(1, 1) != 1:
        raise Unsupported("Resize scaling the batch or channels")
    factors = [_number(by_axis.get(2 + a, 1)) for a in range(x.rank)]
    return [_new(imp, node, x, "upsample", x.channels, scale_factor=_per_axis(factors), **params)]


def _size_of(imp: Importer, items: list[Any], axes: list[int], avoid: frozenset[str] = frozenset()) -> str | None:
    """The tensor whose spatial sizes ``items`` are, on ``axes`` (contract: ``size_of``), or None; none of
    ``avoid``."""
    worlds = imp.worlds_for(items)
    found: dict[int, str] = {}
    for item, a in zip(items, axes):
        match = _size_on_axis(item, a, worlds, avoid=avoid)
        if match is None:
            return None
        found[a] = match
    return imp.tensor_with(found, avoid=avoid)


def _size_on_axis(item: Any, axis: int, worlds: list[dict[Leaf, int]], exclude: str | None = None,
                  avoid: frozenset[str] = frozenset()) -> str | None:
    """The canonical tensor whose size on spatial ``axis`` ``item`` is."""
    # the item's own leaves, and every tensor the worlds know (all of them where the exporter declared them)
    known = leaves(item) | set(worlds[0] if worlds else ())
    candidates = sorted({lf.tensor for lf in known
                         if lf.axis == 2 + axis and lf.tensor != exclude and lf.tensor not in avoid})
    return next((t for t in candidates if same_function(item, leaf(t, 2 + axis), worlds)), None)


def _resize_to(imp: Importer, node: Node, x: Feature, sizes: list[Any], params: dict[str, Any]) -> Feature:
    items = [s if s is not None else x.dim(a) for a, s in enumerate(sizes)]
    if all(isinstance(s, int) for s in items):
        imp.warn(node, f"sizes {items} are constants (the export fixed the shapes): kept as written")
        return _new(imp, node, x, "upsample", x.channels, size=_per_axis(items), **params)
    target = _size_of(imp, items, list(range(x.rank)))
    if target is not None:
        return _new(imp, node, x, "upsample", x.channels, size_of=target, **params)
    printed = [imp.printable(s) for s in items]
    if any(p is None for p in printed):
        raise Unsupported("sizes computed from tensor sizes in a way that is not another tensor's size")
    out = _new(imp, node, x, "upsample", x.channels, size=_per_axis(printed), **params)  # type: ignore[arg-type]
    imp.after_walk.append(lambda: _resize_to_later(imp, out.id, items))
    return out


def _resize_to_later(imp: Importer, node_id: str, items: list[Any]) -> None:
    """A Resize to sizes computed from the inputs' alone (the dynamo exporter) can be walked before the
    tensor whose sizes they are (two resizes or a resize and a pad into one merge): once every tensor is
    known, its ``size`` in the example's numbers becomes ``size_of`` that tensor, where one matches that
    does not read the resize itself."""
    target = _size_of(imp, items, list(range(len(items))), avoid=imp.descendants(node_id))
    if target is None:
        return
    emitted = next(n for n in imp.nodes if n["id"] == node_id)
    del emitted["size"]
    emitted["size_of"] = target


# --- slices and pads -------------------------------------------------------------------------------------

_ANCHORS = ("center", "start", "end")


def _anchor(start: Any, big: Any, small: Any, worlds: list[dict[Leaf, int]]) -> str | None:
    """Which contract anchor places a window of ``small`` in ``big`` at ``start``: floor(D/2), 0 or D."""


    d = make("sub", big, small)
    options = {"center": make("div", d, 2), "start": 0, "end": d}
    for name in _ANCHORS:
        if same_function(start, options[name], worlds):
            return name
    return None


def _slice(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    if is_shape_input(ins[0]):
        return SHAPE_HANDLERS["Slice"](imp, node, ins)
    x = _feature(ins[0], node)
    full = x.rank + 2
    if imp.opset < 10:
        starts, ends = list(imp.attr(node, "starts", [])), list(imp.attr(node, "ends", []))
        axes_attr, steps = imp.attr(node, "axes"), None
    else:
        starts = imp.known(ins[1], "Slice starts").array.reshape(-1).tolist()
        ends = imp.known(ins[2], "Slice ends").array.reshape(-1).tolist()
        axes_attr = imp.ints(ins[3], "Slice axes") if len(ins) > 3 and ins[3] is not None else None
        steps = imp.ints(ins[4], "Slice steps") if len(ins) > 4 and ins[4] is not None else None
    axes = [a % full for a in (axes_attr if axes_attr is not None else range(len(starts)))]
    steps = steps or [1] * len(starts)
    per_axis: dict[int, tuple[Any, Any]] = {}
    for s, e, a, st in zip(starts, ends, axes, steps):
        if s == 0 and isinstance(e, int) and e >= _BIG:
            continue  # the whole axis
        if st != 1:
            raise Unsupported("Slice with a step other than 1")
        if a < 2:
            raise Unsupported("Slice on the batch or channels")
        per_axis[a - 2] = (s, e)
    if not per_axis:
        return [_same(imp, node, x, "identity")]
    wrapped = _wrapped(imp, node, x, per_axis)
    if wrapped is not None:
        return [wrapped]
    if all(isinstance(s, int) and isinstance(e, int) for s, e in per_axis.values()):
        return [_constant_crop(imp, node, x, per_axis)]
    return [_computed_crop(imp, node, x, per_axis)]


def _wrapped(imp: Importer, node: Node, x: Feature, per_axis: dict[int, tuple[Any, Any]]) -> Wrapped | None:
    """``x[-p:]`` or ``x[:p]`` on one axis read only by a Concat on that axis: part of a circular pad
    (``torch/onnx/symbolic_opset9.py``, ``_pad_circular``), read whole by the Concat."""
    if len(per_axis) != 1:
        return None
    ((a, (s, e)),) = per_axis.items()
    readers = imp.consumers.get(node.output[0], [])
    if len(readers) != 1 or readers[0].op_type != "Concat" or not isinstance(s, int) or not isinstance(e, int):
        return None
    if imp.attr(readers[0], "axis", 0) % (x.rank + 2) != 2 + a:
        return None
    if s < 0 and e >= _BIG:
        return Wrapped(x, a, "tail", -s)
    if s == 0 and 0 < e < _BIG:
        return Wrapped(x, a, "head", e)
    return None


def _constant_crop(imp: Importer, node: Node, x: Feature, per_axis: dict[int, tuple[Any, Any]]) -> Feature:
    declared = imp.declared_dims(node.input[0]) or []
    crop = []
    for a in range(x.rank):
        s, e = per_axis.get(a, (0, _BIG))
        dim = declared[2 + a] if len(declared) > 2 + a else None
        if (s < 0 or 0 <= e < _BIG) and dim is None:
            raise Unsupported("a constant Slice on an axis whose size the model does not declare")
        before = s if s >= 0 else dim + s  # type: ignore[operator]
        after = 0 if e >= _BIG else (-e if e < 0 else dim - e)  # type: ignore[operator]
        crop.append([before, after])
    imp.warn(node, f"constant Slice (the export fixed the shapes): kept as crop {crop} at the declared size")
    return _new(imp, node, x, "crop", x.channels, crop=crop)


def _computed_crop(imp: Importer, node: Node, x: Feature, per_axis: dict[int, tuple[Any, Any]]) -> Feature:
    by_anchor: dict[str, dict[int, str]] = {}
    offsets = [0] * x.rank
    for a, (s, e) in per_axis.items():
        big = x.dim(a)
        worlds = imp.worlds_for([s, e], larger=leaves(big))
        target = _size_on_axis(make("sub", e, s), a, worlds, exclude=x.canon[a])
        anchor = _anchor(s, big, leaf(target, 2 + a), worlds) if target is not None else None
        if anchor is None and target is not None and isinstance(s, int) and s > 0:
            # Caffe's crop at a fixed offset (FCN: score_pool4[5:5 + n]): drop the offset first, then crop
            # to the target's size from the start.
            offsets[a], anchor = s, "start"
        if anchor is None:
            raise Unsupported("Slice bounds computed from tensor sizes that are not a crop to another tensor's size "
                              "(from floor(D/2), 0, D or a constant offset)")
        by_anchor.setdefault(anchor, {})[a] = target  # type: ignore[assignment]
    if any(offsets):
        x = _new(imp, node, x, "crop", x.channels, name=f"{node.output[0]}_offset",
                 new_axes=[a for a, o in enumerate(offsets) if o], crop=[[o, 0] for o in offsets])
    return _size_of_nodes(imp, node, x, "crop", by_anchor, {})


def _size_of_nodes(imp: Importer, node: Node, x: Feature, op: str, by_anchor: dict[str, dict[int, str]],
                   extra: dict[str, Any]) -> Feature:
    """One ``crop``/``pad`` with ``size_of`` per anchor (usually one)."""
    out = x
    for i, (anchor, targets) in enumerate(by_anchor.items()):
        target = imp.tensor_with(targets)
        if target is None:
            raise Unsupported(f"{op} to sizes that no single tensor has on axes {sorted(targets)}")
        name = node.output[0] if i == len(by_anchor) - 1 else f"{node.output[0]}_{anchor}"
        params: dict[str, Any] = {"size_of": target, "anchor": anchor, **extra}
        axes = sorted(targets)
        if len(axes) < x.rank:
            params["axes"] = axes
        out = _new(imp, node, out, op, x.channels, name=name, new_axes=axes, **params)
    return out


def circular_pad(imp: Importer, node: Node, parts: list[Value | None], axis: int) -> Feature:
    """A Concat on spatial ``axis`` (ONNX axis) of ``[x[-p:], x, x[:q]]`` (either end optional): ``pad``
    circular ``(p, q)`` on that axis, PyTorch's rule. Not quite the exported graph's where p or q exceeds the
    size: there the Slices clamp, and PyTorch refuses (or copies the map more than once): warned."""
    present = [v for v in parts if v is not None]
    whole = [v for v in present if isinstance(v, Feature)]
    if len(whole) != 1:
        raise Unsupported("Concat on an axis other than channels")
    x = whole[0]
    a = axis - 2
    k = present.index(x)
    before, after = present[:k], present[k + 1:]
    ok = len(before) <= 1 and len(after) <= 1 \
        and all(isinstance(v, Wrapped) and v.feature == x and v.axis == a for v in before + after) \
        and all(v.end == "tail" for v in before) and all(v.end == "head" for v in after)  # type: ignore[union-attr]
    if not ok or not (before or after):
        raise Unsupported("Concat on an axis other than channels")
    padding = [[0, 0] for _ in range(x.rank)]
    padding[a] = [before[0].amount if before else 0, after[0].amount if after else 0]  # type: ignore[union-attr]
    imp.warn(node, "circular padding as the TorchScript exporter writes it (Slices and a Concat): read as pad "
                   "circular, PyTorch's rule (the Slices would clamp a pad larger than the map)")
    return _new(imp, node, x, "pad", x.channels, new_axes=[a], padding=padding, mode="circular")


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}


def _pad(imp: Importer, node: Node, ins: list[Value | None]) -> list[Value]:
    x = _feature(ins[0], node)
    full = x.rank + 2
    mode = imp.attr(node, "mode", "constant")
    if mode not in _PAD_MODES:
        raise Unsupported(f"mode {mode!r}")
    if imp.opset < 11:
        pads: list[Any] = list(imp.attr(node, "pads", imp.attr(node, "paddings", [])))
        axes = list(range(full))
    else:
        pads = imp.known(ins[1], "Pad pads").array.reshape(-1).tolist()
        axes_given = imp.ints(ins[3], "Pad axes") if len(ins) > 3 and ins[3] is not None else None
        axes = [a % full for a in axes_given] if axes_given is not None else list(range(full))
    if len(pads) != 2 * len(axes):
        raise Unsupported("pads do not have two entries per axis")
    pairs = {a: (pads[i], pads[i + len(axes)]) for i, a in enumerate(axes)}
    if any(pairs.get(a, (0, 0)) != (0, 0) for a in (0, 1)):
        raise Unsupported("Pad on the batch or channels")
    spatial = [pairs.get(2 + a, (0, 0)) for a in range(x.rank)]
    torch_mode = _PAD_MODES[mode]
    if all(isinstance(v, int) for pair in spatial for v in pair):
        return [_new(imp, node, x, "pad", x.channels, padding=[list(p) for p in spatial], mode=torch_mode)]
    return [_computed_pad(imp, node, x, spatial, torch_mode)]


def _computed_pad(imp: Importer, node: Node, x: Feature, spatial: list[tuple[Any, Any]],
                  mode: str) -> Feature:
    by_anchor: dict[str, dict[int, str]] = {}
    for a, (before, after) in enumerate(spatial):
        if before == 0 and after == 0:
            continue
        small = x.dim(a)
        total = make("add", make("add", small, before), after)
        others = {lf for lf in leaves(total) if lf.tensor and lf.tensor != x.canon[a]}
        worlds = sample_worlds([total], larger=others)
        target = _size_on_axis(total, a, worlds, exclude=x.canon[a])
        anchor = _anchor(before, leaf(target, 2 + a), small, worlds) if target is not None else None
        if anchor is None:
            raise Unsupported("pads computed from tensor sizes that are not a pad to another tensor's size")
        by_anchor.setdefault(anchor, {})[a] = target  # type: ignore[assignment]
    return _size_of_nodes(imp, node, x, "pad", by_anchor, {"mode": mode})


LAYER_HANDLERS: dict[str, Handler] = {
    "Conv": _conv,
    "ConvTranspose": _conv,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "GlobalAveragePool": _global_pool,
    "GlobalMaxPool": _global_pool,
    "ReduceMean": _reduce,
    "ReduceMax": _reduce,
    "MaxUnpool": _unpool,
    "Resize": _resize,
    "Upsample": _resize,
    "Slice": _slice,
    "Pad": _pad,
}
