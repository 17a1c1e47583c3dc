"""Every refusal is an RFC 9457 problem document.

POST error paths are exercised on a test-only app: the product app plus a few
routes added here (the product has no debug routes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from convplan.api.body_guard import _STRING, _blank_strings, check_json_body, is_json_media_type, json_depth_exceeds
from convplan.api.handlers import body_loc, infer_layer_axis
from convplan.api.problems import PROBLEM_TYPE_BASE, problem_responses
from convplan.app import create_app
from convplan.errors import LayerError, LimitExceeded, SymbolicTimeout, UnknownOp
from convplan.settings import Settings

pytestmark = pytest.mark.anyio

PROBLEM_JSON = "application/problem+json"


class Conv(BaseModel):
    op: Literal["conv"]
    kernel_size: int | list[int]
    padding: int | list[int | tuple[int, int]] = 0


class Relu(BaseModel):
    op: Literal["relu"]


Layer = Annotated[Conv | Relu, Field(discriminator="op")]


class StackRequest(BaseModel):
    input_size: list[int]
    layers: list[Layer]
    scale: float = 1.0


def build_test_app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.post("/test/stack", responses=problem_responses(400, 413, 415, 422))
    async def stack(request: StackRequest) -> dict[str, Any]:
        return {"layers": len(request.layers), "scale": request.scale}

    @app.post("/test/raise/{kind}")
    async def raise_domain_error(kind: str, request: StackRequest) -> None:
        if kind == "layer":
            raise LayerError.at(
                "kernel wider than the padded input", loc=("layers", 1, "kernel_size", 0), layer=1, axis=0
            )
        if kind == "partial":
            raise LayerError("layer 2: size below 1", extra={"layers": [{"index": 0}, {"index": 1}], "status": 999})
        if kind == "timeout":
            raise SymbolicTimeout("symbolic work over 5 s")
        if kind == "elements":
            raise LimitExceeded("input has 300000 elements, limit 250000")
        raise UnknownOp(f"unknown op {kind!r}")

    # Routes of an included router with a prefix, as the product's are.
    router = APIRouter(prefix="/test/v1")

    @router.post("/stack/{name}", responses=problem_responses(400, 404, 413, 415, 422))
    async def routed_stack(name: str, request: StackRequest) -> dict[str, Any]:
        return {"name": name, "layers": len(request.layers)}

    app.include_router(router)

    @app.get("/test/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "short and stout")

    @app.get("/test/bug")
    async def bug() -> None:
        raise RuntimeError("a bug slipped through")

    return app


@pytest.fixture
def settings() -> Settings:
    return Settings.model_construct()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: see the 500 response rather than the re-raise
    # Starlette does for servers' logs.
    transport = httpx.ASGITransport(app=build_test_app(settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def assert_problem(response: httpx.Response, status: int, slug: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["type"] == (PROBLEM_TYPE_BASE + slug if slug else "about:blank")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    for item in body["errors"]:
        assert set(item) == {"loc", "msg", "type", "layer", "axis"}
    return body


VALID = {"input_size": [32, 32], "layers": [{"op": "conv", "kernel_size": 3}, {"op": "relu"}]}


class TestProblems:
    async def test_valid_request_passes(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/test/stack", json=VALID)
        assert response.status_code == 200
        assert response.json() == {"layers": 2, "scale": 1.0}

    async def test_included_router_routes_are_guarded(self, client: httpx.AsyncClient) -> None:
        ok = await client.post("/test/v1/stack/a", json=VALID)
        assert ok.status_code == 200 and ok.json() == {"name": "a", "layers": 2}
        not_json = await client.post("/test/v1/stack/a", content=b"{}", headers={"content-type": "text/plain"})
        assert_problem(not_json, 415, "unsupported-media-type")
        nan = await client.post(
            "/test/v1/stack/a", content=b'{"scale": NaN}', headers={"content-type": "application/json"}
        )
        assert_problem(nan, 422, "invalid-request")
        wrong_method = await client.put("/test/v1/stack/a", content=b"x", headers={"content-type": "text/plain"})
        assert_problem(wrong_method, 405, "method-not-allowed")

    async def test_json_with_suffix_media_type_is_json(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/test/stack",
            content=b'{"input_size": [1], "layers": []}',
            headers={"content-type": "application/vnd.x+json; charset=utf-8"},
        )
        assert response.status_code == 200

    # 400
    @pytest.mark.parametrize("body", [b'{"input_size": [1,', b"{'a': 1}", b"\xff\xfe{", b"[1] x", b'{"a": "\\ud800"'])
    async def test_malformed_json_is_400(self, client: httpx.AsyncClient, body: bytes) -> None:
        response = await client.post("/test/stack", content=body, headers={"content-type": "application/json"})
        problem = assert_problem(response, 400, "malformed-json")
        assert problem["errors"][0]["type"] == "json_invalid"

    # 404
    async def test_unknown_path_is_404(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/v1/nowhere"), 404, "not-found")

    async def test_unknown_path_with_non_json_body_is_still_404(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/nowhere", content=b"<xml/>", headers={"content-type": "application/xml"})
        assert_problem(response, 404, "not-found")

    async def test_missing_static_asset_is_404(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/static/docs/nope.js"), 404, "not-found")

    async def test_unknown_op_is_404(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.post("/test/raise/nope", json=VALID), 404, "unknown-op")

    # 405
    async def test_wrong_method_is_405_with_allow(self, client: httpx.AsyncClient) -> None:
        response = await client.delete("/v1/health")
        assert_problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "GET"

    async def test_wrong_method_with_non_json_body_is_still_405(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/health", content=b"x", headers={"content-type": "text/plain"})
        assert_problem(response, 405, "method-not-allowed")

    # 413
    async def test_body_over_limit_is_413(self, client: httpx.AsyncClient, settings: Settings) -> None:
        body = b'{"input_size": [1], "layers": [], "pad": "' + b"x" * settings.max_body_bytes + b'"}'
        response = await client.post("/test/stack", content=body, headers={"content-type": "application/json"})
        problem = assert_problem(response, 413, "limit-exceeded")
        assert problem["limit"] == "max_body_bytes"

    async def test_streamed_body_over_limit_is_413(self, client: httpx.AsyncClient, settings: Settings) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            # No Content-Length: the guard must count while receiving.
            for _ in range(settings.max_body_bytes // 100_000 + 1):
                yield b" " * 100_000

        response = await client.post("/test/stack", content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in response.request.headers
        assert_problem(response, 413, "limit-exceeded")

    async def test_body_at_limit_is_accepted(self) -> None:
        body = b'{"input_size": [1], "layers": []}'
        app = build_test_app(Settings(max_body_bytes=len(body)))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            ok = await client.post("/test/stack", content=body, headers={"content-type": "application/json"})
            over = await client.post("/test/stack", content=body + b" ", headers={"content-type": "application/json"})
        assert ok.status_code == 200
        assert_problem(over, 413, "limit-exceeded")

    @pytest.mark.parametrize("depth", [65, 100_000])
    async def test_deep_nesting_is_413_before_parsing(self, client: httpx.AsyncClient, depth: int) -> None:
        nested = b"[" * depth + b"]" * depth
        body = b'{"input_size": [1], "layers": [], "x": ' + nested + b"}"
        response = await client.post("/test/stack", content=body, headers={"content-type": "application/json"})
        problem = assert_problem(response, 413, "limit-exceeded")
        assert problem["limit"] == "max_json_depth"

    async def test_unclosed_deep_nesting_is_413_too(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/test/stack", content=b"[" * 100_000, headers={"content-type": "application/json"}
        )
        assert_problem(response, 413, "limit-exceeded")

    async def test_nesting_at_limit_is_accepted(self, client: httpx.AsyncClient) -> None:
        # depth 64 in all: the object, then 63 arrays (a 422, not a 413).
        body = b'{"input_size": ' + b"[" * 63 + b"]" * 63 + b', "layers": []}'
        response = await client.post("/test/stack", content=body, headers={"content-type": "application/json"})
        assert_problem(response, 422, "invalid-request")

    async def test_domain_limit_is_413(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.post("/test/raise/elements", json=VALID), 413, "limit-exceeded")

    # 415
    @pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", None])
    async def test_non_json_body_is_415(self, client: httpx.AsyncClient, content_type: str | None) -> None:
        headers = {"content-type": content_type} if content_type else {}
        response = await client.post("/test/stack", content=b'{"input_size": [1], "layers": []}', headers=headers)
        assert_problem(response, 415, "unsupported-media-type")

    # 422
    async def test_validation_error_is_located(self, client: httpx.AsyncClient) -> None:
        body = {
            "input_size": [32, 32],
            "layers": [{"op": "relu"}, {"op": "conv", "kernel_size": 3, "padding": [1, [1, "x"]]}],
        }
        problem = assert_problem(await client.post("/test/stack", json=body), 422, "invalid-request")
        # One error per union member; the deepest is the list-of-pairs member's.
        item = max(problem["errors"], key=lambda e: len(e["loc"]))
        assert item["type"] == "int_parsing"
        # Pydantic's union tags ("conv", "list[...]") are gone: loc points into the body.
        assert item["loc"] == ["body", "layers", 1, "padding", 1, 1]
        assert item["layer"] == 1 and item["axis"] == 1

    async def test_missing_field_is_located(self, client: httpx.AsyncClient) -> None:
        body = {"input_size": [32], "layers": [{"op": "conv"}]}
        problem = assert_problem(await client.post("/test/stack", json=body), 422, "invalid-request")
        assert problem["errors"] == [
            {
                "loc": ["body", "layers", 0, "kernel_size"],
                "msg": "Field required",
                "type": "missing",
                "layer": 0,
                "axis": None,
            }
        ]

    async def test_empty_body_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/test/stack", headers={"content-type": "application/json"})
        assert_problem(response, 422, "invalid-request")

    @pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400"])
    async def test_non_finite_number_is_422(self, client: httpx.AsyncClient, token: bytes) -> None:
        body = b'{"input_size": [1], "layers": [], "scale": ' + token + b"}"
        response = await client.post("/test/stack", content=body, headers={"content-type": "application/json"})
        problem = assert_problem(response, 422, "invalid-request")
        assert problem["errors"][0]["type"] == "finite_number"

    async def test_nan_inside_a_string_is_fine(self, client: httpx.AsyncClient) -> None:
        body = b'{"input_size": [1], "layers": [], "note": "NaN [[[[ \\" Infinity"}'
        response = await client.post("/test/stack", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 200

    async def test_layer_error_carries_layer_and_axis(self, client: httpx.AsyncClient) -> None:
        problem = assert_problem(await client.post("/test/raise/layer", json=VALID), 422, "layer-error")
        assert problem["errors"] == [
            {
                "loc": ["body", "layers", 1, "kernel_size", 0],
                "msg": "kernel wider than the padded input",
                "type": "layer",
                "layer": 1,
                "axis": 0,
            }
        ]
        assert problem["detail"].startswith("layer 1, axis 0")

    async def test_extra_members_are_merged_but_never_override(self, client: httpx.AsyncClient) -> None:
        problem = assert_problem(await client.post("/test/raise/partial", json=VALID), 422, "layer-error")
        assert problem["layers"] == [{"index": 0}, {"index": 1}]
        assert problem["status"] == 422

    async def test_symbolic_timeout_is_422(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.post("/test/raise/timeout", json=VALID), 422, "symbolic-timeout")

    # other statuses
    async def test_other_http_errors_are_about_blank(self, client: httpx.AsyncClient) -> None:
        problem = assert_problem(await client.get("/test/teapot"), 418, None)
        assert problem["title"] == "I'm a Teapot" or problem["title"].lower() == "i'm a teapot"
        assert problem["detail"] == "short and stout"

    async def test_unexpected_exception_is_a_500_problem(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        response = await client.get("/test/bug")
        problem = assert_problem(response, 500, "internal-error")
        assert "a bug slipped through" not in problem["detail"]  # no internals leak
        assert any(r.exc_info and "a bug slipped through" in str(r.exc_info[1]) for r in caplog.records)


class TestHelpers:
    @pytest.mark.parametrize(
        ("loc", "expected"),
        [
            (["body", "layers", 3, "padding", 1], (3, 1)),
            (["body", "layers", 3, "padding", 1, 0], (3, 1)),
            (["body", "layers", 0, "kernel_size"], (0, None)),
            (["body", "layers", 2, "conv", "stride", "list[int]", 2], (2, 2)),
            (["body", "input_size", 1], (None, 1)),
            (["body", "encoder", 0, "layers", 1], (None, None)),
            (["query", "x"], (None, None)),
            ([], (None, None)),
        ],
    )
    def test_infer_layer_axis(self, loc: list[Any], expected: tuple[int | None, int | None]) -> None:
        assert infer_layer_axis(loc) == expected

    def test_body_loc_drops_union_tags_only(self) -> None:
        body = {"layers": [{"op": "conv", "padding": [1, [2, "x"]]}]}
        loc = ["body", "layers", 0, "conv", "padding", "list[union[int,tuple[int,int]]]", 1, "tuple[int, int]", 1]
        assert body_loc(loc, body) == ["body", "layers", 0, "padding", 1, 1]
        assert body_loc(["body", "layers", 0, "conv", "kernel_size"], body) == ["body", "layers", 0, "kernel_size"]
        assert body_loc(["path", "op"], None) == ["path", "op"]

    @pytest.mark.parametrize(
        ("body", "limit", "too_deep"),
        [
            (b"1", 0, False),
            (b"[]", 1, False),
            (b"[[]]", 1, True),
            (b'{"a": [{"b": [1]}]}', 4, False),
            (b'{"a": [{"b": [1]}]}', 3, True),
            (b'["[[[[", "\\"[[[["]', 1, False),
            (b"[" * 10, 64, False),
            (b"[" * 65, 64, True),
            (b"[}" * 3, 1, False),
        ],
    )
    def test_json_depth(self, body: bytes, limit: int, too_deep: bool) -> None:
        assert json_depth_exceeds(body, limit) is too_deep

    @hypothesis_settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from([b'"', b"\\", b"[", b"]", b":", b"a", b"{", b"}", b'"op"', b",", b"1"]),
                    max_size=30))
    def test_strings_are_blanked_as_the_regular_expression_blanks_them(self, parts: list[bytes]) -> None:
        body = b"".join(parts)
        assert _blank_strings(body) == _STRING.sub(b"", body)

    def test_check_json_body_keeps_big_integers_valid(self) -> None:
        check_json_body(b'{"n": 123456789012345678901234567890}', 64)

    @pytest.mark.parametrize(
        ("content_type", "ok"),
        [
            ("application/json", True),
            ("Application/JSON; charset=utf-8", True),
            ("application/problem+json", True),
            ("text/json", False),
            ("application/jsonx", False),
            ("", False),
            (None, False),
        ],
    )
    def test_json_media_types(self, content_type: str | None, ok: bool) -> None:
        assert is_json_media_type(content_type) is ok


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        ("method", "path", "body", "status"),
        [
            ("GET", "/v1/health", None, 200),
            ("GET", "/nowhere", None, 404),
            ("POST", "/v1/shapes", b"{", 400),  # refused by the body guard, outside FastAPI
            ("POST", "/v1/shapes", b"{}", 422),
            ("GET", "/docs", None, 200),
            ("GET", "/static/docs/favicon.png", None, 200),
        ],
    )
    async def test_every_response_carries_them(
        self, api_client: httpx.AsyncClient, method: str, path: str, body: bytes | None, status: int
    ) -> None:
        response = await api_client.request(
            method, path, content=body, headers={"Content-Type": "application/json"} if body else {}
        )
        assert response.status_code == status
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
