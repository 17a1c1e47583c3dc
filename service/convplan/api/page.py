"""``GET /``: the single-page tool (``convplan/web``), served from package data.

Strict headers: a Content-Security-Policy of 'self' only (no inline script
or style, no other origin, no frames), so the page can call nothing but
this service's public API; ``nosniff``; no caching surprises for the assets.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, HTTPException
from starlette.responses import Response

__all__ = ["PAGE_ASSETS_URL", "SECURITY_HEADERS", "install_page"]

PAGE_ASSETS_URL = "/static/page"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_ASSETS = {"app.js": "text/javascript", "explain.js": "text/javascript", "layers.js": "text/javascript",
           "style.css": "text/css"}


def _read(name: str) -> bytes:
    return resources.files("convplan.web").joinpath(name).read_bytes()


def install_page(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return Response(_read("index.html"), media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    @app.get(PAGE_ASSETS_URL + "/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        media_type = _ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, "Not Found")
        return Response(_read(name), media_type=f"{media_type}; charset=utf-8", headers=SECURITY_HEADERS)
