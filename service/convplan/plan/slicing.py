"""One spatial axis of a program as a 1-D program.

Every size rule is per axis (an axis's output depends only on that axis's
input and parameters), so valid input sizes are solved axis by axis with 1-D
runs of the same op models: per-axis lists keep their entry for the axis.
Two rank-dependent checks are adapted: multi-axis linear interpolation modes
become ``linear`` (same size rule and coordinate map), and ``pixel_unshuffle``
becomes the ``avg_pool`` with kernel = stride = factor, which has the same
size, the same coordinate map and reports an indivisible size as unread rows
(it refuses it instead, which would make "runs" non-monotone in the size).
"""

from __future__ import annotations

import json
from typing import Any

from convplan.ops import OPS, OpModel
from convplan.plan.program import DecoderSpec, Program

__all__ = ["program_key", "slice_program"]

_PER_AXIS = ("kernel_size", "stride", "padding", "dilation", "output_padding", "output_size", "scale_factor",
             "size", "crop")
_LINEAR = {"bilinear": "linear", "bicubic": "linear", "trilinear": "linear"}


def slice_layer(layer: OpModel, axis: int) -> OpModel:
    data = layer.model_dump(mode="python", exclude_unset=True)
    data["op"] = layer.op
    for name in _PER_AXIS:
        value = data.get(name)
        if isinstance(value, list):
            data[name] = [value[axis]]
    if layer.op == "upsample":
        data["mode"] = _LINEAR.get(data.get("mode", "nearest"), data.get("mode", "nearest"))
        data.pop("antialias", None)
    elif layer.op == "pixel_unshuffle":
        r = data["downscale_factor"]
        data = {"op": "avg_pool", "kernel_size": r, "stride": r}
    return OPS[data["op"]].model_validate(data)


def _block(layers: list[OpModel], axis: int) -> list[OpModel]:
    return [slice_layer(layer, axis) for layer in layers]


def slice_program(program: Program, axis: int) -> Program:
    return Program(
        [_block(s, axis) for s in program.encoder],
        [DecoderSpec(_block(d.up, axis), d.skip, _block(d.skip_layers, axis), d.merge, _block(d.layers, axis))
         for d in program.decoder],
        _block(program.head, axis),
        program.align,
    )


def program_key(program: Program) -> str:
    """A canonical text of a (sliced) program, the cache key of its solution."""

    def block(layers: list[OpModel]) -> list[Any]:
        return [layer.model_dump(mode="json", exclude_defaults=True) | {"op": layer.op} for layer in layers]

    return json.dumps({
        "e": [block(s) for s in program.encoder],
        "d": [[block(d.up), d.skip, block(d.skip_layers), d.merge, block(d.layers)] for d in program.decoder],
        "h": block(program.head),
        "a": program.align,
    }, sort_keys=True)
