"""The JSON-body routes called under the body guard (api/direct_routes.py) answer exactly as through FastAPI's
router: the same status, headers and bytes for answers, refusals, validation errors and bugs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from convplan.api import direct_routes
from convplan.api.symbolic import close_symbolic_pool
from convplan.app import create_app
from convplan.settings import Settings

pytestmark = pytest.mark.anyio

CONV = {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 8}
REQUESTS: list[tuple[str, str, Any]] = [
    ("POST", "/v1/shapes", {"input_size": [64, 64], "in_channels": 3,
                            "layers": [CONV, {"op": "max_pool", "kernel_size": 2}]}),
    ("POST", "/v1/shapes", {"input_size": [8], "layers": [{"op": "conv", "kernel_size": 9}]}),  # refused: 422
    ("POST", "/v1/shapes", {"input_size": [8], "layers": [{"op": "conv", "kernel_size": True}]}),  # schema: 422
    ("POST", "/v1/shapes", {"input_size": ["H"], "layers": [CONV]}),  # symbolic: a worker answers
    ("POST", "/v1/shapes", [1, 2]),  # not an object
    ("POST", "/v1/plan", {"input_size": [572, 572], "in_channels": 1, "template": {"name": "unet", "depth": 2}}),
    ("POST", "/v1/plan?format=svg", {"input_size": [572, 572], "in_channels": 1,
                                     "template": {"name": "unet", "depth": 2}}),
    ("POST", "/v1/graph", {"inputs": [{"name": "x", "size": [32, 32]}],
                           "nodes": [{"id": "c", "op": "conv", "kernel_size": 3, "inputs": ["x"]}]}),
    ("POST", "/v1/compare/upsamplers", {"input": [[[1, 2, 4]]], "scale_factor": 2}),
    ("GET", "/v1/shapes", None),  # 405
]


def _uncached() -> Settings:
    return Settings.model_construct(response_cache_bytes=0)


@pytest.fixture
async def clients() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    direct, routed = create_app(_uncached()), create_app(_uncached())
    # The second app without the middleware (its stack is built at the first request): FastAPI's router answers.
    routed.user_middleware = [m for m in routed.user_middleware if m.cls is not direct_routes.DirectRoutesMiddleware]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=direct, raise_app_exceptions=False),
                                 base_url="http://t") as a, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=routed, raise_app_exceptions=False),
                              base_url="http://t") as b:
        yield a, b
    for app in (direct, routed):
        close_symbolic_pool(app)


def _sent(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.content


class TestDirectRoutes:
    @pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
    async def test_the_answer_is_the_routers(self, clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
                                             method: str, path: str, body: Any) -> None:
        direct, routed = clients
        answers = [await c.request(method, path, json=body) for c in (direct, routed)]
        assert answers[0].status_code != 500
        assert _sent(answers[0]) == _sent(answers[1])

    async def test_a_bug_is_the_500_problem_document(self, clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        from convplan.api.routes import shapes

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug slipped through")

        monkeypatch.setattr(shapes, "run_shapes", broken)
        direct, routed = clients
        answers = [await c.post("/v1/shapes", json={"input_size": [8], "layers": [CONV]}) for c in (direct, routed)]
        assert answers[0].status_code == 500 and answers[0].headers["content-type"] == "application/problem+json"
        assert _sent(answers[0]) == _sent(answers[1])

    def test_the_json_body_routes_are_called_directly(self) -> None:
        from convplan.api.routes import load_routers

        assert sorted(direct_routes.direct_handlers(load_routers())) == [
            ("POST", "/v1/compare/upsamplers"), ("POST", "/v1/graph"), ("POST", "/v1/plan"), ("POST", "/v1/shapes")]
