from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.anyio

ASSET_URL = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|url: '([^']+)'""")


def referenced_urls(html: str) -> list[str]:
    return [a or b for a, b in ASSET_URL.findall(html)]


class TestDocs:
    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    async def test_page_references_only_local_assets(self, api_client: httpx.AsyncClient, page: str) -> None:
        response = await api_client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        urls = referenced_urls(response.text)
        assert "/openapi.json" in urls
        assert len(urls) >= 3
        for url in urls:
            assert url.startswith("/"), url
            assert not url.startswith("//"), url
        assert "http://" not in response.text and "https://" not in response.text

    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    async def test_referenced_assets_are_served(self, api_client: httpx.AsyncClient, page: str) -> None:
        html = (await api_client.get(page)).text
        expected_types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}
        for url in referenced_urls(html):
            asset = await api_client.get(url)
            assert asset.status_code == 200, url
            suffix = url[url.rfind(".") :]
            assert asset.headers["content-type"].startswith(expected_types[suffix]), (url, asset.headers)
            assert len(asset.content) > 0

    async def test_swagger_ui_is_version_5(self, api_client: httpx.AsyncClient) -> None:
        html = (await api_client.get("/docs")).text
        bundle = next(u for u in referenced_urls(html) if u.endswith("swagger-ui-bundle.js"))
        js = (await api_client.get(bundle)).text
        assert re.search(r'"5\.\d+\.\d+"', js), "expected the Swagger UI 5 bundle"

    async def test_openapi_json_is_served(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.get("/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["info"]["title"] == "convplan"
        assert "/v1/health" in schema["paths"]

    async def test_docs_pages_are_not_in_the_schema(self, api_client: httpx.AsyncClient) -> None:
        paths = (await api_client.get("/openapi.json")).json()["paths"]
        assert not {"/docs", "/redoc"} & set(paths)
