from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from convplan.api.problems import PROBLEM_TYPES
from convplan.app import create_app
from convplan.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "openapi" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
BODY_PROBLEMS = {"400", "413", "415", "422"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return create_app(Settings.model_construct()).openapi()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


class TestOpenAPI:
    def test_committed_file_matches_the_app(self, schema: dict[str, Any]) -> None:
        assert COMMITTED.exists(), "openapi/openapi.json is missing: run `python scripts/openapi`"
        committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
        assert committed == json.loads(json.dumps(schema)), (
            "openapi/openapi.json is out of date: run `python scripts/openapi`"
        )

    def test_script_check_agrees(self) -> None:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "openapi"), "--check"], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr

    def test_info(self, schema: dict[str, Any]) -> None:
        import convplan

        assert schema["info"]["title"] == "convplan"
        assert schema["info"]["version"] == convplan.__version__
        assert "tour" in schema["info"]["description"]

    def test_every_operation_is_documented(self, schema: dict[str, Any]) -> None:
        seen_ids = set()
        for path, method, operation in operations(schema):
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where}: no summary"
            assert operation.get("description"), f"{where}: no description"
            assert operation.get("operationId"), f"{where}: no operation_id"
            assert operation.get("tags"), f"{where}: no tags"
            assert operation["operationId"] not in seen_ids, f"{where}: duplicate operation_id"
            seen_ids.add(operation["operationId"])

    def test_every_operation_documents_its_problems(self, schema: dict[str, Any]) -> None:
        for path, method, operation in operations(schema):
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            if "requestBody" in operation:
                missing = BODY_PROBLEMS - set(responses)
                assert not missing, f"{where}: undocumented problem responses {sorted(missing)}"
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                assert "404" in responses, f"{where}: path parameters but no 404"
            for status, response in responses.items():
                if status.startswith("4") or status.startswith("5"):
                    content = response.get("content", {})
                    assert list(content) == ["application/problem+json"], f"{where} {status}: {list(content)}"
                    assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}

    def test_fastapi_default_validation_error_is_not_used(self, schema: dict[str, Any]) -> None:
        assert "HTTPValidationError" not in json.dumps(schema)

    def test_problem_types_are_listed(self, schema: dict[str, Any]) -> None:
        problem = schema["components"]["schemas"]["Problem"]
        for kind in PROBLEM_TYPES:
            assert kind.uri in problem["description"]
        assert set(problem["required"]) >= {"type", "title", "status", "detail"}
        assert "ErrorItem" in schema["components"]["schemas"]


def _binary_examples(schema: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """``(path, method, media type, external URL)`` for every request example given by ``externalValue`` (a
    model upload's bytes, served by the app itself)."""
    out = []
    for path, method, operation in operations(schema):
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            for example in content.get("examples", {}).values():
                if "externalValue" in example:
                    out.append((path, method, media, example["externalValue"]))
    return out


def _request_examples(schema: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """``(id, method, url, body)`` for every request example in the document:
    the media type's ``example``/``examples`` and the body schema's ``examples``.
    A path parameter takes the value of its example of the same name (compute's
    ``{op}``), else its only example."""
    out = []
    for path, method, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        bodies: dict[str, Any] = {name: e["value"] for name, e in content.get("examples", {}).items()}
        if "example" in content:
            bodies["example"] = content["example"]
        ref = content.get("schema", {}).get("$ref")
        if ref:
            component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
            bodies.update({f"schema-{i}": value for i, value in enumerate(component.get("examples", []))})
        for name, body in bodies.items():
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    values = {k: e["value"] for k, e in parameter.get("examples", {}).items()}
                    value = values.get(name) or (next(iter(values.values())) if len(values) == 1 else None)
                    assert value is not None, f"{method} {path}: no {parameter['name']} for example {name}"
                    url = url.replace("{" + parameter["name"] + "}", str(value))
            out.append((f"{method} {path} {name}", method, url, body))
    return out


COMMITTED_EXAMPLES = _request_examples(json.loads(COMMITTED.read_text(encoding="utf-8")))


class TestExamples:
    def test_every_operation_with_a_body_has_examples(self, schema: dict[str, Any]) -> None:
        ids = {case[0].split(" ")[1] for case in _request_examples(schema)}
        ids |= {path for path, _, _, _ in _binary_examples(schema)}
        with_body = {path for path, _, operation in operations(schema) if "requestBody" in operation}
        assert with_body <= ids

    @pytest.mark.anyio
    async def test_binary_examples_answer_200(self, api_client: Any, schema: dict[str, Any]) -> None:
        cases = _binary_examples(schema)
        assert cases
        for path, method, media, external in cases:
            fetched = await api_client.get(external)
            assert fetched.status_code == 200, external
            response = await api_client.request(method.upper(), path, content=fetched.content,
                                                headers={"Content-Type": media})
            assert response.status_code == 200, (path, response.text[:500])

    def test_every_compute_op_has_an_example(self, schema: dict[str, Any]) -> None:
        from convplan.compute import REQUESTS

        compute = [case for case in _request_examples(schema) if case[0].startswith("post /v1/compute/")]
        assert sorted(url.rsplit("/", 1)[1] for _, _, url, _ in compute) == sorted(REQUESTS)

    @pytest.mark.anyio
    @pytest.mark.parametrize(
        ("case", "method", "url", "body"), COMMITTED_EXAMPLES, ids=[c[0] for c in COMMITTED_EXAMPLES]
    )
    async def test_example_answers_200(self, api_client: Any, case: str, method: str, url: str, body: Any) -> None:
        response = await api_client.request(method.upper(), url, json=body)
        assert response.status_code == 200, (case, response.text[:500])
