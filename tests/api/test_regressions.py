"""Regressions found by the hardening pass (schemathesis and hostile inputs).

Each test names what was found; see tests/api/test_fuzz.py for the fuzzing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from convplan.app import create_app
from convplan.settings import Settings

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"


async def _post(client: httpx.AsyncClient, path: str, body: Any) -> httpx.Response:
    return await client.post(path, json=body)


def _client(**overrides: Any) -> httpx.AsyncClient:
    app = create_app(Settings.model_construct(**overrides))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


# Found by schemathesis: the `op` path parameter was an unconstrained string, so
# generated cases almost never reached a real op; it now documents the ops as
# an enum, and any other op is still the contract's 404.
def test_compute_op_is_documented_as_an_enum() -> None:
    schema = create_app(Settings.model_construct()).openapi()
    (param,) = [p for p in schema["paths"]["/v1/compute/{op}"]["post"]["parameters"] if p["in"] == "path"]
    assert param["schema"]["enum"][:2] == ["conv", "conv_transpose"]
    assert "404" in schema["paths"]["/v1/compute/{op}"]["post"]["responses"]


async def test_unknown_compute_op_is_still_404(api_client: httpx.AsyncClient) -> None:
    r = await _post(api_client, "/v1/compute/nope", {"input": [[[1.0]]]})
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["loc"] == ["path", "op"]


# Found by hostile inputs: `"spatial_rank": true` was taken as rank 1 (a
# Literal[1, 2, 3] accepts True); the contract's scalars are strict.
async def test_boolean_spatial_rank_is_422(api_client: httpx.AsyncClient) -> None:
    r = await _post(api_client, "/v1/compute/conv", {"input": [[[1, 2, 3]]], "weight": [[[1]]], "spatial_rank": True})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["loc"] == ["body", "spatial_rank"]
    ok = await _post(api_client, "/v1/compute/conv", {"input": [[1, 2, 3]], "weight": [[[1]]], "spatial_rank": 1})
    assert ok.status_code == 200, ok.text


# Found by hostile inputs: an upsample by 1e300 answered 200 with a 302-digit
# output size; a computed size above max_size is now the same 422 as a given one.
@pytest.mark.parametrize("body", [
    {"input_size": [16], "layers": [{"op": "upsample", "scale_factor": 1e300}]},
    {"input_size": [999_999_999], "layers": [{"op": "upsample", "scale_factor": 2}]},
    {"input_size": [8], "in_channels": 999_999_999, "layers": [{"op": "pixel_unshuffle", "downscale_factor": 2}]},
])
async def test_computed_size_over_max_size_is_422(api_client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    r = await _post(api_client, "/v1/shapes", body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["loc"] == ["body", "layers", 0]
    assert problem["errors"][0]["type"] == "limit.size"
    assert problem["layers"] == []  # the partial stack, as for any refusing layer


async def test_computed_size_over_max_size_in_a_plan_is_422(api_client: httpx.AsyncClient) -> None:
    body = {"input_size": [8], "encoder": [{"layers": [{"op": "upsample", "scale_factor": 1e300}]}]}
    r = await _post(api_client, "/v1/plan", body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"][:3] == ["body", "encoder", 0]


# Found by the limits audit: a size over max_size was a 413, but the contract
# lists it among the range errors (422); expression length stays a 413.
async def test_size_over_max_size_is_422_not_413(api_client: httpx.AsyncClient) -> None:
    r = await _post(api_client, "/v1/shapes", {"input_size": [2_000_000_000], "layers": []})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "limit.size"
    r = await _post(api_client, "/v1/shapes", {"input_size": [8], "layers": [{"op": "conv", "kernel_size": 10**12}]})
    assert r.status_code == 422


# Found by the limits audit: CONVPLAN_MAX_EXPONENT was published by /v1/limits
# but the parser always used its own default of 16.
async def test_max_exponent_setting_reaches_the_parser() -> None:
    async with _client(max_exponent=2) as client:
        assert (await _post(client, "/v1/shapes", {"input_size": ["H**2"], "layers": []})).status_code == 200
        r = await _post(client, "/v1/shapes", {"input_size": ["H**3"], "layers": []})
        assert r.status_code == 422 and r.json()["errors"][0]["type"] == "expression.limit"
    async with _client(max_exponent=20) as client:
        assert (await _post(client, "/v1/shapes", {"input_size": ["H**18"], "layers": []})).status_code == 200


# Found by the limits audit: the compute work bound was a constant, not a setting.
async def test_compute_work_bound_is_the_setting() -> None:
    body = {"input": [[[0.5] * 20]], "weight": [[[1.0] * 10]]}  # 11 outputs x 10 taps
    async with _client(max_compute_work=109) as client:
        r = await _post(client, "/v1/compute/conv", body)
        assert r.status_code == 413 and r.json()["limit"] == "max_compute_work"
    async with _client(max_compute_work=110) as client:
        assert (await _post(client, "/v1/compute/conv", body)).status_code == 200


# Found by the load profile: the guard matched the routes on every request;
# now only when it refuses. Unknown paths must still get routing's 404 / 405.
@pytest.mark.parametrize(("path", "status"), [("/v1/nowhere", 404), ("/v1/health", 405)])
async def test_refusals_still_defer_to_routing(api_client: httpx.AsyncClient, path: str, status: int) -> None:
    r = await api_client.post(path, content=b"not json", headers={"Content-Type": "text/plain"})
    assert r.status_code == status and r.headers["content-type"] == PROBLEM


async def test_guard_still_refuses_on_routes(api_client: httpx.AsyncClient) -> None:
    r = await api_client.post("/v1/shapes", content=b"not json", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = await api_client.post("/v1/shapes", content=b'{"input_size": [NaN], "layers": []}',
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "finite_number"


# Found by the load profile: the settings dependency was a plain function, run
# in the thread pool on every request.
def test_settings_dependency_is_async() -> None:
    import inspect

    from convplan.api.deps import app_settings

    assert inspect.iscoroutinefunction(app_settings)


# Found by hostile inputs: a scale_factor integer beyond the float range (400
# digits) raised OverflowError in math.isfinite (a 500), and a finite factor
# whose product with the size overflows raised it in math.floor.
@pytest.mark.parametrize(("path", "body"), [
    ("/v1/shapes", {"input_size": [8], "layers": [{"op": "upsample", "scale_factor": 10**400}]}),
    ("/v1/shapes", {"input_size": ["H"], "layers": [{"op": "upsample", "scale_factor": 10**400}]}),
    ("/v1/shapes", {"input_size": [999_999_999], "layers": [{"op": "upsample", "scale_factor": 1e300}]}),
    ("/v1/compute/upsample", {"input": [[[1, 2, 3]]], "scale_factor": 10**400}),
    ("/v1/compute/upsample", {"input": [[[1, 2, 3]]], "scale_factor": 1e308}),
])
async def test_scale_factor_beyond_float_range_is_422(api_client: httpx.AsyncClient, path: str,
                                                      body: dict[str, Any]) -> None:
    r = await api_client.post(
        path, content=__import__("json").dumps(body), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["loc"][-1] in ("scale_factor", 0)


# Found by schemathesis (scripts/fuzz, 1000 examples): a symbol named by a
# reserved word (`{"symbols": {"True": {}}}`) passed the name pattern and then
# raised ExpressionError from the symbol table: a 500.
@pytest.mark.parametrize("name", ["True", "None", "floor", "max"])
@pytest.mark.parametrize("path", ["/v1/shapes", "/v1/plan"])
async def test_reserved_symbol_name_is_422(api_client: httpx.AsyncClient, name: str, path: str) -> None:
    body: dict[str, Any] = {"input_size": [8], "symbols": {name: {}}}
    body.update({"layers": []} if path == "/v1/shapes" else {"encoder": [{"layers": []}]})
    r = await _post(api_client, path, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["loc"] == ["body", "symbols", name]


# Found by the load profile: the guard parsed every body with the stdlib (300 ms
# for a 5 MB compute body) and the compute route parsed it again. The guard now
# parses with orjson (the stdlib only classifies what orjson refuses) and hands
# the result to the compute route.
def test_guard_parses_once_and_classifies_what_orjson_refuses() -> None:
    from convplan.api.body_guard import _Malformed, check_json_body
    from convplan.errors import InvalidRequest

    assert check_json_body(b'{"a": [1, 2.5, "x"]}', 64) == {"a": [1, 2.5, "x"]}
    assert check_json_body(b'{"a": "\\ud800"}', 64) == {"a": "\ud800"}  # only the stdlib takes it
    for bad in (b"[NaN]", b"[Infinity]", b"[-Infinity]", b"[1e999]", b"[" + b"9" * 400 + b".5]"):
        with pytest.raises(InvalidRequest):
            check_json_body(bad, 64)
    for malformed in (b"[1,", b"\xff\xfe", b"[1] x", b"[" + b"9" * 5000 + b"]"):
        with pytest.raises(_Malformed):
            check_json_body(malformed, 64)


async def test_compute_uses_the_guards_parse(api_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import convplan.api.routes.compute as route

    def no_parse(*args: Any) -> Any:
        raise AssertionError("the compute route parsed the body again")

    import types

    import orjson

    stub = types.SimpleNamespace(
        loads=no_parse,
        dumps=orjson.dumps,
        JSONDecodeError=orjson.JSONDecodeError,
        OPT_SERIALIZE_NUMPY=orjson.OPT_SERIALIZE_NUMPY,
    )
    monkeypatch.setattr(route, "orjson", stub)
    r = await _post(api_client, "/v1/compute/conv", {"input": [[[1, 2, 3]]], "weight": [[[2]]]})
    assert r.status_code == 200 and r.json()["output"] == [[[2.0, 4.0, 6.0]]]


async def test_malformed_compute_body_is_400(api_client: httpx.AsyncClient) -> None:
    r = await api_client.post(
        "/v1/compute/conv", content=b'{"input": [[[1]]], ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["body"]


async def test_empty_json_body_is_400(api_client) -> None:
    r = await api_client.post("/v1/shapes", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"


# Repeated keys were silently accepted (the last won): a body that says two
# things is refused, naming the key and the object it is repeated in.
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b'{"input_size": [8], "input_size": [9], "layers": []}', ["body", "input_size"]),
        (
            b'{"input_size": [8], "layers": [{"op": "conv", "kernel_size": 3, "kernel_size": 5}]}',
            ["body", "layers", 0, "kernel_size"],
        ),
        (b'{"input_size": [8], "layers": [], "symbols": {"n": {"min": 1, "min": 2}}}', ["body", "symbols", "n", "min"]),
    ],
)
async def test_duplicate_keys_are_a_located_400(api_client: httpx.AsyncClient, body: bytes, loc: list) -> None:
    response = await api_client.post("/v1/shapes", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert f"duplicate key {loc[-1]!r}" in problem["detail"]
    assert ".".join(map(str, loc[:-1])) in problem["detail"]
    assert problem["errors"][0]["loc"] == loc
    assert problem["errors"][0]["type"] == "json_duplicate_key"


async def test_duplicate_keys_inside_a_tensor_list_are_found(api_client: httpx.AsyncClient) -> None:
    # A list that starts with a number is not walked on the fast path; the key count still tells.
    body = b'{"input": [1, {"a": 1, "a": 2}], "kernel_size": 1}'
    response = await api_client.post("/v1/compute/max_pool", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "input", 1, "a"]


async def test_same_key_in_different_objects_is_fine(api_client: httpx.AsyncClient) -> None:
    body = b'{"input_size": [8], "layers": [{"op": "conv", "kernel_size": 3}, {"op": "conv", "kernel_size": 3}]}'
    response = await api_client.post("/v1/shapes", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200


# A 5000-digit integer literal was a 400 saying "use sys.set_int_max_str_digits()".
async def test_huge_integer_literal_is_a_clean_400(api_client: httpx.AsyncClient) -> None:
    body = b'{"input_size": [' + b"9" * 5000 + b'], "layers": []}'
    response = await api_client.post("/v1/shapes", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    text = response.text
    assert "sys." not in text and "set_int_max_str_digits" not in text and "Exceeds" not in text
    assert "5000 digits" in response.json()["detail"]


async def test_invalid_utf8_is_a_clean_400(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post(
        "/v1/shapes", content=b'{"a": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "codec" not in response.text


# "the input has 2 spatial axises": the plural of axis is axes.
@pytest.mark.parametrize(("input_size", "word"), [([8, 8], "2 spatial axes"), ([8], "1 spatial axis")])
async def test_rank_mismatch_says_axes(api_client: httpx.AsyncClient, input_size: list[int], word: str) -> None:
    body = {"input_size": input_size, "layers": [{"op": "conv", "kernel_size": [3, 3, 3]}]}
    response = await api_client.post("/v1/shapes", json=body)
    assert response.status_code == 422
    assert word in response.text
    assert "axises" not in response.text
