"""The client package installed alone in a fresh virtual environment: httpx and pydantic only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = textwrap.dedent(
    """
    import importlib.util, os, sys
    import convplan_client
    from convplan_client import Client, ConfigurationError

    for name in ("numpy", "sympy", "convplan", "fastapi"):
        assert importlib.util.find_spec(name) is None, f"{name} is importable in the client-only venv"

    base_url = sys.argv[1]
    with Client(base_url) as client:
        result = client.shapes(input_size=[572], in_channels=1, layers=LAYERS)
        assert result.output_size == [388], result.output_size
    try:
        os.environ.pop("CONVPLAN_BASE_URL", None)
        Client()
    except ConfigurationError as exc:
        message = str(exc)
        assert isinstance(exc, ValueError)
        assert "base_url" in message and "CONVPLAN_BASE_URL" in message and "pip install convplan" in message
    else:
        raise AssertionError("Client() without a target did not raise")
    print("standalone ok", convplan_client.__version__)
    """
)


@pytest.mark.slow
def test_client_installs_and_works_alone(tmp_path: Path, server: str) -> None:
    from client_helpers import unet_chain

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=60)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"),
         str(ROOT / "clients" / "python")],
        capture_output=True, text=True, timeout=180,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "CONVPLAN_BASE_URL"}}
    script = f"LAYERS = {unet_chain()!r}\n{SNIPPET}"
    run = subprocess.run(
        [str(python), "-c", script, server], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "standalone ok" in run.stdout
