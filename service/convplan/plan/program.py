"""A plan as the walker runs it: stages of validated layer models.

Built from the explicit form or from a template's expansion (which is
validated exactly like an explicit request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from convplan.errors import ErrorItem, InvalidRequest
from convplan.ops import OpModel
from convplan.plan.models import DecoderStage, EncoderStage, PlanRequest, check_volume
from convplan.plan.templates import expand_template
from convplan.shapes.models import LayerCount, count_layers

__all__ = ["DecoderSpec", "Program", "build_program"]


@dataclass(frozen=True)
class DecoderSpec:
    up: list[OpModel]
    skip: int | None
    skip_layers: list[OpModel]
    merge: str
    layers: list[OpModel]


@dataclass(frozen=True)
class Program:
    encoder: list[list[OpModel]]
    decoder: list[DecoderSpec]
    head: list[OpModel]
    align: str

    def layer_count(self) -> LayerCount:
        return count_layers([*(layer for s in self.encoder for layer in s), *self.head,
                             *(layer for d in self.decoder for layer in (*d.up, *d.skip_layers, *d.layers))])


_ENCODER = TypeAdapter(list[EncoderStage])
_DECODER = TypeAdapter(list[DecoderStage])
_EXPLICIT = ("encoder", "decoder", "head")


def build_program(request: PlanRequest, limits: Any = None) -> tuple[Program, dict[str, Any] | None]:
    """The program and, for a template, its expansion (the `expanded` field)."""
    expanded = None
    if request.template is not None:
        given = [name for name in _EXPLICIT if name in request.model_fields_set]
        if given:
            msg = "a template cannot be combined with explicit stages"
            raise InvalidRequest(f"{msg} ({', '.join(given)})",
                                 [ErrorItem((name,), msg, "value_error.template") for name in given])
        expanded = expand_template(request.template)
        try:
            encoder = _ENCODER.validate_python(expanded["encoder"])
            decoder = _DECODER.validate_python(expanded["decoder"])
        except ValidationError as exc:  # only a user-supplied down/up layer can fail here
            first = exc.errors()[0]
            msg = f"template expands to an invalid layer: {first['msg']}"
            raise InvalidRequest(msg, [ErrorItem(("template",), msg, "value_error.template")]) from None
        head = list(_head(expanded["head"]))
    else:
        if request.encoder is None:
            msg = "give `encoder` stages (explicit form) or a `template`"
            raise InvalidRequest(msg, [ErrorItem(("encoder",), msg, "missing")])
        encoder, decoder, head = request.encoder, request.decoder or [], list(request.head)
    program = Program(
        [list(s.layers) for s in encoder],
        [DecoderSpec(list(d.up), d.skip, list(d.skip_layers), d.merge, list(d.layers)) for d in decoder],
        head,
        request.align,
    )
    _check_limits(program, limits)
    return program, expanded


def _head(layers: list[dict[str, Any]]) -> list[OpModel]:
    if not layers:
        return []
    stage = EncoderStage.model_validate({"layers": layers})
    return list(stage.layers)


def _check_limits(program: Program, limits: Any) -> None:
    check_volume(len(program.encoder), len(program.decoder), program.layer_count(), limits)
