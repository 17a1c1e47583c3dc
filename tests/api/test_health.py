from __future__ import annotations

import httpx
import pytest

import convplan

pytestmark = pytest.mark.anyio


class TestHealth:
    async def test_ok_with_version(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.get("/v1/health")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"status": "ok", "version": convplan.__version__}

    async def test_package_import_stays_light(self) -> None:
        # convplan/__init__ must not import FastAPI, NumPy or SymPy.
        import subprocess
        import sys

        code = (
            "import sys, convplan; "
            "heavy = [m for m in ('fastapi', 'numpy', 'sympy') if m in sys.modules]; "
            "print(','.join(heavy))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == ""
