"""Fixtures of the client tests.

The client package lives in ``clients/python`` and installs on its own; when
it is not installed (CI installs only the service) its source is put on
``sys.path``. ``server`` runs a real ``convplan serve`` on a free loopback
port for the whole session.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CLIENT_SRC = HERE.parents[1] / "clients" / "python" / "src"

if importlib.util.find_spec("convplan_client") is None:
    sys.path.insert(0, str(CLIENT_SRC))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def server(live_server: str) -> str:
    """Base URL of a real ``convplan serve`` on a free loopback port (tests/conftest.py)."""
    return live_server
