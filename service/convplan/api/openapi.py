"""The OpenAPI document: info, tags, and problem responses as problem+json.

``openapi/openapi.json`` in the repository is this document (``python
scripts/openapi`` writes it; a test fails on drift), so everything here must
be deterministic: no settings values, no dates.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from convplan.api.problems import Problem
from convplan.api.responses import PROBLEM_MEDIA_TYPE

__all__ = ["DESCRIPTION", "TAGS", "install_openapi"]

DESCRIPTION = """\
Shape arithmetic, layer planning and small-tensor numerics for convolutional
networks, following PyTorch's `torch.nn` semantics.

A short tour:

- `POST /v1/shapes`: the output size of a stack of layers, numerically or
  symbolically (`"input_size": ["H", 224]`), with per-layer formulas, unread
  rows, parameters and MACs.
- `POST /v1/compute/{op}`: run one op on a small tensor (float64), e.g.
  `conv_transpose` with `explain: true` for its zero-inserted input,
  equivalent convolution and convolution matrix.
- `POST /v1/plan`: plan or check an encoder/decoder (U-Net, FCN, ...): every
  feature map, whether each skip connection lines up, what fixes it, and
  which input sizes work cleanly.
- `POST /v1/compare/upsamplers`: one input through nearest, bilinear,
  bicubic, a transposed convolution (FCN's bilinear initialisation by
  default, with its coverage and overlap) and max unpooling, side by side.
- `GET /v1/limits`: every limit in force; `GET /v1/health`: liveness.

JSON in, JSON out. Every error is an RFC 9457 problem document
(`application/problem+json`); the `Problem` schema lists the problem types.
"""

TAGS: list[dict[str, str]] = [
    {"name": "shapes", "description": "Output sizes of layer stacks, numeric or symbolic."},
    {"name": "compute", "description": "Run one op on a small tensor."},
    {"name": "plan", "description": "Encoder/decoder planning and skip alignment."},
    {"name": "compare", "description": "Upsamplers side by side on one input."},
    {"name": "service", "description": "Health and limits."},
]

_PROBLEM_REF = "#/components/schemas/Problem"


def _problems_as_problem_json(schema: dict[str, Any]) -> None:
    """Move responses documented with the ``Problem`` model to problem+json.

    FastAPI files a ``responses={status: {"model": ...}}`` entry under the
    route's media type (``application/json``); ours are problem documents.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                entry = content.get("application/json")
                if entry and entry.get("schema") == {"$ref": _PROBLEM_REF}:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def _ensure_problem_schemas(schema: dict[str, Any]) -> None:
    """List the Problem schema (and so every problem type URI) even when no
    operation references it yet."""
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    definitions = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in problem.pop("$defs", {}).items():
        definitions.setdefault(name, definition)
    definitions.setdefault("Problem", problem)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=TAGS,
                license_info={"name": "MIT"},
            )
            _problems_as_problem_json(schema)
            _ensure_problem_schemas(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
