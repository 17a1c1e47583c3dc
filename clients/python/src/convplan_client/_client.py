"""``Client`` (blocking) and ``AsyncClient`` (coroutines): the same methods, the same answers."""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import anyio
import httpx

from convplan_client._base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    RetryPolicy,
    body_of,
    check_op,
    parse,
    resolve_base_url,
    to_transport_error,
)
from convplan_client._errors import ConvplanError
from convplan_client._inprocess import INPROCESS_BASE_URL, Lifespan, Portal, load_app
from convplan_client._models import (
    CompareUpsamplersResult,
    ComputeResult,
    GraphResult,
    Health,
    Limits,
    ModuleCheck,
    PlanResult,
    ShapesResult,
)
from convplan_client._module_check import capture_module, module_check
from convplan_client._onnx import OnnxImportResult, onnx_request

__all__ = ["AsyncClient", "Client"]

_MOCK_BASE_URL = "http://convplan.local"
_Timeout = float | httpx.Timeout | None


def _payload(body: Any) -> dict[str, Any]:
    """httpx's arguments for a body: bytes (an uploaded model) as octet-stream, anything else as JSON."""
    if isinstance(body, bytes):
        return {"content": body, "headers": {"Content-Type": "application/octet-stream"}}
    return {"json": body}


def _headers(extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/problem+json"}
    headers.update(extra or {})
    return headers


def _timeout(value: _Timeout) -> httpx.Timeout:
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


class _Common:
    """Target resolution shared by both clients.

    - ``app=<ASGI app>``: that app, in process;
    - ``transport=<httpx transport>`` (tests: ``httpx.MockTransport``): HTTP
      through it, to ``base_url`` or a placeholder host;
    - ``base_url`` or ``$CONVPLAN_BASE_URL``: HTTP to that server;
    - otherwise the installed service, in process (``ConfigurationError``
      when it is not installed).
    """

    base_url: str
    in_process: bool

    def _resolve(self, base_url: str | httpx.URL | None, app: Any, transport: Any) -> Any:
        if app is not None:
            if base_url is not None or transport is not None:
                raise ConvplanError("pass either app (in process) or base_url/transport (HTTP), not both")
            self.base_url, self.in_process = INPROCESS_BASE_URL, True
            return app
        url = resolve_base_url(base_url)
        if url is None and transport is not None:
            url = _MOCK_BASE_URL
        if url is not None:
            self.base_url, self.in_process = url, False
            return None
        self.base_url, self.in_process = INPROCESS_BASE_URL, True
        return load_app()

    def __repr__(self) -> str:
        where = "in process" if self.in_process else self.base_url
        return f"<{type(self).__name__} {where}>"


def _shutdown_inprocess(portal: Portal, lifespan: Lifespan, http: httpx.AsyncClient) -> None:
    try:
        try:
            portal.call(lifespan.stop)
        finally:
            portal.call(http.aclose)
    finally:
        portal.close()


class Client(_Common):
    """Blocking client for the convplan API.

    ``Client("http://localhost:8000")`` talks HTTP; ``Client()`` uses
    ``$CONVPLAN_BASE_URL`` or, when unset and the service is installed, runs
    the app in process on a private event loop (works inside Jupyter).

    Every method raises ``ApiError`` (a subclass per status) when the service
    refuses the request and ``TransportError`` when no answer comes. Connect
    errors, 408, 429 and 5xx are retried ``max_retries`` times with
    exponential backoff and jitter, honouring ``Retry-After``.

    Use as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str | httpx.URL | None = None,
        *,
        timeout: _Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        headers: Mapping[str, str] | None = None,
        app: Any = None,
        transport: httpx.BaseTransport | None = None,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        self._retry = RetryPolicy(max_retries, backoff, max_backoff)
        self._closed = False
        asgi_app = self._resolve(base_url, app, transport)
        self.app = asgi_app
        self._http: httpx.Client | None = None
        self._portal: Portal | None = None
        if asgi_app is None:
            self._http = httpx.Client(
                base_url=self.base_url, timeout=_timeout(timeout), headers=_headers(headers), transport=transport
            )
            self._finalizer = weakref.finalize(self, self._http.close)
        else:
            self._lifespan = Lifespan(asgi_app)
            self._ahttp = httpx.AsyncClient(
                base_url=self.base_url,
                transport=httpx.ASGITransport(app=asgi_app, raise_app_exceptions=False),
                headers=_headers(headers),
            )
            self._portal = Portal()
            self._finalizer = weakref.finalize(self, _shutdown_inprocess, self._portal, self._lifespan, self._ahttp)

    # --- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the connection pool; in process, shut the app down (lifespan) and stop the loop."""
        if not self._closed:
            self._closed = True
            self._finalizer()

    @property
    def is_closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- transport -------------------------------------------------------

    async def _send_in_loop(self, method: str, path: str, body: Any) -> httpx.Response:
        await self._lifespan.start()
        return await self._ahttp.request(method, path, **_payload(body))

    def _send_once(self, method: str, path: str, body: Any) -> httpx.Response:
        if self._portal is not None:
            return self._portal.call(self._send_in_loop, method, path, body)
        assert self._http is not None
        return self._http.request(method, path, **_payload(body))

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Send one request (with retries) and return the final response, raising only ``TransportError``."""
        if self._closed:
            raise ConvplanError("the client is closed")
        attempt = 0
        while True:
            try:
                response = self._send_once(method, path, body)
            except httpx.TransportError as exc:
                delay = self._retry.retry_exception(exc, attempt)
                if delay is None:
                    raise to_transport_error(exc, self.base_url) from exc
            else:
                delay = self._retry.retry_response(response, attempt)
                if delay is None:
                    return response
                response.close()
            time.sleep(delay)
            attempt += 1

    # --- endpoints -------------------------------------------------------

    def health(self) -> Health:
        """``GET /v1/health``: ``status`` and ``version``."""
        return parse(self.request("GET", "/v1/health"), Health)

    def limits(self) -> Limits:
        """``GET /v1/limits``: every limit in force (``limits()["max_layers"]``)."""
        return parse(self.request("GET", "/v1/limits"), Limits)

    def shapes(
        self,
        *,
        input_size: Sequence[Any] | Any,
        layers: Sequence[Mapping[str, Any]],
        in_channels: int | str | None = None,
        symbols: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> ShapesResult:
        """``POST /v1/shapes``: every layer's output size, formula, params and MACs."""
        body = body_of(dict(input_size=input_size, layers=layers, in_channels=in_channels, symbols=symbols, **fields))
        return parse(self.request("POST", "/v1/shapes", body), ShapesResult)

    def plan(self, **fields: Any) -> PlanResult:
        """``POST /v1/plan``: an encoder/decoder stack (explicit stages or ``template=``), skips, valid sizes."""
        return parse(self.request("POST", "/v1/plan", body_of(fields)), PlanResult)

    def compute(self, op: str, /, **fields: Any) -> ComputeResult:
        """``POST /v1/compute/{op}``: tensors as nested lists or NumPy arrays; ``.to_numpy()`` on the result."""
        return parse(self.request("POST", f"/v1/compute/{check_op(op)}", body_of(fields)), ComputeResult)

    def import_onnx(self, path_or_bytes: str | os.PathLike[str] | bytes, **query: Any) -> OnnxImportResult:
        """``POST /v1/import/onnx``: a model file (path or bytes); query ``analyse``, ``align``, ``training``,
        ``input`` (a string or a list of ``[NAME:]SHAPE``)."""
        path, data = onnx_request(path_or_bytes, query)
        return parse(self.request("POST", path, data), OnnxImportResult)
    def graph(self, **fields: Any) -> GraphResult:
        """``POST /v1/graph``: any network as ``inputs`` and ``nodes``; sizes, merges, culprit, valid sizes."""
        return parse(self.request("POST", "/v1/graph", body_of(fields)), GraphResult)

    def check_module(self, module: Any, input_size: Sequence[int | str], in_channels: int, *,
                     example_size: int = 64, training: bool = False, **fields: Any) -> ModuleCheck:
        """Capture a torch ``nn.Module`` (``convplan_client.torch.capture``, needs torch) and send it to ``graph``.

        ``fields`` are added to the body (``align``, ``valid_sizes``...). The
        result carries the capture's ``guards``, ``capture_warnings`` and the
        ``body`` sent. Raises ``convplan_client.torch.UnsupportedModule``
        when the module cannot be captured.
        """
        body, captured = capture_module(module, input_size, in_channels, example_size, training, fields)
        return module_check(parse(self.request("POST", "/v1/graph", body), GraphResult), body, captured)

    def compare_upsamplers(self, **fields: Any) -> CompareUpsamplersResult:
        """``POST /v1/compare/upsamplers``: ``input`` (nested lists or a NumPy array), ``scale_factor``, and
        optionally ``methods``, ``pooled_from``, ``weight``; ``result["bilinear"].to_numpy()``."""
        return parse(self.request("POST", "/v1/compare/upsamplers", body_of(fields)), CompareUpsamplersResult)


class AsyncClient(_Common):
    """Asynchronous twin of ``Client``: the same constructor and methods, as coroutines.

    In process, the app runs on the caller's event loop; its lifespan starts
    on the first request and stops on ``aclose()`` (or ``async with``).
    """

    def __init__(
        self,
        base_url: str | httpx.URL | None = None,
        *,
        timeout: _Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        headers: Mapping[str, str] | None = None,
        app: Any = None,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        self._retry = RetryPolicy(max_retries, backoff, max_backoff)
        self._closed = False
        asgi_app = self._resolve(base_url, app, transport)
        self.app = asgi_app
        self._lifespan: Lifespan | None = None
        if asgi_app is not None:
            self._lifespan = Lifespan(asgi_app)
            transport = httpx.ASGITransport(app=asgi_app, raise_app_exceptions=False)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=_timeout(timeout),
            headers=_headers(headers),
            transport=transport,
        )
        self._start_lock = anyio.Lock()

    async def aclose(self) -> None:
        """Release the connection pool; in process, shut the app down (lifespan)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._lifespan is not None:
                await self._lifespan.stop()
        finally:
            await self._http.aclose()

    close = aclose

    @property
    def is_closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> Self:
        if self._lifespan is not None:
            async with self._start_lock:
                await self._lifespan.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Send one request (with retries) and return the final response, raising only ``TransportError``."""
        if self._closed:
            raise ConvplanError("the client is closed")
        if self._lifespan is not None and not self._lifespan.started:
            async with self._start_lock:
                await self._lifespan.start()
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, **_payload(body))
            except httpx.TransportError as exc:
                delay = self._retry.retry_exception(exc, attempt)
                if delay is None:
                    raise to_transport_error(exc, self.base_url) from exc
            else:
                delay = self._retry.retry_response(response, attempt)
                if delay is None:
                    return response
                await response.aclose()
            await anyio.sleep(delay)
            attempt += 1

    async def health(self) -> Health:
        """``GET /v1/health``: ``status`` and ``version``."""
        return parse(await self.request("GET", "/v1/health"), Health)

    async def limits(self) -> Limits:
        """``GET /v1/limits``: every limit in force."""
        return parse(await self.request("GET", "/v1/limits"), Limits)

    async def shapes(
        self,
        *,
        input_size: Sequence[Any] | Any,
        layers: Sequence[Mapping[str, Any]],
        in_channels: int | str | None = None,
        symbols: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> ShapesResult:
        """``POST /v1/shapes``: every layer's output size, formula, params and MACs."""
        body = body_of(dict(input_size=input_size, layers=layers, in_channels=in_channels, symbols=symbols, **fields))
        return parse(await self.request("POST", "/v1/shapes", body), ShapesResult)

    async def plan(self, **fields: Any) -> PlanResult:
        """``POST /v1/plan``: an encoder/decoder stack (explicit stages or ``template=``), skips, valid sizes."""
        return parse(await self.request("POST", "/v1/plan", body_of(fields)), PlanResult)

    async def compute(self, op: str, /, **fields: Any) -> ComputeResult:
        """``POST /v1/compute/{op}``: tensors as nested lists or NumPy arrays; ``.to_numpy()`` on the result."""
        return parse(await self.request("POST", f"/v1/compute/{check_op(op)}", body_of(fields)), ComputeResult)

    async def import_onnx(self, path_or_bytes: str | os.PathLike[str] | bytes, **query: Any) -> OnnxImportResult:
        """``POST /v1/import/onnx`` (see ``Client.import_onnx``)."""
        path, data = onnx_request(path_or_bytes, query)
        return parse(await self.request("POST", path, data), OnnxImportResult)
    async def graph(self, **fields: Any) -> GraphResult:
        """``POST /v1/graph``: any network as ``inputs`` and ``nodes``; sizes, merges, culprit, valid sizes."""
        return parse(await self.request("POST", "/v1/graph", body_of(fields)), GraphResult)

    async def check_module(self, module: Any, input_size: Sequence[int | str], in_channels: int, *,
                           example_size: int = 64, training: bool = False, **fields: Any) -> ModuleCheck:
        """``Client.check_module`` as a coroutine; the capture runs in a worker thread."""
        body, captured = await anyio.to_thread.run_sync(
            capture_module, module, input_size, in_channels, example_size, training, fields
        )
        return module_check(parse(await self.request("POST", "/v1/graph", body), GraphResult), body, captured)

    async def compare_upsamplers(self, **fields: Any) -> CompareUpsamplersResult:
        """``POST /v1/compare/upsamplers``: ``input`` (nested lists or a NumPy array), ``scale_factor``, and
        optionally ``methods``, ``pooled_from``, ``weight``; ``result["bilinear"].to_numpy()``."""
        return parse(await self.request("POST", "/v1/compare/upsamplers", body_of(fields)), CompareUpsamplersResult)
