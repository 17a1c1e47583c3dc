"""Answers to repeated requests from memory, as a pure ASGI middleware.

Every ``POST`` of the API is a pure function of its path, query, ``Content-Type``, ``Accept`` and body
(for one app's settings): no clock, no randomness, no state between requests. A design tool that
re-sends the network on every keystroke, or a page reloaded with its shared URL, asks the same
question again and again; this answers a repeat with the bytes of the first answer, before the body is
checked, parsed or validated and before any route runs.

Only ``200`` answers are kept (a refusal may depend on load: a time budget, a full queue, a client that
went away). Entries are bounded in number of bytes (least recently used first out), and a request is
looked up only when it declares a ``Content-Length`` no larger than ``max_request_bytes`` (a large
upload is not held twice). ``X-Convplan-Cache: hit`` or ``miss`` says which happened.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convplan.api.asgi_io import content_length, header, read_body, replay

__all__ = ["CACHE_HEADER", "ResponseCache", "ResponseCacheMiddleware"]

CACHE_HEADER = b"x-convplan-cache"

#: Headers that make part of the question (the rest, ``User-Agent`` or ``Host``, do not change the answer).
_KEY_HEADERS = (b"content-type", b"accept")


class ResponseCache:
    """A byte-bounded LRU map from a request digest to an answer's headers and body."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[bytes, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        cost = _cost(key, headers, body)
        if cost > self.max_bytes or key in self._entries:
            return
        self._entries[key] = (headers, body)
        self.size += cost
        while self.size > self.max_bytes:
            old_key, (old_headers, old_body) = self._entries.popitem(last=False)
            self.size -= _cost(old_key, old_headers, old_body)


def _cost(key: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    return len(key) + len(body) + sum(len(k) + len(v) for k, v in headers) + 64


def request_key(scope: Scope, body: bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    for part in (scope["path"].encode("utf-8", "surrogateescape"), scope.get("query_string", b""),
                 *((header(scope, name) or "").encode("latin-1") for name in _KEY_HEADERS)):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    digest.update(body)
    return digest.digest()


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, *, cache: ResponseCache, max_request_bytes: int) -> None:
        self.app = app
        self.cache = cache
        self.max_request_bytes = max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or self.cache.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        declared = content_length(scope)
        if declared is None or declared > self.max_request_bytes:
            await self.app(scope, receive, send)  # unknown or large: the body guard reads it, once
            return
        body, outcome = await read_body(receive, self.max_request_bytes)
        if outcome == "disconnected":
            return  # nobody to answer
        if outcome == "too_large":  # more bytes than it declared: the guard reads (and refuses) the rest
            await self.app(scope, replay(body, receive, more_body=True), send)
            return
        key = request_key(scope, body)
        hit = self.cache.get(key)
        if hit is not None:
            headers, content = hit
            await send({"type": "http.response.start", "status": 200, "headers": [*headers, (CACHE_HEADER, b"hit")]})
            await send({"type": "http.response.body", "body": content})
            return
        await self.app(scope, replay(body, receive), self._recording(key, send))

    def _recording(self, key: bytes, send: Send) -> Send:
        """A send that passes every message on and keeps a whole ``200`` answer."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                message = {**message, "headers": [*message.get("headers", []), (CACHE_HEADER, b"miss")]}
            elif message["type"] == "http.response.body" and start is not None and start["status"] == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.cache.put(key, list(start.get("headers", [])), b"".join(chunks))
            await send(message)

        return recording_send
