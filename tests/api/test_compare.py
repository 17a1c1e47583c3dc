"""POST /v1/compare/upsamplers over HTTP (httpx + ASGITransport, in process)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from convplan.compare.models import CompareUpsamplersRequest

pytestmark = pytest.mark.anyio

PATH = "/v1/compare/upsamplers"
PROBLEM = "application/problem+json"
EXAMPLES = CompareUpsamplersRequest.model_config["json_schema_extra"]["examples"]  # type: ignore[index]


class TestCompareUpsamplers:
    @pytest.mark.parametrize("body", EXAMPLES)
    async def test_openapi_examples_answer_200(self, api_client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        response = await api_client.post(PATH, json=body)
        assert response.status_code == 200, response.text

    async def test_side_by_side(self, api_client: httpx.AsyncClient) -> None:
        data = (await api_client.post(PATH, json={"input": [[[1, 2, 4]]], "scale_factor": 2})).json()
        assert data["scale_factor"] == 2 and data["input_shape"] == [1, 1, 3] and data["warnings"] == []
        m = data["methods"]
        assert list(m) == ["nearest", "bilinear", "bilinear_align_corners", "conv_transpose"]
        assert m["nearest"] == {"output": [[[1, 1, 2, 2, 4, 4]]], "shape": [1, 1, 6]}
        assert m["bilinear"]["output"] == [[[1, 1.25, 1.75, 2.5, 3.5, 4]]]
        assert m["conv_transpose"]["output"] == [[[0.75, 1.25, 1.75, 2.5, 3.5, 3]]]
        assert m["conv_transpose"]["coverage"] == [[[1, 2, 2, 2, 2, 1]]]
        assert m["conv_transpose"]["overlap"] == [{"taps": [[1, 3], [0, 2]], "uniform": True, "holes": False}]
        assert (m["conv_transpose"]["kernel_size"], m["conv_transpose"]["padding"],
                m["conv_transpose"]["output_padding"]) == ([4], [1], [0])

    async def test_uneven_weight_warns(self, api_client: httpx.AsyncClient) -> None:
        body = {"input": [[[1, 2]]], "scale_factor": 2, "weight": [[[1, 1, 1]]], "methods": ["conv_transpose"]}
        data = (await api_client.post(PATH, json=body)).json()
        assert data["warnings"][0].startswith("conv_transpose: axis 0: uneven overlap")
        assert "Distill 2016" in data["warnings"][0]

    @pytest.mark.parametrize(("body", "loc"), [
        ({"input": [[[1, 2]]], "scale_factor": 2, "methods": ["bicubic"]}, ["body", "methods", 0]),
        ({"input": [[[1, 2]]], "scale_factor": 2, "methods": ["max_unpool"]}, ["body", "pooled_from"]),
        ({"input": [[[1, 2]]], "scale_factor": 2, "pooled_from": [[[1, 2]]]}, ["body", "pooled_from"]),
        ({"input": [[[1, 2]]], "scale_factor": 4, "weight": [[[1]]]}, ["body", "weight"]),
        ({"input": [[[1, 2]]], "scale_factor": 2, "weight": [[[[1]]]]}, ["body", "weight"]),
        ({"input": [1, 2], "scale_factor": 2}, ["body", "input"]),
        ({"input": [[[1, 2], [3]]], "scale_factor": 2}, ["body", "input", 0, 1]),
        ({"input": [[[1, True]]], "scale_factor": 2}, ["body", "input", 0, 0, 1]),
        ({"input": [[[1, 2]]], "scale_factor": 0}, ["body", "scale_factor"]),
        ({"input": [[[1, 2]]], "scale_factor": 2.0}, ["body", "scale_factor"]),
        ({"input": [[[1, 2]]], "scale_factor": 2, "methods": ["nearest", "nearest"]}, ["body", "methods"]),
        ({"input": [[[1, 2]]], "scale_factor": 2, "methods": ["lanczos"]}, ["body", "methods", 0]),
        ({"input": [[[1, 2]]]}, ["body", "scale_factor"]),
    ])
    async def test_refusals_are_located_422s(self, api_client: httpx.AsyncClient, body: Any, loc: list) -> None:
        response = await api_client.post(PATH, json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"][0]["loc"] == loc

    async def test_output_limit_is_a_413(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post(PATH, json={"input": [[[1, 2]]], "scale_factor": 10**9})
        assert response.status_code == 413
        assert response.json()["limit"] == "max_output_elements"

    async def test_malformed_json_is_a_400(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post(PATH, content=b"{", headers={"content-type": "application/json"})
        assert response.status_code == 400
