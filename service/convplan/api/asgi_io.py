"""Reading a request at the ASGI level: headers, the declared length, the body, and replaying it.

Shared by the middlewares that look at a body before FastAPI does (the body guard, the response cache).
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope

__all__ = ["announces_body", "content_length", "header", "read_body", "replay"]


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def announces_body(scope: Scope) -> bool:
    # HTTP/1.1: a request without Content-Length or Transfer-Encoding has no body.
    names = {key for key, _ in scope["headers"]}
    return content_length(scope) != 0 and (b"content-length" in names or b"transfer-encoding" in names)


def content_length(scope: Scope) -> int | None:
    value = header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def read_body(receive: Receive, limit: int) -> tuple[bytes, str]:
    """Read the whole body, stopping as soon as it exceeds ``limit``.

    Returns ``(body, outcome)``, outcome one of "ok", "too_large" (``body``: what was read, more to come),
    "disconnected".
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", "disconnected"
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            return b"".join(chunks), "too_large"
        if not message.get("more_body", False):
            return b"".join(chunks), "ok"


def replay(body: bytes, receive: Receive, *, more_body: bool = False) -> Receive:
    """A receive that yields the buffered body once (``more_body``: the rest is still to be received),
    then defers to the server."""
    sent = False

    async def replaying() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more_body}
        return await receive()

    return replaying
