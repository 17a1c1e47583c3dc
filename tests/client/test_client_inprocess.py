"""The client against the app in process (no server, no socket), sync and async."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio.to_thread
import httpx
import pytest
from client_helpers import has_route, unet_chain, wait_symbolic_warm

import convplan_client
from convplan_client import (
    ApiError,
    AsyncClient,
    Client,
    ConfigurationError,
    NotFoundError,
    PayloadTooLargeError,
    ShapesResult,
    UnprocessableEntityError,
)

U_NET_ENCODER = [
    {"op": "conv", "kernel_size": 3, "out_channels": 64},
    {"op": "conv", "kernel_size": 3, "out_channels": 64},
    {"op": "max_pool", "kernel_size": 2},
]


@pytest.fixture(scope="module")
def inprocess_app() -> Any:
    from convplan.app import create_app
    from convplan.settings import Settings

    return create_app(Settings.model_construct())


@pytest.fixture(scope="module")
def client(inprocess_app: Any) -> Any:
    """One in-process client for the module: its lifespan warms symbolic workers once."""
    with Client(app=inprocess_app) as c:
        yield c
        wait_symbolic_warm(inprocess_app)


def test_health_and_limits(client: Client) -> None:
    health = client.health()
    assert health.status == "ok"
    assert health.version
    limits = client.limits()
    assert limits["max_layers"] == 256
    assert limits.as_dict()["max_body_bytes"] == 8_000_000


def test_shapes_returns_typed_model(client: Client) -> None:
    result = client.shapes(input_size=[572, 572], in_channels=1, layers=U_NET_ENCODER)
    assert isinstance(result, ShapesResult)
    assert result.output_size == [284, 284]
    assert result.out_channels == 64
    assert [layer.output_size for layer in result.layers] == [[570, 570], [568, 568], [284, 284]]
    assert result.layers[0].params == 64 * 1 * 9 + 64
    assert result.layers[2].op == "max_pool"
    assert result.layers[0].padding_resolved == [[0, 0], [0, 0]]


def test_shapes_unet_chain_gives_388(client: Client) -> None:
    assert client.shapes(input_size=[572], in_channels=1, layers=unet_chain()).output_size == [388]


def test_symbolic_shapes(client: Client) -> None:
    result = client.shapes(input_size=["16*n"], layers=[{"op": "conv", "kernel_size": 3}])
    (size,) = result.output_size
    assert isinstance(size, str)
    # The text is the printer's; send it back and check it evaluates as 16*n - 2 would.
    again = client.shapes(input_size=[size], symbols={"n": {"min": 1}}, layers=[{"op": "identity"}])
    assert isinstance(again.output_size[0], str)


def test_unknown_fields_are_kept(api_app: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "ok", "version": "9", "build": {"sha": "abc"}})

    with Client(transport=httpx.MockTransport(handler)) as c:
        health = c.health()
    assert health.build == {"sha": "abc"}  # type: ignore[attr-defined]
    assert health.to_dict()["build"] == {"sha": "abc"}


def test_422_carries_loc_layer_and_partial_layers(client: Client) -> None:
    layers = [*U_NET_ENCODER, {"op": "conv", "kernel_size": 3, "padding": [0, 7]}]
    with pytest.raises(UnprocessableEntityError) as info:
        client.shapes(input_size=[8, 8], layers=layers)
    err = info.value
    assert isinstance(err, ApiError)
    assert err.status == 422
    assert err.type.startswith("https://")
    assert err.title and err.detail
    assert err.errors and err.errors[0].loc[:3] == ["body", "layers", 3]
    assert str(err).startswith("422 ")


def test_422_from_schema_validation(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError) as info:
        client.shapes(input_size=[10], layers=[{"op": "conv"}])
    assert any(item.loc[:3] == ["body", "layers", 0] for item in info.value.errors)


def test_413_too_many_layers(client: Client) -> None:
    with pytest.raises(PayloadTooLargeError) as info:
        client.shapes(input_size=[10], layers=[{"op": "relu"}] * 257)
    assert info.value.status == 413


def test_404_unknown_compute_op(client: Client) -> None:
    with pytest.raises(NotFoundError) as info:
        client.compute("no_such_op", input=[[[1.0]]])
    assert info.value.status == 404


def test_numpy_values_are_accepted(client: Client) -> None:
    np = pytest.importorskip("numpy")
    result = client.shapes(
        input_size=np.array([572, 572]),
        in_channels=np.int64(1),
        layers=[{"op": "conv", "kernel_size": np.int32(3), "stride": (1, 1)}],
    )
    assert result.output_size == [570, 570]


def test_sync_client_inside_running_event_loop(api_app: Any) -> None:
    """Jupyter runs a loop in the calling thread: the sync client must still work there."""

    async def main() -> list[int | str]:
        with Client(app=api_app) as c:
            size = c.shapes(input_size=[572], layers=U_NET_ENCODER).output_size
            wait_symbolic_warm(api_app)
            return size

    assert asyncio.run(main()) == [284]


def test_default_client_runs_the_installed_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVPLAN_BASE_URL", raising=False)
    with Client() as c:
        assert c.in_process
        assert c.health().status == "ok"
        wait_symbolic_warm(c.app)


def test_env_base_url_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"status": "ok", "version": "x"})

    monkeypatch.setenv("CONVPLAN_BASE_URL", "http://example.test:9000/api/")
    with Client(transport=httpx.MockTransport(handler)) as c:
        assert not c.in_process
        c.health()
    assert seen == ["http://example.test:9000/api/v1/health"]


def test_no_target_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVPLAN_BASE_URL", raising=False)
    monkeypatch.setattr(convplan_client._inprocess, "service_installed", lambda: False)
    for cls in (Client, AsyncClient):
        with pytest.raises(ConfigurationError) as info:
            cls()
        assert isinstance(info.value, ValueError)
        message = str(info.value)
        assert "base_url" in message and "CONVPLAN_BASE_URL" in message and "pip install convplan" in message


def test_closed_client_refuses(api_app: Any) -> None:
    c = Client(app=api_app)  # never used: the lifespan does not start
    c.close()
    c.close()  # idempotent
    assert c.is_closed
    with pytest.raises(convplan_client.ConvplanError):
        c.health()


def _lifespan_app() -> tuple[Any, dict[str, int]]:
    """A bare ASGI app that counts lifespan events and answers /v1/health."""
    events = {"startup": 0, "shutdown": 0}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    events["startup"] += 1
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    events["shutdown"] += 1
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b'{"status": "ok", "version": "test"}'
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return app, events


def test_sync_inprocess_runs_lifespan() -> None:
    app, events = _lifespan_app()
    threads_before = threading.active_count()
    with Client(app=app) as c:
        assert events == {"startup": 0, "shutdown": 0}
        c.health()
        c.health()
        assert events == {"startup": 1, "shutdown": 0}
    assert events == {"startup": 1, "shutdown": 1}
    assert threading.active_count() <= threads_before  # the private loop's thread is gone


@pytest.mark.anyio
async def test_async_inprocess_runs_lifespan() -> None:
    app, events = _lifespan_app()
    async with AsyncClient(app=app) as c:
        assert events["startup"] == 1
        assert (await c.health()).version == "test"
    assert events == {"startup": 1, "shutdown": 1}
    # Without the context manager: started on the first request, stopped by aclose().
    app, events = _lifespan_app()
    c = AsyncClient(app=app)
    await c.health()
    assert events == {"startup": 1, "shutdown": 0}
    await c.aclose()
    assert events == {"startup": 1, "shutdown": 1}


@pytest.mark.anyio
async def test_async_client_in_process(api_app: Any) -> None:
    async with AsyncClient(app=api_app) as c:
        await anyio.to_thread.run_sync(wait_symbolic_warm, api_app)
        assert (await c.health()).status == "ok"
        result = await c.shapes(input_size=[572], in_channels=1, layers=U_NET_ENCODER)
        assert result.output_size == [284]
        with pytest.raises(UnprocessableEntityError) as info:
            await c.shapes(input_size=[2], layers=U_NET_ENCODER)
        assert info.value.errors[0].loc[:2] == ["body", "layers"]
        with pytest.raises(PayloadTooLargeError):
            await c.shapes(input_size=[10], layers=[{"op": "relu"}] * 257)


def test_compute_with_numpy(client: Client, inprocess_app: Any) -> None:
    if not has_route(inprocess_app, "/v1/compute/{op}"):
        pytest.skip("POST /v1/compute/{op} has not landed yet")
    np = pytest.importorskip("numpy")
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    result = client.compute("max_pool", input=x, kernel_size=2)
    assert result.shape == [1, 1, 2, 2]
    out = result.to_numpy()
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.array([[[[5.0, 7.0], [13.0, 15.0]]]]))
    assert result.to_numpy("indices").dtype == np.int64


def test_plan_unet(client: Client, inprocess_app: Any) -> None:
    if not has_route(inprocess_app, "/v1/plan"):
        pytest.skip("POST /v1/plan has not landed yet")
    result = client.plan(input_size=[572], in_channels=1, template={"name": "unet", "depth": 4})
    assert result.ok
    assert result.output_size == [388]
    assert len(result.skips) == 4
    assert all(skip.registered for skip in result.skips)


def test_compare_upsamplers_with_numpy(client: Client) -> None:
    np = pytest.importorskip("numpy")
    result = client.compare_upsamplers(input=np.array([[[1.0, 2.0, 4.0]]]), scale_factor=2,
                                       methods=["bilinear", "conv_transpose"])
    assert list(result.methods) == ["bilinear", "conv_transpose"]
    np.testing.assert_array_equal(result["bilinear"].to_numpy(), [[[1, 1.25, 1.75, 2.5, 3.5, 4]]])
    convt = result["conv_transpose"]
    assert convt.to_numpy("coverage").dtype == np.int64
    assert convt.overlap is not None and convt.overlap[0].uniform and convt.overlap[0].taps == [[1, 3], [0, 2]]
    with pytest.raises(UnprocessableEntityError) as info:
        client.compare_upsamplers(input=[[[1, 2]]], scale_factor=2, methods=["bicubic"])
    assert info.value.errors[0].loc == ["body", "methods", 0]


@pytest.mark.anyio
async def test_async_compare_upsamplers(api_app: Any) -> None:
    async with AsyncClient(app=api_app) as c:
        result = await c.compare_upsamplers(input=[[[5, 4]]], scale_factor=2, pooled_from=[[[1, 5, 4, 2]]],
                                            methods=["max_unpool"])
        assert result["max_unpool"].output == [[[0, 5, 4, 0]]]
        assert result.warnings == []
