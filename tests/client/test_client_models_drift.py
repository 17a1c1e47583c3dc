"""No drift: every property of every response schema in ``openapi/openapi.json`` is a client field.

Walks each operation's 200 response schema and the client model that the
matching method returns, in parallel: a property missing from the model
fails (add it to ``clients/python/src/convplan_client/_models.py``), and a
property whose schema is an object (directly, in a list, or in ``anyOf``) is
checked against the field's model the same way. New endpoints must be
mapped in ``ENDPOINT_MODELS``. The document is the repository's file; its
own test (tests/api) keeps it equal to the app's schema.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from convplan_client import (
    CompareUpsamplersResult,
    ComputeResult,
    GraphResult,
    Health,
    Limits,
    PlanResult,
    Problem,
    ShapesResult,
)
from convplan_client._onnx import OnnxImportResult

OPENAPI = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"

ENDPOINT_MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("get", "/v1/health"): Health,
    ("get", "/v1/limits"): Limits,
    ("post", "/v1/shapes"): ShapesResult,
    ("post", "/v1/plan"): PlanResult,
    ("post", "/v1/compute/{op}"): ComputeResult,
    ("post", "/v1/import/onnx"): OnnxImportResult,
    ("post", "/v1/graph"): GraphResult,
    ("post", "/v1/compare/upsamplers"): CompareUpsamplersResult,
}


def _document() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _object_schemas(doc: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    """The object schemas reachable through $ref, items, anyOf/oneOf/allOf and additionalProperties."""
    if depth > 6:
        return []
    schema = _resolve(doc, schema)
    found: list[dict[str, Any]] = []
    if "properties" in schema:
        found.append(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _object_schemas(doc, sub, depth + 1)
    if isinstance(schema.get("items"), dict):
        found += _object_schemas(doc, schema["items"], depth + 1)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _object_schemas(doc, schema["additionalProperties"], depth + 1)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or args:
        return [m for a in args for m in _models_in(a)]
    return []


def _check(doc: dict[str, Any], schema: dict[str, Any], model: type[BaseModel], where: str,
           missing: list[str], seen: set[tuple[int, type[BaseModel]]]) -> None:
    key = (id(schema), model)
    if key in seen:
        return
    seen.add(key)
    for name, prop in schema.get("properties", {}).items():
        field = model.model_fields.get(name)
        if field is None:
            missing.append(f"{where}.{name} (client model {model.__name__})")
            continue
        sub_schemas = _object_schemas(doc, prop)
        sub_models = _models_in(field.annotation)
        if sub_schemas and not sub_models:
            # An object in the schema, free-form (dict/Any) in the client: fine, it keeps everything.
            continue
        for sub_schema in sub_schemas:
            for sub_model in sub_models:
                _check(doc, sub_schema, sub_model, f"{where}.{name}", missing, seen)


def _success_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    for status in ("200", "201"):
        content = operation.get("responses", {}).get(status, {}).get("content", {})
        if "application/json" in content:
            return content["application/json"].get("schema")
    return None


def test_every_operation_has_a_client_model() -> None:
    doc = _document()
    unmapped = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if path.startswith("/v1/") and isinstance(operation, dict) and _success_schema(operation) is not None
        and (method, path) not in ENDPOINT_MODELS
    ]
    assert not unmapped, f"map these operations to client models in ENDPOINT_MODELS and add methods: {unmapped}"


@pytest.mark.parametrize(("method", "path"), sorted(ENDPOINT_MODELS))
def test_response_schema_properties_are_client_fields(method: str, path: str) -> None:
    doc = _document()
    operation = doc["paths"].get(path, {}).get(method)
    if operation is None:
        pytest.skip(f"{method.upper()} {path} is not in openapi/openapi.json yet")
    schema = _success_schema(operation)
    assert schema is not None, f"{method.upper()} {path} has no JSON 200 response schema"
    missing: list[str] = []
    model = ENDPOINT_MODELS[(method, path)]
    for object_schema in _object_schemas(doc, schema):
        _check(doc, object_schema, model, path, missing, set())
    assert not missing, "the client's models lack these response fields:\n  " + "\n  ".join(missing)


def test_problem_schema_properties_are_client_fields() -> None:
    doc = _document()
    schema = doc["components"]["schemas"]["Problem"]
    missing: list[str] = []
    _check(doc, schema, Problem, "Problem", missing, set())
    assert not missing, missing


def test_the_walk_catches_a_missing_field() -> None:
    """The check itself works: a model without a field the schema has is reported."""

    class Partial(BaseModel):
        status: str

    doc = _document()
    missing: list[str] = []
    _check(doc, doc["components"]["schemas"]["Health"], Partial, "health", missing, set())
    assert missing == ["health.version (client model Partial)"]
