"""The client against a real ``convplan serve`` on a loopback port, sync and async."""

from __future__ import annotations

import pytest
from client_helpers import closed_port, unet_chain

from convplan_client import (
    AsyncClient,
    Client,
    PayloadTooLargeError,
    TransportError,
    UnprocessableEntityError,
)


def test_sync_over_http(server: str) -> None:
    with Client(server) as c:
        assert not c.in_process
        assert c.health().status == "ok"
        assert c.limits()["max_stages"] == 32
        result = c.shapes(input_size=[572, 572], in_channels=1, layers=unet_chain())
        assert result.output_size == [388, 388]
        assert result.out_channels == 2
        with pytest.raises(UnprocessableEntityError) as info:
            c.shapes(input_size=[4], layers=[{"op": "conv", "kernel_size": 3}, {"op": "conv", "kernel_size": 3}])
        assert info.value.errors[0].loc[:3] == ["body", "layers", 1]
        assert info.value.errors[0].layer == 1
        with pytest.raises(PayloadTooLargeError):
            c.shapes(input_size=[4], layers=[{"op": "relu"}] * 300)


def test_env_var_selects_server(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVPLAN_BASE_URL", server)
    with Client() as c:
        assert c.base_url == server and not c.in_process
        assert c.health().status == "ok"


def test_body_over_the_byte_limit_is_413(server: str) -> None:
    with Client(server) as c, pytest.raises(PayloadTooLargeError) as info:
        c.shapes(input_size=[4], layers=[{"op": "relu", "pad": "x" * 8_100_000}])  # over max_body_bytes
    assert info.value.status == 413


@pytest.mark.anyio
async def test_async_over_http(server: str) -> None:
    async with AsyncClient(server) as c:
        assert (await c.health()).status == "ok"
        result = await c.shapes(input_size=[572], in_channels=1, layers=unet_chain())
        assert result.output_size == [388]
        with pytest.raises(UnprocessableEntityError) as info:
            await c.shapes(input_size=["H"], layers=[{"op": "conv", "kernel_size": "H + 1"}])
        assert info.value.status == 422


def test_transport_error_to_a_closed_port() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with Client(url, max_retries=1, backoff=0.01, timeout=2.0) as c, pytest.raises(TransportError) as info:
        c.health()
    assert url in str(info.value)


@pytest.mark.anyio
async def test_async_transport_error_to_a_closed_port() -> None:
    async with AsyncClient(f"http://127.0.0.1:{closed_port()}", max_retries=0, timeout=2.0) as c:
        with pytest.raises(TransportError):
            await c.health()
