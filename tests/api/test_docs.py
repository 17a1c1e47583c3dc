from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import httpx
import pytest

pytestmark = pytest.mark.anyio

ASSET_URL = re.compile(r'(?:src|href|data-openapi-url)="([^"]+)"')

# What makes a browser fetch a URL from a script or stylesheet: an element's
# src set to it, fetch/XHR/importScripts of it, a CSS url() or @import. (An
# anchor's href is a link the reader may follow, not a fetch: ReDoc's footer
# links to its project page.)
FETCHED_IN_ASSET = re.compile(
    rb"""(?:\bsrc\s*[:=]\s*|\bfetch\(\s*|\bimportScripts\(\s*|\.open\(\s*["'][A-Z]+["']\s*,\s*)["'`]https?://"""
    rb"""|url\(\s*["']?https?://|@import\s+(?:url\()?\s*["']?https?://"""
)


def referenced_urls(html: str) -> list[str]:
    return ASSET_URL.findall(html)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if getattr(self, "_in_script", False) and data.strip():
            self.inline_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def csp_directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


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
        expected_types = {
            ".js": "text/javascript",
            ".css": "text/css",
            ".png": "image/png",
            ".json": "application/json",
        }
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

    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    async def test_no_inline_script_or_style(self, api_client: httpx.AsyncClient, page: str) -> None:
        parsed = parse((await api_client.get(page)).text)
        assert not parsed.inline_script
        scripts = [attrs for tag, attrs in parsed.elements if tag == "script"]
        assert scripts and all(attrs.get("src") for attrs in scripts)
        assert not any(tag == "style" or "style" in attrs for tag, attrs in parsed.elements)

    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    async def test_csp_allows_only_self(self, api_client: httpx.AsyncClient, page: str) -> None:
        response = await api_client.get(page)
        directives = csp_directives(response.headers["content-security-policy"])
        assert directives["default-src"] == ["'none'"]
        assert directives["script-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        for name, values in directives.items():
            for value in values:
                assert value in {"'self'", "'none'", "data:", "blob:"} or value.startswith("'nonce-"), (name, value)
        nonces = [v for v in directives["style-src"] if v.startswith("'nonce-")]
        if nonces:  # the nonce is per request and is the one the page's script tags carry
            assert f'nonce="{nonces[0][7:-1]}"' in response.text
            again = csp_directives((await api_client.get(page)).headers["content-security-policy"])
            assert again["style-src"] != directives["style-src"]

    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    async def test_no_asset_fetches_an_external_url(self, api_client: httpx.AsyncClient, page: str) -> None:
        html = (await api_client.get(page)).text
        assert not re.findall(r"https?://", html)
        for url in referenced_urls(html):
            body = (await api_client.get(url)).content
            assert not FETCHED_IN_ASSET.findall(body), url

    async def test_redoc_logo_is_served_locally(self, api_client: httpx.AsyncClient) -> None:
        from convplan.api.docs import REDOC_LOGO_URL

        bundle = (await api_client.get("/static/docs/redoc.standalone.js")).content
        assert REDOC_LOGO_URL.encode() not in bundle
        logo = await api_client.get("/static/docs-own/redoc-logo-mini.svg")
        assert logo.status_code == 200
        assert logo.headers["content-type"].startswith("image/svg+xml")
        assert b"(document.currentScript||{}).nonce" in bundle  # the load-time styles get the nonce

    async def test_openapi_json_is_served(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.get("/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["info"]["title"] == "convplan"
        assert "/v1/health" in schema["paths"]

    async def test_docs_pages_are_not_in_the_schema(self, api_client: httpx.AsyncClient) -> None:
        paths = (await api_client.get("/openapi.json")).json()["paths"]
        assert not {"/docs", "/redoc"} & set(paths)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs a headless chromium")
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_pages_render_in_chromium_without_csp_violations(live_server: str, page: str) -> None:
    """The browser's own word: the page renders and the CSP blocked nothing (an
    external fetch would be a violation too, since the CSP admits only self)."""
    done = subprocess.run(
        [
            "chromium",
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=8000",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            live_server + page,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Content Security Policy" not in done.stderr
    marker = "opblock-tag" if page == "/docs" else "api-content"
    assert marker in done.stdout
