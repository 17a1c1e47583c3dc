"""Fixtures of the client tests.

The client package lives in ``clients/python`` and installs on its own; when
it is not installed (CI installs only the service) its source is put on
``sys.path``. ``server`` runs a real ``convplan serve`` on a free loopback
port for the whole session.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CLIENT_SRC = HERE.parents[1] / "clients" / "python" / "src"

if importlib.util.find_spec("convplan_client") is None:
    sys.path.insert(0, str(CLIENT_SRC))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from client_helpers import free_port, start_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of a real ``convplan serve`` on a free loopback port."""
    port = free_port()
    process = start_server(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)
