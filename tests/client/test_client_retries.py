"""Retries and transport failures, with ``httpx.MockTransport`` (no network)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import convplan_client._client as client_module
from convplan_client import (
    AsyncClient,
    BadRequestError,
    Client,
    InternalServerError,
    RateLimitError,
    RequestTimeoutError,
    TransportError,
    UnprocessableEntityError,
)

HEALTH = {"status": "ok", "version": "1"}
PROBLEM_422 = {
    "type": "https://convplan.dev/problems/invalid-request",
    "title": "Invalid request",
    "status": 422,
    "detail": "bad",
    "errors": [{"loc": ["body", "layers", 0, "kernel_size"], "msg": "missing", "type": "missing"}],
}


def scripted(*answers: Any) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that gives the answers in order (an exception is raised), recording requests."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), seen


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", recorded.append)
    return recorded


def test_5xx_is_retried_then_succeeds(sleeps: list[float]) -> None:
    transport, seen = scripted(httpx.Response(503), httpx.Response(502), httpx.Response(200, json=HEALTH))
    with Client(transport=transport, max_retries=2, backoff=0.5) as c:
        assert c.health().status == "ok"
    assert len(seen) == 3
    # exponential with jitter in [0.75, 1]: 0.5 * 2**attempt
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0


def test_5xx_gives_up_after_max_retries(sleeps: list[float]) -> None:
    problem = {"type": "about:blank", "title": "Internal Server Error", "status": 500, "detail": "boom"}
    transport, seen = scripted(httpx.Response(500, json=problem))
    with Client(transport=transport, max_retries=3) as c, pytest.raises(InternalServerError) as info:
        c.health()
    assert len(seen) == 4 and len(sleeps) == 3
    assert info.value.status == 500 and info.value.detail == "boom"


def test_backoff_is_capped(sleeps: list[float]) -> None:
    transport, _ = scripted(httpx.Response(503))
    with Client(transport=transport, max_retries=6, backoff=1.0, max_backoff=2.0) as c, pytest.raises(
        InternalServerError
    ):
        c.health()
    assert max(sleeps) <= 2.0


@pytest.mark.parametrize("status", [400, 404, 413, 415, 422])
def test_4xx_is_never_retried(status: int, sleeps: list[float]) -> None:
    transport, seen = scripted(httpx.Response(status, json={**PROBLEM_422, "status": status}))
    with Client(transport=transport, max_retries=5) as c, pytest.raises(Exception) as info:
        c.shapes(input_size=[1], layers=[])
    assert len(seen) == 1 and sleeps == []
    assert info.value.status == status  # type: ignore[attr-defined]


def test_error_classes_and_fields() -> None:
    transport, _ = scripted(httpx.Response(422, json=PROBLEM_422))
    with Client(transport=transport) as c, pytest.raises(UnprocessableEntityError) as info:
        c.shapes(input_size=[1], layers=[{"op": "conv"}])
    err = info.value
    assert (err.status, err.type, err.title, err.detail) == (422, PROBLEM_422["type"], "Invalid request", "bad")
    assert err.errors[0].loc == ["body", "layers", 0, "kernel_size"]
    assert "body.layers.0.kernel_size: missing" in str(err)
    transport, _ = scripted(httpx.Response(400, text="<html>nope</html>"))
    with Client(transport=transport) as c, pytest.raises(BadRequestError) as bad:
        c.health()
    assert bad.value.status == 400 and "nope" in bad.value.detail


def test_429_honours_retry_after(sleeps: list[float]) -> None:
    transport, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(429, headers={"retry-after-ms": "250"}),
        httpx.Response(200, json=HEALTH),
    )
    with Client(transport=transport, max_retries=2) as c:
        c.health()
    assert sleeps == [3.0, 0.25] and len(seen) == 3


def test_429_gives_rate_limit_error(sleeps: list[float]) -> None:
    transport, _ = scripted(httpx.Response(429, headers={"Retry-After": "1000"}))  # too long: backoff instead
    with Client(transport=transport, max_retries=1, backoff=0.1) as c, pytest.raises(RateLimitError):
        c.health()
    assert len(sleeps) == 1 and sleeps[0] <= 0.1


def test_connect_errors_are_retried(sleeps: list[float]) -> None:
    transport, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, json=HEALTH))
    with Client(transport=transport, max_retries=1) as c:
        assert c.health().version == "1"
    assert len(seen) == 2


def test_transport_errors_after_retries(sleeps: list[float]) -> None:
    transport, seen = scripted(httpx.ConnectError("refused"))
    with Client(transport=transport, max_retries=2) as c, pytest.raises(TransportError) as info:
        c.health()
    assert len(seen) == 3
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_read_timeout_is_not_retried(sleeps: list[float]) -> None:
    transport, seen = scripted(httpx.ReadTimeout("slow"))
    with Client(transport=transport, max_retries=2) as c, pytest.raises(RequestTimeoutError):
        c.health()
    assert len(seen) == 1


@pytest.mark.anyio
async def test_async_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(client_module.anyio, "sleep", fake_sleep)
    seen: list[httpx.Request] = []
    answers = [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=HEALTH)]

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    async with AsyncClient(transport=httpx.MockTransport(handler), max_retries=2, backoff=0.01) as c:
        assert (await c.health()).status == "ok"
    assert len(seen) == 3 and delays[1] == 2.0 and delays[0] <= 0.01

    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    async with AsyncClient(transport=httpx.MockTransport(refuse), max_retries=0) as c:
        with pytest.raises(TransportError):
            await c.health()


def test_requests_carry_json_and_user_agent() -> None:
    transport, seen = scripted(httpx.Response(200, json={"output_size": [1], "layers": []}))
    with Client(transport=transport) as c:
        c.shapes(input_size=(4,), layers=[{"op": "relu"}], in_channels=None, symbols=None)
    request = seen[0]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("convplan-client/")
    import json

    assert json.loads(request.content) == {"input_size": [4], "layers": [{"op": "relu"}]}
