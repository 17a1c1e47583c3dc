"""POST /v1/compute/{op} over HTTP (httpx + ASGITransport, in process)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from convplan.app import create_app
from convplan.compute import REQUESTS
from convplan.settings import Settings

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


async def post(client: httpx.AsyncClient, op: str, body: Any) -> httpx.Response:
    return await client.post(f"/v1/compute/{op}", json=body)


EVERY_OP = [
    ("conv", {"input": [[[1, 2, 3]]], "weight": [[[1, 1]]], "bias": [0.5]}, [[[3.5, 5.5]]]),
    ("conv_transpose", {"input": [[[1, 2, 3]]], "weight": [[[1, 1, 1]]], "stride": 2}, [[[1, 1, 3, 2, 5, 3, 3]]]),
    ("max_pool", {"input": [[[1, 2, 3, 4, 5]]], "kernel_size": 2}, [[[2, 4]]]),
    ("avg_pool", {"input": [[[1, 2, 3, 4, 5]]], "kernel_size": 2, "ceil_mode": True}, [[[1.5, 3.5, 5]]]),
    ("adaptive_avg_pool", {"input": [[[1, 2, 3, 4, 5]]], "output_size": 3}, [[[1.5, 3, 4.5]]]),
    ("adaptive_max_pool", {"input": [[[1, 2, 3, 4, 5]]], "output_size": 3}, [[[2, 4, 5]]]),
    ("max_unpool", {"input": [[[2, 4]]], "indices": [[[1, 3]]], "kernel_size": 2}, [[[0, 2, 0, 4]]]),
    ("upsample", {"input": [[[1, 2, 3]]], "size": 5, "mode": "nearest-exact"}, [[[1, 1, 2, 3, 3]]]),
    ("pixel_shuffle", {"input": [[[[0]], [[1]], [[2]], [[3]]]], "upscale_factor": 2}, [[[[0, 1], [2, 3]]]]),
    ("pixel_unshuffle", {"input": [[[[0, 1], [2, 3]]]], "downscale_factor": 2}, [[[[0]], [[1]], [[2]], [[3]]]]),
]


@pytest.mark.parametrize(("op", "body", "expected"), EVERY_OP, ids=[c[0] for c in EVERY_OP])
async def test_every_op(api_client: httpx.AsyncClient, op: str, body: dict, expected: list) -> None:
    response = await post(api_client, op, body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["output"] == expected
    assert data["shape"] == _shape(expected)


def _shape(value: Any) -> list[int]:
    out = []
    while isinstance(value, list):
        out.append(len(value))
        value = value[0]
    return out


async def test_max_pool_indices_default_true(api_client: httpx.AsyncClient) -> None:
    data = (await post(api_client, "max_pool", {"input": [[[1, 2, 3, 4, 5]]], "kernel_size": 2})).json()
    assert data["indices"] == [[[1, 3]]]
    data = (await post(api_client, "max_pool", {"input": [[[1, 2, 3, 4, 5]]], "kernel_size": 2,
                                                "return_indices": False})).json()
    assert "indices" not in data


@pytest.mark.parametrize(
    "body",
    [
        {"input": [[1, 2, 3]], "weight": [[[1, 1, 1]]], "stride": 2},  # rank from the weight
        {"input": [[1, 2, 3]], "weight": [[[1, 1, 1]]], "stride": 2, "spatial_rank": 1},
        {"input": [[1, 2, 3]], "weight": [[[1, 1, 1]]], "stride": [2]},
    ],
)
async def test_unbatched(api_client: httpx.AsyncClient, body: dict) -> None:
    data = (await post(api_client, "conv_transpose", body)).json()
    assert data["output"] == [[1, 1, 3, 2, 5, 3, 3]] and data["shape"] == [1, 7]


async def test_unbatched_upsample_from_size_length(api_client: httpx.AsyncClient) -> None:
    data = (await post(api_client, "upsample", {"input": [[1, 2, 3]], "size": [5], "mode": "linear"})).json()
    assert data["shape"] == [1, 5]


async def test_conflicting_rank_hints(api_client: httpx.AsyncClient) -> None:
    r = await post(api_client, "upsample", {"input": [[[1, 2, 3]]], "size": [5], "spatial_rank": 2})
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["errors"]]
    assert ["body", "spatial_rank"] in locs and ["body", "size"] in locs


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"input": [[[1, 2, True]]], "kernel_size": 2}, ["body", "input", 0, 0, 2]),
        ({"input": [[[1, 2, 3], [4, 5]]], "kernel_size": 2}, ["body", "input", 0, 1]),
        ({"input": [[[1, [2], 3]]], "kernel_size": 2}, ["body", "input", 0, 0, 1]),
        ({"input": [[[]]], "kernel_size": 2}, ["body", "input", 0, 0]),
        ({"input": [], "kernel_size": 2}, ["body", "input"]),
        ({"input": [[["1", 2]]], "kernel_size": 2}, ["body", "input", 0, 0, 0]),
        ({"input": [[[1, None]]], "kernel_size": 2}, ["body", "input", 0, 0, 1]),
        ({"input": 3, "kernel_size": 2}, ["body", "input"]),
        ({"kernel_size": 2}, ["body", "input"]),
        ({"input": [[[1, 2]]], "kernel_size": True}, ["body", "kernel_size"]),
        ({"input": [[[1, 2]]], "kernel_size": 3}, ["body"]),  # output size 0: the engine names axis 0
        ({"input": [[[1, 2]]], "kernel_size": 2, "bogus": 1}, ["body", "bogus"]),
    ],
)
async def test_bad_tensors_and_params_are_located_422(api_client: httpx.AsyncClient, body: dict, loc: list) -> None:
    r = await post(api_client, "max_pool", body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["loc"][: len(loc)] == loc


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_non_finite_numbers(api_client: httpx.AsyncClient, token: str) -> None:
    r = await api_client.post("/v1/compute/max_pool", content=f'{{"input": [[[1, {token}]]], "kernel_size": 1}}',
                              headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["loc"][0] == "body"


@pytest.mark.parametrize(
    ("op", "body", "loc"),
    [
        ("conv", {"input": [[[1, 2, 3]]], "weight": [[1, 1]]}, ["body", "weight"]),
        ("conv", {"input": [[[1, 2, 3]]], "weight": [[[1, 1]], [[1, 1]]], "bias": [1]}, ["body", "bias"]),
        ("conv", {"input": [[[1, 2, 3]]], "weight": [[[1, 1], [1, 1]]]}, ["body", "weight"]),
        ("conv", {"input": [[[1, 2, 3]]], "weight": [[[1, 1]]], "kernel_size": 3}, ["body", "kernel_size"]),
        ("max_unpool", {"input": [[[2, 4]]], "indices": [[[1]]], "kernel_size": 2}, ["body", "indices"]),
        ("max_unpool", {"input": [[[2, 4]]], "indices": [[[1, 1.5]]], "kernel_size": 2}, ["body", "indices", 0, 0, 1]),
        ("max_unpool", {"input": [[[2, 4]]], "indices": [[[1, 9]]], "kernel_size": 2}, ["body", "indices", 0, 0, 1]),
        ("conv_transpose", {"input": [[[1, 2, 3]]], "weight": [[[1, 1, 1]]], "stride": 2, "output_padding": 2},
         ["body", "output_padding"]),
    ],
)
async def test_wrong_shapes_and_values(api_client: httpx.AsyncClient, op: str, body: dict, loc: list) -> None:
    r = await post(api_client, op, body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"][: len(loc)] == loc


async def test_overflow_to_infinity_is_422(api_client: httpx.AsyncClient) -> None:
    r = await post(api_client, "conv", {"input": [[[1e308, 1e308]]], "weight": [[[1e308, 1e308]]]})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_input_over_limit_is_413_before_allocation() -> None:
    app = create_app(Settings(max_input_elements=1000))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        r = await post(client, "max_pool", {"input": [[[0] * 1001]], "kernel_size": 1})
        assert r.status_code == 413
        assert r.json()["errors"][0]["loc"] == ["body", "input"]
        # the limit is over all tensors of the request
        r = await post(client, "conv", {"input": [[[0] * 600]], "weight": [[[0] * 500]]})
        assert r.status_code == 413
        assert r.json()["errors"][0]["loc"] == ["body", "weight"]


async def test_input_limit_counts_before_building(monkeypatch: pytest.MonkeyPatch,
                                                  api_client: httpx.AsyncClient) -> None:
    import convplan.compute.service as service

    def boom(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an array was built")

    monkeypatch.setattr(service, "build", boom)
    big = {"input": [[[0.5] * 1000] * 251], "kernel_size": 1}  # 251,000 > 250,000
    r = await post(api_client, "max_pool", big)
    assert r.status_code == 413


async def test_output_over_limit_is_413() -> None:
    app = create_app(Settings(max_output_elements=100))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        r = await post(client, "upsample", {"input": [[[1, 2]]], "size": 101})
        assert r.status_code == 413
        r = await post(client, "upsample", {"input": [[[1, 2]]], "size": 100})
        assert r.status_code == 200


async def test_explain(api_client: httpx.AsyncClient) -> None:
    body = {"input": [[[1, 2, 3]]], "weight": [[[1, 1, 1]]], "stride": 2, "padding": 1, "output_padding": 1,
            "explain": True}
    data = (await post(api_client, "conv_transpose", body)).json()
    ex = data["explain"]
    assert ex["zero_inserted"] == [[[1, 0, 2, 0, 3]]]
    assert ex["padded"] == [[[0, 1, 0, 2, 0, 3, 0, 0]]]
    eq = ex["equivalent_conv"]
    assert eq["stride"] == 1 and eq["padding"] == [[1, 2]] and eq["output"] == data["output"]
    assert len(ex["conv_matrix"]) == 3 and len(ex["conv_matrix"][0]) == 6
    assert ex["conv_matrix_is_forward_conv"] is True


async def test_explain_matrix_omitted_over_limit() -> None:
    app = create_app(Settings(max_conv_matrix_elements=10))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        body = {"input": [[[1, 2, 3]]], "weight": [[[1, 1, 1]]], "stride": 2, "explain": True}
        ex = (await post(client, "conv_transpose", body)).json()["explain"]
        assert ex["conv_matrix"] is None and "max_conv_matrix_elements" in ex["conv_matrix_omitted"]


async def test_explain_on_another_op_is_422(api_client: httpx.AsyncClient) -> None:
    r = await post(api_client, "conv", {"input": [[[1, 2, 3]]], "weight": [[[1, 1]]], "explain": True})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "explain"]


async def test_unknown_op_is_404(api_client: httpx.AsyncClient) -> None:
    r = await post(api_client, "softmax", {"input": [[[1]]]})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["type"].endswith("/unknown-op")
    assert r.json()["detail"].startswith("unknown op 'softmax'; compute ops: conv, conv_transpose, ")


async def test_unknown_op_says_the_one_meant(api_client: httpx.AsyncClient) -> None:
    r = await post(api_client, "MaxPool2d", {"input": [[[1]]]})
    assert r.status_code == 404
    assert r.json()["detail"].startswith("unknown op 'MaxPool2d': did you mean 'max_pool'? ")
    assert r.json()["errors"][0]["loc"] == ["path", "op"]


async def test_body_not_an_object(api_client: httpx.AsyncClient) -> None:
    r = await post(api_client, "conv", [1, 2])
    assert r.status_code == 422


async def test_openapi_documents_every_request_body(api_client: httpx.AsyncClient) -> None:
    schema = (await api_client.get("/openapi.json")).json()
    post_op = schema["paths"]["/v1/compute/{op}"]["post"]
    variants = post_op["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert [v["title"] for v in variants] == [f"{op} request" for op in REQUESTS]  # every op the registry computes
    assert {"conv request", "pixel_unshuffle request"} <= {v["title"] for v in variants}
    assert all("input" in v["properties"] for v in variants)
    assert "413" in post_op["responses"] and "404" in post_op["responses"]


class TestMaxPoolPaddingOnlyWindow:
    """A window whose taps all fall in the padding was "the result overflows float64"."""

    async def test_window_of_only_padding_is_named(self, api_client: httpx.AsyncClient) -> None:
        # Size 2, kernel 2, dilation 3, padding 1: the one window's taps are at -1 and 2, both padding.
        # PyTorch accepts it (padding 1 <= effective kernel 4 // 2) and returns -inf.
        body = {"input": [[[1, 2]]], "kernel_size": 2, "stride": 1, "padding": 1, "dilation": 3}
        response = await api_client.post("/v1/compute/max_pool", json=body)
        assert response.status_code == 422
        problem = response.json()
        assert "overflows" not in problem["detail"]
        assert "window 0 on axis 0 covers only padding" in problem["detail"]
        assert problem["errors"][0]["loc"] == ["body", "padding"]
        assert problem["errors"][0]["axis"] == 0

    async def test_second_axis_is_named(self, api_client: httpx.AsyncClient) -> None:
        body = {"input": [[[[1, 2], [3, 4]]]], "kernel_size": 2, "stride": 1, "padding": [0, 1], "dilation": [1, 3]}
        response = await api_client.post("/v1/compute/max_pool", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["axis"] == 1

    async def test_windows_touching_the_input_still_work(self, api_client: httpx.AsyncClient) -> None:
        body = {"input": [[[1, 2, 3]]], "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}
        response = await api_client.post("/v1/compute/max_pool", json=body)
        assert response.status_code == 200
        assert response.json()["output"] == [[[2.0]]]
