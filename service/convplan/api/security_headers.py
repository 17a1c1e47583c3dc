"""Security headers on every response, as a pure ASGI middleware (outermost, so
refusals from the body guard and the exception handlers carry them too).

The API answers JSON, never a page to render: its CSP forbids everything
(``default-src 'none'``). A response that sets its own
``Content-Security-Policy`` (the docs pages) keeps it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "SECURITY_HEADERS", "SecurityHeadersMiddleware"]

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # older browsers; CSP frame-ancestors for the rest
}


#: The headers as ASGI sends them (lower-case names, bytes), the CSP last.
_ENCODED = tuple((name.lower().encode("latin-1"), value.encode("latin-1"))
                 for name, value in (*SECURITY_HEADERS.items(), ("Content-Security-Policy", API_CSP)))


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in _ENCODED if item[0] not in present)  # setdefault, each
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
