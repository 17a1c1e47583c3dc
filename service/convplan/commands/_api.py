"""How the command line reaches the API: a server (``--url``) or the app in process.

In process, the request goes through the real ASGI app (body guard, routes,
problem documents), so the command line gives exactly the server's answers
and refusals. No HTTP library is needed: the app is called directly with an
ASGI ``http`` scope, and a server is reached with ``urllib``. The service therefore does not depend on httpx
or on the client package.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

__all__ = ["ApiAnswer", "ApiUnreachable", "call", "call_or_report", "format_problem"]

ENV_BASE_URL = "CONVPLAN_BASE_URL"


@dataclass
class ApiAnswer:
    status: int
    body: Any  # decoded JSON (dict), or text when the answer is not JSON

    @property
    def ok(self) -> bool:
        return self.status < 400


class ApiUnreachable(Exception):
    """No answer from the server given by ``--url`` / ``CONVPLAN_BASE_URL``."""


def call(method: str, path: str, body: Any = None, *, url: str | None = None, timeout: float = 60.0,
         binary: bytes | None = None) -> ApiAnswer:
    """One request: to ``url`` (or ``$CONVPLAN_BASE_URL``) when set, else to the app in process.

    ``body`` is sent as JSON; ``binary`` (an uploaded model) as ``application/octet-stream``.
    ``path`` may carry a query string.
    """
    base = url or os.environ.get(ENV_BASE_URL, "").strip() or None
    payload = None if body is None else json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    media = "application/json"
    if binary is not None:
        payload, media = binary, "application/octet-stream"
    if base is not None:
        return _call_http(base.rstrip("/"), method, path, payload, timeout, media)
    return asyncio.run(_call_app(method, path, payload, media))


def _decode(status: int, raw: bytes) -> ApiAnswer:
    try:
        return ApiAnswer(status, json.loads(raw))
    except ValueError:
        return ApiAnswer(status, raw.decode("utf-8", "replace"))


def _call_http(base: str, method: str, path: str, payload: bytes | None, timeout: float, media: str) -> ApiAnswer:
    if not base.startswith(("http://", "https://")):
        raise ApiUnreachable(f"--url must start with http:// or https://, got {base!r}")
    request = urllib.request.Request(f"{base}{path}", data=payload, method=method)
    request.add_header("Accept", "application/json, application/problem+json")
    if payload is not None:
        request.add_header("Content-Type", media)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _decode(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return _decode(exc.code, exc.read())
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ApiUnreachable(f"no answer from {base}: {reason}") from exc


async def _call_app(method: str, path: str, payload: bytes | None, media: str) -> ApiAnswer:
    from convplan.app import create_app

    app = create_app()
    # One request: skip the lifespan (it warms symbolic workers that a numeric
    # request never needs); a pool created on demand is closed afterwards.
    try:
        return await _asgi_request(app, method, path, payload, media)
    finally:
        _close_symbolic_pool(app)


def _close_symbolic_pool(app: Any) -> None:
    if importlib.util.find_spec("convplan.api.symbolic") is None:
        return
    close = getattr(importlib.import_module("convplan.api.symbolic"), "close_symbolic_pool", None)
    if callable(close):
        close(app)


async def _asgi_request(app: Any, method: str, path: str, payload: bytes | None, media: str) -> ApiAnswer:
    headers = [(b"host", b"convplan.inprocess"), (b"accept", b"application/json")]
    if payload is not None:
        headers += [(b"content-type", media.encode()), (b"content-length", str(len(payload)).encode())]
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 0),
        "server": ("convplan.inprocess", 80),
        "state": {},
    }
    sent = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload or b"", "more_body": False}
        await asyncio.Event().wait()  # the request is complete: nothing more will come
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception:
        if not chunks:
            raise
    return _decode(status, b"".join(chunks))


def format_problem(answer: ApiAnswer) -> str:
    """The API's reasons for a refusal, for stderr: title and detail, then each error's loc and msg."""
    body = answer.body
    if not isinstance(body, dict):
        text = str(body).strip()
        return f"error {answer.status}" + (f": {text[:500]}" if text else "")
    title = body.get("title") or "error"
    lines = [f"error {answer.status} ({title}): {body.get('detail') or ''}".rstrip(": ")]
    for item in body.get("errors") or []:
        if not isinstance(item, dict):
            continue
        loc = item.get("loc") or []
        where = ".".join(str(part) for part in loc)
        lines.append(f"  {where}: {item.get('msg', '')}" if where else f"  {item.get('msg', '')}")
    return "\n".join(lines)


def call_or_report(prog: str, method: str, path: str, body: Any = None, *, url: str | None, timeout: float,
                   as_json: bool, binary: bytes | None = None) -> ApiAnswer | None:
    """``call``, with a failure reported the commands' way: no answer, or a refusal (its problem on stderr,
    and on stdout too with ``--json``); None then (the command exits 1)."""
    import sys

    from convplan.commands._output import print_json

    try:
        answer = call(method, path, body, url=url, timeout=timeout, binary=binary)
    except ApiUnreachable as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return None
    if not answer.ok:
        if as_json and isinstance(answer.body, dict):
            print_json(answer.body)
        print(format_problem(answer), file=sys.stderr)
        return None
    return answer
