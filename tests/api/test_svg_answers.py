"""SVG answers (contract section 11): ?format=svg and Accept on /v1/plan and /v1/compute/conv_transpose."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, ClassVar

import httpx
import pytest

from convplan.settings import Settings

pytestmark = pytest.mark.anyio

NS = "{http://www.w3.org/2000/svg}"
UNET = {"input_size": [572], "in_channels": 1, "template": {"name": "unet", "depth": 4}}
CONV_T = {"input": [[[1, 2, 3]]], "weight": [[[1, 1, 1]]], "stride": 2}


class TestPlanSvg:
    async def test_format_svg(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/plan?format=svg", json=UNET)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        root = ET.fromstring(response.content)
        assert root.tag == f"{NS}svg"
        assert "388" in ["".join(t.itertext()) for t in root.iter(f"{NS}text")]

    @pytest.mark.parametrize(("accept", "svg"), [("image/svg+xml", True),
                                                 ("image/svg+xml, application/json;q=0.5", True),
                                                 ("application/json, image/svg+xml;q=0.9", False), ("*/*", False),
                                                 ("text/html,image/*;q=0.9,*/*;q=0.8", True)])
    async def test_accept(self, api_client: httpx.AsyncClient, accept: str, svg: bool) -> None:
        response = await api_client.post("/v1/plan", json=UNET, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml" if svg else "application/json")

    async def test_errors_stay_problem_json(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/plan?format=svg", json={"input_size": [2], "template": {"name": "unet"}})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_unknown_format_is_a_located_422(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/plan?format=png", json=UNET)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "format"]


class TestComputeSvg:
    async def test_conv_transpose_implies_explain(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/compute/conv_transpose?format=svg", json={**CONV_T, "explain": False})
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        panels = [g for g in ET.fromstring(response.content).iter(f"{NS}g") if g.get("class") == "panel"]
        assert len(panels) == 7

    async def test_svg_panels_limit(self) -> None:
        from convplan.app import create_app

        app = create_app(Settings.model_construct(svg_panels=2))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            response = await client.post("/v1/compute/conv_transpose", json=CONV_T, headers={"Accept": "image/svg+xml"})
        root = ET.fromstring(response.content)
        assert len([g for g in root.iter(f"{NS}g") if g.get("class") == "panel"]) == 2
        assert "5 more output positions not drawn (svg_panels limit 2)" in ["".join(t.itertext())
                                                                            for t in root.iter(f"{NS}text")]

    async def test_other_ops_refuse_svg_and_unknown_ops_stay_404(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/compute/conv?format=svg", json={"input": [[[1, 2]]], "weight": [[[1]]]})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert (await api_client.post("/v1/compute/nope?format=svg", json={})).status_code == 404

    async def test_openapi_documents_svg(self, api_client: httpx.AsyncClient) -> None:
        schema = (await api_client.get("/openapi.json")).json()
        for path in ("/v1/plan", "/v1/compute/{op}", "/v1/graph"):
            operation = schema["paths"][path]["post"]
            assert "image/svg+xml" in operation["responses"]["200"]["content"]
            assert any(p["name"] == "format" and p["in"] == "query" for p in operation["parameters"])


class TestGraphSvg:
    BODY: ClassVar[dict[str, Any]] = {
        "inputs": [{"name": "x", "size": [9, 9], "channels": 1}], "align": "none",
        "nodes": [{"id": "c1", "op": "conv", "inputs": ["x"], "kernel_size": 3, "padding": 1, "out_channels": 8},
                  {"id": "p1", "op": "max_pool", "inputs": ["c1"], "kernel_size": 2},
                  {"id": "c2", "op": "conv", "inputs": ["p1"], "kernel_size": 3, "padding": 1, "out_channels": 16},
                  {"id": "u1", "op": "conv_transpose", "inputs": ["c2"], "kernel_size": 2, "stride": 2,
                   "out_channels": 8},
                  {"id": "cat", "op": "concat", "inputs": ["c1", "u1"]},
                  {"id": "head", "op": "conv", "inputs": ["cat"], "kernel_size": 1, "out_channels": 2}]}

    async def test_mismatch_and_culprit(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/graph?format=svg", json=self.BODY)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        groups = {(g.get("data-node"), g.get("data-merge")): g for g in ET.fromstring(response.content).iter(f"{NS}g")}
        assert groups[(None, "cat")].get("class") == "mismatch"
        assert groups[("p1", None)].get("class") == "culprit"
        assert {node for node, _ in groups if node} == {"x", "c1", "p1", "c2", "u1", "cat", "head"}

    async def test_applied_crop_is_labelled(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/graph", json={**self.BODY, "align": "crop"},
                                         headers={"Accept": "image/svg+xml"})
        texts = ["".join(t.itertext()) for t in ET.fromstring(response.content).iter(f"{NS}text")]
        assert "crop [0, 1] x [0, 1]" in texts and "8x8" in texts
