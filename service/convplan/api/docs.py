"""Offline API docs: Swagger UI 5 and ReDoc with assets served by the service.

The bundles come from the installed ``fastapi_offline`` package (a declared,
pinned dependency); the pages, their start-up scripts and stylesheet are
ours (``docs_assets/``). Nothing on either page leaves the origin, and a
strict CSP says so to the browser:

- scripts from ``'self'`` only: FastAPI's pages start Swagger UI with an
  inline script, so ours load ``swagger-init.js`` / ``redoc-init.js``;
- styles from ``'self'``, plus, on ``/redoc``, the ``<style>`` elements that
  ReDoc inserts, which carry the page's per-request nonce: styled-components
  take ReDoc's ``nonce`` option, and the CSS its bundle injects as it loads
  takes webpack's nonce, which the served bundle reads from its own script
  tag (one patched statement); Swagger UI sets styles through the CSSOM only;
- workers from ``blob:`` (ReDoc's search index runs in a worker it builds
  from its own code; no request);
- images from ``'self'`` and ``data:`` (icons inlined in the stylesheets; no
  request);
- ReDoc's footer logo is an ``<img>`` of ``https://cdn.redoc.ly/...``: the
  bundle is served with that URL replaced by our local copy's.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

__all__ = ["DOCS_ASSETS_URL", "REDOC_LOGO_URL", "docs_csp", "install_docs"]

DOCS_ASSETS_URL = "/static/docs"
_BUNDLES_DIR = Path(fastapi_offline.__file__).parent / "static"
_OWN_DIR = Path(__file__).parent / "docs_assets"
OWN_ASSETS_URL = "/static/docs-own"

#: The external logo the ReDoc bundle would fetch, and what replaces it.
REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_LOCAL_LOGO = f"{OWN_ASSETS_URL}/redoc-logo-mini.svg"
# webpack's nonce for the style tags the bundle inserts at load time (its runtime's ``__webpack_nonce__``).
_WEBPACK_NONCE = b"n.nc=void 0;"
_WEBPACK_NONCE_FROM_TAG = b"n.nc=(document.currentScript||{}).nonce||void 0;"


def docs_csp(nonce: str | None = None) -> str:
    styles = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return (
        "default-src 'none'; script-src 'self'; worker-src blob:; connect-src 'self'; img-src 'self' data:; "
        "font-src 'self'; "
        f"style-src {styles}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    # A new bundle without these statements is caught by tests/api/test_docs.py (external URL, CSP).
    bundle = (_BUNDLES_DIR / "redoc.standalone.js").read_bytes()
    return bundle.replace(REDOC_LOGO_URL.encode(), _LOCAL_LOGO.encode()).replace(
        _WEBPACK_NONCE, _WEBPACK_NONCE_FROM_TAG, 1
    )


def _page(title: str, head: str, body: str, *, nonce: str | None = None) -> HTMLResponse:
    html = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_csp(nonce)})


def install_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Mount the assets and add the two pages (the app is built with docs_url=None)."""
    openapi_url = app.openapi_url or "/openapi.json"

    # Before the mount: this path is served patched, not from the directory.
    @app.get(f"{DOCS_ASSETS_URL}/redoc.standalone.js", include_in_schema=False)
    async def redoc_bundle() -> Response:
        return Response(_redoc_bundle(), media_type="text/javascript; charset=utf-8")

    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=_BUNDLES_DIR), name="docs-assets")
    app.mount(OWN_ASSETS_URL, StaticFiles(directory=_OWN_DIR), name="docs-own-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = escape(request.scope.get("root_path", ""))
        return _page(
            f"{app.title} - Swagger UI",
            f'<link rel="stylesheet" href="{root}{DOCS_ASSETS_URL}/swagger-ui.css">\n'
            f'<link rel="icon" href="{root}{DOCS_ASSETS_URL}/favicon.png">',
            f'<div id="swagger-ui" data-openapi-url="{root}{openapi_url}"></div>\n'
            f'<script src="{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js"></script>\n'
            f'<script src="{root}{OWN_ASSETS_URL}/swagger-init.js"></script>',
        )

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = escape(request.scope.get("root_path", ""))
        nonce = secrets.token_urlsafe(16)
        return _page(
            f"{app.title} - ReDoc",
            f'<link rel="stylesheet" href="{root}{OWN_ASSETS_URL}/docs.css">\n'
            f'<link rel="icon" href="{root}{DOCS_ASSETS_URL}/favicon.png">',
            "<noscript>ReDoc needs JavaScript to show the documentation.</noscript>\n"
            f'<div id="redoc" data-openapi-url="{root}{openapi_url}"></div>\n'
            f'<script nonce="{nonce}" src="{root}{DOCS_ASSETS_URL}/redoc.standalone.js"></script>\n'
            f'<script nonce="{nonce}" src="{root}{OWN_ASSETS_URL}/redoc-init.js"></script>',
            nonce=nonce,
        )
