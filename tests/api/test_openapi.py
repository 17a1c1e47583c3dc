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
