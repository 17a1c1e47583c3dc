"""Fixtures of the command-line tests: ``server`` as in tests/client (a real ``convplan serve``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CLIENT_TESTS = Path(__file__).resolve().parents[1] / "client"
if str(CLIENT_TESTS) not in sys.path:
    sys.path.insert(0, str(CLIENT_TESTS))

from client_helpers import free_port, start_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def cli_server() -> Iterator[str]:
    port = free_port()
    process = start_server(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(autouse=True)
def _no_env_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line runs the service in process unless a test says otherwise."""
    monkeypatch.delenv("CONVPLAN_BASE_URL", raising=False)
