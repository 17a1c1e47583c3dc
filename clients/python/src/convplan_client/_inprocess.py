"""Running the service's ASGI app in process: no server, no socket.

- ``load_app()`` builds the app from the installed service
  (``convplan.app.create_app()``), or raises ``ConfigurationError``.
- ``Lifespan`` drives the ASGI lifespan protocol (startup on first use,
  shutdown on close) from a background task of the loop that serves the app.
- ``Portal`` is a private event loop in a daemon thread. The sync client
  sends its requests there (httpx's ``ASGITransport`` is async-only), the way
  Starlette's ``TestClient`` uses an anyio blocking portal. Because the loop
  lives in its own thread, the sync client also works where the calling
  thread already runs a loop (Jupyter, ``asyncio.run``). The thread is a
  daemon so a client that is never closed cannot hang interpreter exit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import importlib.util
import math
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

from convplan_client._errors import ConfigurationError, ConvplanError

__all__ = ["INPROCESS_BASE_URL", "Lifespan", "Portal", "load_app", "service_installed"]

T = TypeVar("T")

INPROCESS_BASE_URL = "http://convplan.inprocess"

NO_TARGET_MESSAGE = (
    "convplan_client has nowhere to send requests: pass base_url='http://host:port' "
    "(or set CONVPLAN_BASE_URL) to use a convplan server, or `pip install convplan` "
    "to run the service in process"
)


def service_installed() -> bool:
    """True when ``import convplan.app`` can work (the service package is installed)."""
    try:
        return importlib.util.find_spec("convplan") is not None and (
            importlib.util.find_spec("convplan.app") is not None
        )
    except (ImportError, ValueError):
        return False


def load_app() -> Any:
    """A fresh ASGI app from the installed service, or ``ConfigurationError``.

    The app starts its symbolic workers on demand, not at start-up: a worker
    still starting when a short script exits would be left behind, and print a
    broken-pipe traceback when it found its parent gone. Workers started on
    demand are idle by ``close()``, which stops them.
    """
    if not service_installed():
        raise ConfigurationError(NO_TARGET_MESSAGE)
    module = importlib.import_module("convplan.app")
    factory = getattr(module, "create_app", None)
    if not callable(factory):
        return module.app
    settings = importlib.import_module("convplan.settings").get_settings()
    if "symbolic_warm_up" in type(settings).model_fields:
        return factory(settings.model_copy(update={"symbolic_warm_up": False}))
    return factory()  # an older service: no such setting


class Lifespan:
    """The ASGI lifespan of one app: ``await start()`` once, ``await stop()`` on close.

    The app's lifespan coroutine runs as a background task of the current
    asyncio loop. Apps that do not support lifespan (they raise on the
    ``lifespan`` scope before completing startup) are served without one, as
    ASGI servers do. Under a non-asyncio loop (trio) the lifespan is skipped.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._started = False
        self._supported = False
        self._task: asyncio.Task[None] | None = None
        self._to_app: Any = None
        self._from_app: Any = None

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio: serve without a lifespan
            return
        to_app_send, to_app_recv = anyio.create_memory_object_stream[dict[str, Any]](math.inf)
        from_app_send, from_app_recv = anyio.create_memory_object_stream[dict[str, Any]](math.inf)
        self._to_app, self._from_app = to_app_send, from_app_recv
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}

        async def run() -> None:
            try:
                await self._app(scope, to_app_recv.receive, from_app_send.send)
            except BaseException as exc:
                from_app_send.send_nowait({"type": "_error", "exc": exc})
                if not isinstance(exc, Exception):
                    raise
            finally:
                from_app_send.send_nowait({"type": "_done"})
                from_app_send.close()
                to_app_recv.close()

        self._task = loop.create_task(run(), name="convplan-lifespan")
        await to_app_send.send({"type": "lifespan.startup"})
        message = await from_app_recv.receive()
        if message["type"] == "lifespan.startup.failed":
            raise ConvplanError(f"the in-process app failed to start: {message.get('message', '')}")
        self._supported = message["type"] == "lifespan.startup.complete"

    async def stop(self) -> None:
        if self._task is None:
            return
        task, self._task = self._task, None
        try:
            if self._supported:
                self._supported = False
                await self._to_app.send({"type": "lifespan.shutdown"})
                while True:
                    message = await self._from_app.receive()
                    if message["type"] == "lifespan.shutdown.failed":
                        raise ConvplanError(f"the in-process app failed to stop: {message.get('message', '')}")
                    if message["type"] in {"lifespan.shutdown.complete", "_done"}:
                        break
            await task
        finally:
            self._to_app.close()
            self._from_app.close()


class Portal:
    """An asyncio event loop in a daemon thread; ``call`` runs a coroutine function there and waits."""

    def __init__(self) -> None:
        ready: concurrent.futures.Future[BlockingPortal] = concurrent.futures.Future()

        async def serve() -> None:
            async with BlockingPortal() as portal:
                ready.set_result(portal)
                await portal.sleep_until_stopped()

        def main() -> None:
            try:
                anyio.run(serve, backend="asyncio")
            except BaseException as exc:
                if not ready.done():
                    ready.set_exception(exc)

        self._thread = threading.Thread(target=main, name="convplan-client-loop", daemon=True)
        self._thread.start()
        self._portal = ready.result(timeout=30)
        self._closed = False

    def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("Portal.call from the portal's own thread would deadlock")
        return self._portal.call(func, *args)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(RuntimeError):  # the loop is already gone (interpreter shutdown)
            self._portal.call(self._portal.stop)
        self._thread.join(timeout=10)
