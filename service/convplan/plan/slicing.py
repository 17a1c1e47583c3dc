"""One spatial axis of a program as a 1-D program (each layer's ``OpModel.along_axis``), and its cache key.

Every size rule is per axis (an axis's output depends only on that axis's input and parameters), so valid input
sizes are solved axis by axis, on 1-D runs of the same op models.
"""

from __future__ import annotations

import json
from typing import Any

from convplan.ops import OpModel
from convplan.plan.program import DecoderSpec, Program

__all__ = ["program_key", "slice_program"]


def _block(layers: list[OpModel], axis: int) -> list[OpModel]:
    return [layer.along_axis(axis) for layer in layers]


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
