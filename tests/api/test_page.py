"""GET /: the single-page tool, its assets and its security headers."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.anyio


class TestPage:
    async def test_page_and_assets_are_local_and_strict(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        html = response.text
        assert "<style" not in html and " style=" not in html and "<script>" not in html
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert urls and all(not re.match(r"^[a-z]+:|^//|^/", u) for u in urls), urls  # relative only
        for element_id in ("layers", "input-size", "template", "onnx-file", "layer-table", "diagram", "skips",
                           "valid-sizes", "receptive-fields", "error"):
            assert f'id="{element_id}"' in html
        for url in urls:
            if url.startswith("static/"):
                asset = await api_client.get("/" + url)
                assert asset.status_code == 200, url
                assert asset.headers["x-content-type-options"] == "nosniff"
                assert "http://" not in asset.text and "https://" not in asset.text

    async def test_unknown_asset_is_404(self, api_client: httpx.AsyncClient) -> None:
        assert (await api_client.get("/static/page/../../app.py")).status_code == 404
        assert (await api_client.get("/static/page/nothing.js")).status_code == 404
