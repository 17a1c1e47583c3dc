"""Fixtures of the command-line tests: ``server`` as in tests/client (a real ``convplan serve``)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def cli_server(live_server: str) -> str:
    """The session's real server (tests/conftest.py)."""
    return live_server


@pytest.fixture(autouse=True)
def _no_env_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line runs the service in process unless a test says otherwise."""
    monkeypatch.delenv("CONVPLAN_BASE_URL", raising=False)
