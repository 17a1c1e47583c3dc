"""Shared test configuration.

Async tests: ``@pytest.mark.anyio`` (asyncio only). HTTP tests use
``api_client``: an ``httpx.AsyncClient`` over the in-process ASGI app (no
server, no socket), built with default settings whatever the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

    from convplan.settings import Settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def default_settings() -> Settings:
    from convplan.settings import Settings

    return Settings.model_construct()  # defaults only: ignores CONVPLAN_* variables


@pytest.fixture
def api_app(default_settings: Settings) -> Iterator[FastAPI]:
    from convplan.api.symbolic import close_symbolic_pool
    from convplan.app import create_app

    app = create_app(default_settings)
    yield app
    close_symbolic_pool(app)  # the ASGI transport runs no lifespan: stop any symbolic workers


@pytest.fixture
async def api_client(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    import httpx

    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of one real ``convplan serve`` on a free loopback port, shared by the
    client and command-line tests for the whole session."""
    from tests.client.client_helpers import free_port, start_server, stop_server

    port = free_port()
    process = start_server(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)
