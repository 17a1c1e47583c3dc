"""The response cache: a repeated question is answered with the first answer's bytes, nothing else is."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from convplan.api.response_cache import ResponseCache
from convplan.settings import Settings

pytestmark = pytest.mark.anyio

UNET = {"input_size": [572, 572], "in_channels": 1,
        "layers": [{"op": "conv", "kernel_size": 3, "out_channels": 64}, {"op": "max_pool", "kernel_size": 2},
                   {"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": 64}]}


def cache_of(app: Any) -> ResponseCache:
    layer = app.middleware_stack
    while not hasattr(layer, "cache"):
        layer = layer.app
    return layer.cache


async def in_process(settings: Settings) -> httpx.AsyncClient:
    from convplan.app import create_app

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://t")


class TestRepeatedRequests:
    async def test_a_repeat_is_a_hit_with_the_same_bytes_and_headers(self, api_client: httpx.AsyncClient) -> None:
        first = await api_client.post("/v1/shapes", json=UNET)
        again = await api_client.post("/v1/shapes", json=UNET)
        assert (first.status_code, again.status_code) == (200, 200)
        assert first.headers["x-convplan-cache"] == "miss" and again.headers["x-convplan-cache"] == "hit"
        assert again.content == first.content
        for name in ("content-type", "content-security-policy", "x-content-type-options"):
            assert again.headers[name] == first.headers[name]

    async def test_the_query_the_accept_header_and_the_path_are_part_of_the_question(
        self, api_client: httpx.AsyncClient
    ) -> None:
        body = {"input_size": [64, 64], "in_channels": 1, "template": {"name": "unet", "depth": 2}}
        as_json = await api_client.post("/v1/plan", json=body)
        as_svg = await api_client.post("/v1/plan?format=svg", json=body)
        by_accept = await api_client.post("/v1/plan", json=body, headers={"Accept": "image/svg+xml"})
        assert as_json.headers["content-type"].startswith("application/json")
        assert as_svg.headers["content-type"].startswith("image/svg+xml")
        assert by_accept.headers["content-type"].startswith("image/svg+xml")
        assert {r.headers["x-convplan-cache"] for r in (as_json, as_svg, by_accept)} == {"miss"}
        graph = await api_client.post("/v1/graph", json=body)
        assert graph.status_code == 422 and graph.headers["x-convplan-cache"] == "miss"

    async def test_one_byte_of_difference_is_another_question(self, api_client: httpx.AsyncClient) -> None:
        first = await api_client.post("/v1/shapes", json=UNET)
        other = await api_client.post("/v1/shapes", json={**UNET, "input_size": [573, 572]})
        assert other.headers["x-convplan-cache"] == "miss"
        assert other.json()["layers"][0]["output_size"] == [571, 570] != first.json()["layers"][0]["output_size"]


class TestRefusalsAreNotKept:
    async def test_a_422_is_computed_every_time(self, api_client: httpx.AsyncClient) -> None:
        body = {"input_size": [2], "layers": [{"op": "conv", "kernel_size": 3}]}
        answers = [await api_client.post("/v1/shapes", json=body) for _ in range(2)]
        assert [r.status_code for r in answers] == [422, 422]
        assert [r.headers["x-convplan-cache"] for r in answers] == ["miss", "miss"]

    async def test_a_malformed_body_is_refused_by_the_guard_every_time(self, api_client: httpx.AsyncClient) -> None:
        for _ in range(2):
            r = await api_client.post("/v1/shapes", content=b'{"input_size": [', headers={"Content-Type":
                                                                                           "application/json"})
            assert r.status_code == 400 and r.headers["x-convplan-cache"] == "miss"


class TestBounds:
    def test_least_recently_used_answers_leave_first(self) -> None:
        cache = ResponseCache(max_bytes=600)  # three entries of 100 bytes and their keys, not four
        for key in (b"a", b"b", b"c"):
            cache.put(key, [], b"x" * 100)
        assert cache.get(b"a") is not None  # now the most recent
        cache.put(b"d", [], b"x" * 100)
        assert cache.get(b"b") is None and cache.get(b"a") is not None and cache.get(b"d") is not None
        assert len(cache) == 3 and cache.size <= 600

    def test_an_answer_larger_than_the_cache_is_not_kept(self) -> None:
        cache = ResponseCache(max_bytes=100)
        cache.put(b"k", [], b"x" * 200)
        assert len(cache) == 0 and cache.size == 0

    async def test_a_body_over_the_request_limit_is_never_looked_up(self) -> None:
        async with await in_process(Settings.model_construct(response_cache_max_request_bytes=10)) as client:
            answers = [await client.post("/v1/shapes", json=UNET) for _ in range(2)]
        assert [r.status_code for r in answers] == [200, 200]
        assert all("x-convplan-cache" not in r.headers for r in answers)

    async def test_zero_bytes_turns_the_cache_off(self) -> None:
        async with await in_process(Settings.model_construct(response_cache_bytes=0)) as client:
            answers = [await client.post("/v1/shapes", json=UNET) for _ in range(2)]
        assert [r.status_code for r in answers] == [200, 200]
        assert all("x-convplan-cache" not in r.headers for r in answers)

    async def test_the_cache_keeps_what_it_answered(self, api_app: Any, api_client: httpx.AsyncClient) -> None:
        await api_client.post("/v1/shapes", json=UNET)
        await api_client.post("/v1/shapes", json=UNET)
        cache = cache_of(api_app)
        assert len(cache) == 1 and 0 < cache.size <= cache.max_bytes


class TestStreamedBodies:
    async def test_a_body_without_content_length_passes_through(self, api_client: httpx.AsyncClient) -> None:
        import json

        async def chunks() -> Any:
            yield json.dumps(UNET).encode()

        answers = [await api_client.post("/v1/shapes", content=chunks(), headers={"Content-Type": "application/json"})
                   for _ in range(2)]
        assert [r.status_code for r in answers] == [200, 200]
        assert all("x-convplan-cache" not in r.headers for r in answers)
