"""The domain's request-relative locations, placed in the HTTP request per route."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from convplan.api.locations import ROUTE_PARTS, HttpErrorItem, http_items, http_loc
from convplan.errors import ErrorItem

pytestmark = pytest.mark.anyio


class TestHttpLoc:
    def test_the_body_by_default(self) -> None:
        assert http_loc(("layers", 3, "padding", 1), {}) == ("body", "layers", 3, "padding", 1)
        assert http_loc((), {}) == ("body",)

    def test_compute_op_is_in_the_path(self) -> None:
        parts = ROUTE_PARTS["/v1/compute/{op}"]
        assert http_loc(("op",), parts) == ("path", "op")
        assert http_loc(("input", 0, 1), parts) == ("body", "input", 0, 1)

    def test_onnx_model_is_the_body_and_its_shapes_the_query(self) -> None:
        parts = ROUTE_PARTS["/v1/import/onnx"]
        assert http_loc(("model", "graph", "node", 3), parts) == ("body", "graph", "node", 3)
        assert http_loc(("input", 1), parts) == ("query", "input", 1)
        assert http_loc(("nodes", 2), parts) == ("body", "nodes", 2)

    def test_an_index_first_is_not_a_part_name(self) -> None:
        assert http_loc((0, "op"), {"op": ("path", "op")}) == ("body", 0, "op")

    def test_edge_items_pass_unchanged(self) -> None:
        edge = HttpErrorItem(("query", "format"), "format must be json or svg", "enum")
        domain = ErrorItem(("layers", 0), "bad", "layer", 0)
        assert http_items([edge, domain], {}) == [edge, ErrorItem(("body", "layers", 0), "bad", "layer", 0)]


class TestRouteParts:
    def test_every_route_and_parameter_exists(self, api_app: FastAPI) -> None:
        # A renamed path or parameter would silently send its locations to the body.
        paths = api_app.openapi()["paths"]
        for route, parts in ROUTE_PARTS.items():
            assert route in paths, route
            parameters = {(p["in"], p["name"]) for op in paths[route].values() for p in op.get("parameters", [])}
            for name, where in parts.items():
                if where[0] in ("path", "query"):
                    assert (where[0], where[1]) in parameters, (route, name)

    async def test_a_refusal_in_the_path(self, api_client: httpx.AsyncClient) -> None:
        r = await api_client.post("/v1/compute/conv3", json={})
        assert r.status_code == 404 and r.json()["errors"][0]["loc"] == ["path", "op"]

    async def test_a_refusal_in_the_body_of_compute(self, api_client: httpx.AsyncClient) -> None:
        r = await api_client.post("/v1/compute/conv", json={"input": [[[1, 2], [3]]], "weight": [[[1]]]})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "input", 0, 1]
