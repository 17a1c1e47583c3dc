"""The HTTP/1.1 protocol ``convplan serve`` runs: uvicorn's httptools protocol plus
the guards uvicorn itself lacks, below the ASGI app.

uvicorn arms one timer only, keep-alive, and only *after* a response: a
client that connects and sends nothing, or half a request head, or a head and
part of its body, holds its connection forever (and a graceful shutdown waits
on it). Its httptools parser also has no header size limit: every header is
appended to a list until the head ends, so a 100 MB header is 100 MB of
server memory (h11 has ``h11_max_incomplete_event_size``; httptools nothing).
This protocol adds, per connection:

- a *request timer*: from the connection (or a new request's first byte)
  until the request's last body byte, at most ``request_timeout_seconds``;
  then 408 (nothing answered yet) or a plain close (the app is waiting for
  body bytes: it sees ``http.disconnect``);
- a *head size limit*: more than ``max_header_bytes`` before the head ends
  is a 431, and the connection is closed after a short drain (the rest of
  the head is read and discarded, not stored, so the client can read the
  answer instead of a connection reset).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from convplan.settings import get_settings

__all__ = ["GuardedHttpToolsProtocol"]

# After a refusal, how long the rest of the client's request is read (and
# dropped) before the socket closes; closing at once would reset a
# connection whose client is still sending, and lose the answer.
_DRAIN_SECONDS = 2.0


def _problem(status: int, reason: str, title: str, detail: str) -> bytes:
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": []})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with a request timer and a head size limit (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._request_timeout = settings.request_timeout_seconds
        self._max_head = settings.max_header_bytes
        self._request_timer: asyncio.TimerHandle | None = None
        self._reading_head = True
        self._head_bytes = 0
        self._discarding = False

    # --- the request timer ---------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_request_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_request_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_request_timer()

    def on_message_complete(self) -> None:
        self._cancel_request_timer()
        self._reading_head, self._head_bytes = True, 0
        super().on_message_complete()

    def _arm_request_timer(self) -> None:
        if self._request_timer is None:
            self._request_timer = self.loop.call_later(self._request_timeout, self._on_request_timeout)

    def _cancel_request_timer(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _on_request_timeout(self) -> None:
        self._request_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # The app has the head and waits for the body: closing makes its
            # receive() return http.disconnect; its answer has nowhere to go.
            self.transport.close()
            return
        self._refuse(
            _problem(
                408,
                "Request Timeout",
                "Request timeout",
                f"the request was not received within {self._request_timeout:g} s",
            )
        )

    # --- the head size limit -------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > self._max_head and not self.transport.is_closing():
            self._refuse(
                _problem(
                    431,
                    "Request Header Fields Too Large",
                    "Request header fields too large",
                    f"the request head is larger than {self._max_head} bytes",
                )
            )

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()

    def _refuse(self, response: bytes) -> None:
        """Answer ``response``, drop whatever else arrives, close after a short drain."""
        self._cancel_request_timer()
        self._discarding = True
        self.headers = []  # what the parser collected so far is not needed any more
        self.transport.write(response)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_DRAIN_SECONDS, self.transport.close)
