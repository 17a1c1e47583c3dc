"""Request-body limits at the edge, as a pure ASGI middleware.

Before a request reaches FastAPI:

1. any body larger than ``max_body_bytes`` is refused (413): at once from
   ``Content-Length``, else while counting the received chunks, so an
   oversized upload is never held in memory;
2. for ``POST``/``PUT``/``PATCH`` to a route that exists, a non-empty body
   must be JSON (415), nested at most ``max_json_depth`` deep (413, checked
   by a scan *before* parsing, so a deeply nested body never reaches a
   recursive parser), parseable (400), free of repeated keys in an object
   (400 naming the key and where: parsers silently keep the last) and of non-finite numbers
   (``NaN``, ``Infinity``, ``1e999``: 422), which Python's ``json`` accepts.

The checked bytes are then replayed unchanged to FastAPI, which parses them
again for the route's Pydantic body (small bodies: microseconds); the route
that takes large bodies (compute) reads the guard's parse from the scope
(``PARSED_BODY``) instead, so a body of MBs is parsed once, by orjson.

Refusals are sent from here as problem documents: the middleware sits
outside FastAPI's exception handling.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from convplan.api.asgi_io import announces_body, content_length, header, read_body, replay
from convplan.api.locations import HttpErrorItem
from convplan.api.problems import domain_problem_response, problem_response
from convplan.errors import ErrorItem, InvalidRequest, LimitExceeded

__all__ = ["PARSED_BODY", "BodyGuardMiddleware", "check_json_body", "is_json_media_type", "json_depth_exceeds"]

_METHODS_WITH_JSON_BODY = frozenset({"POST", "PUT", "PATCH"})

#: Scope key of the body as the guard parsed it (absent when it did not).
PARSED_BODY = "convplan.parsed_body"

# A JSON string literal, escapes included (unrolled loop: no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Objects and arrays nest alike: fold both onto "[" / "]", drop all else.
_FOLD_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(body: bytes, max_depth: int) -> bool:
    """Whether ``body`` nests arrays/objects deeper than ``max_depth``.

    Non-recursive and fast (C-level passes): strings are blanked (their
    brackets do not count), everything but brackets is dropped, then each
    pass deletes every innermost ``[]`` pair, i.e. one nesting level, for at
    most ``max_depth + 1`` passes. Openers left unmatched (a truncated or
    broken body) may each still cost the parser a level, so they count too;
    the parser itself reports such a body as malformed (400).
    """
    return _depth_exceeds(_blank_strings(body), max_depth)


def _blank_strings(body: bytes) -> bytes:
    """The body without its strings (quotes included). Without a backslash every quote opens or closes a
    string, so the pieces between them alternate outside / inside: a split, many times faster than the
    regular expression that escapes (or an unclosed string) need."""
    if b"\\" in body or body.count(b'"') % 2:
        return _STRING.sub(b"", body)
    return b"".join(body.split(b'"')[::2])


def _depth_exceeds(blanked: bytes, max_depth: int) -> bool:
    """``json_depth_exceeds`` of a body whose strings are already blanked."""
    brackets = blanked.translate(_FOLD_BRACKETS, _NOT_BRACKETS)
    levels = 0
    while levels <= max_depth:
        peeled = brackets.replace(b"[]", b"")
        if peeled == brackets:
            break
        brackets = peeled
        levels += 1
    return levels + brackets.count(b"[") > max_depth


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/<anything>+json``; parameters ignored."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class _NonFinite(Exception):
    """Raised from inside json.loads; deliberately not a ValueError."""

    def __init__(self, token: str) -> None:
        self.token = token


class _Malformed(Exception):
    """Not parseable as JSON, or ambiguous (a repeated key): answered with 400."""

    def __init__(self, reason: str, loc: tuple[str | int, ...] = ("body",), type_: str = "json_invalid") -> None:
        super().__init__(reason)
        self.reason, self.loc, self.type = reason, loc, type_


def _reject_constant(token: str) -> Any:
    raise _NonFinite(token)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def check_json_body(body: bytes, max_depth: int) -> Any:
    """The parsed body; raises the domain error for a body that is too deep,
    malformed or non-finite.

    orjson parses first (several times faster than the stdlib on a body of
    MBs, and strict: it refuses NaN, Infinity, numbers that overflow to
    infinity and invalid UTF-8); only a body it refuses is parsed again by the
    stdlib, to tell a non-finite number (422) from malformed JSON (400), or to
    accept what only the stdlib takes (a lone surrogate in a string).
    """
    blanked = _blank_strings(body)
    if _depth_exceeds(blanked, max_depth):
        raise LimitExceeded(
            f"JSON nesting deeper than {max_depth} levels",
            [HttpErrorItem(("body",), f"nesting deeper than {max_depth} levels", "json_depth")],
            extra={"limit": "max_json_depth", "value": max_depth},
        )
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = _stdlib_parse(body)
    # Both parsers keep the last of repeated keys. Every key is followed by a
    # ':' outside strings, so fewer keys in the parse than such colons in the
    # body means a key was repeated (or a tensor-looking list was skipped):
    # only then is the body walked again, exactly.
    if blanked.count(b":") != _count_keys(parsed):
        _refuse_duplicate_keys(body)
    return parsed


def _stdlib_parse(body: bytes, **hooks: Any) -> Any:
    try:
        return json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float, **hooks)
    except _NonFinite as exc:
        msg = f"non-finite number {exc.token!r}: only finite numbers are accepted"
        raise InvalidRequest(msg, [HttpErrorItem(("body",), msg, "finite_number")]) from None
    except UnicodeDecodeError as exc:
        raise _Malformed(f"not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise _Malformed(str(exc)) from None
    except ValueError:  # an integer literal over Python's conversion limit (4300 digits)
        digits = max((len(run) for run in _DIGIT_RUN.findall(body)), default=0)
        raise _Malformed(f"an integer literal of {digits} digits; at most {_MAX_INT_DIGITS} are read") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise _Malformed("nested too deeply") from None


_DIGIT_RUN = re.compile(rb"\d{100,}")
_MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300


def _count_keys(value: Any) -> int:
    """Keys of every object in a parsed body; lists of numbers (tensors) are skipped whole."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if item.__class__ is dict:
            count += len(item)
            items = item.values()
        elif item.__class__ is list and item and not isinstance(item[0], (int, float)):
            items = item
        else:
            continue
        for v in items:  # only containers are pushed (a parsed body's dicts and lists are exactly these types)
            kind = v.__class__
            if kind is dict or kind is list:
                stack.append(v)
    return count


class _Pairs(list):  # type: ignore[type-arg]
    """An object as its (key, value) pairs, repeats kept."""


def _refuse_duplicate_keys(body: bytes) -> None:
    """Raise a located 400 for the first repeated key, if any (else the body is fine)."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(("body",), _stdlib_parse(body, object_pairs_hook=_Pairs))]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, _Pairs):
            seen: set[str] = set()
            for key, _ in item:
                if key in seen:
                    where = ".".join(map(str, loc))
                    msg = f"duplicate key {key!r} in the object at {where}"
                    raise _Malformed(msg, (*loc, key), "json_duplicate_key")
                seen.add(key)
            stack.extend(((*loc, key), value) for key, value in reversed(item))
        elif isinstance(item, list):
            stack.extend(((*loc, index), value) for index, value in reversed(list(enumerate(item))))


class BodyGuardMiddleware:
    """``binary_paths``: paths whose body is not JSON (an uploaded model), each with its own byte
    limit and the name of the setting that sets it; only the size is checked there."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int,
                 binary_paths: Mapping[str, tuple[int, str]] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.binary_paths = dict(binary_paths or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not announces_body(scope):
            await self.app(scope, receive, send)
            return
        binary = self.binary_paths.get(scope["path"])
        limit, limit_name = binary or (self.max_body_bytes, "max_body_bytes")
        declared = content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send, limit, limit_name)
            return
        body, outcome = await read_body(receive, limit)
        if outcome == "too_large":
            await self._too_large(scope, receive, send, limit, limit_name)
            return
        if outcome == "disconnected":
            return  # nobody to answer
        refusal = self._refusal(scope, body) if body and binary is None else None
        if refusal is not None:
            await refusal(scope, replay(body, receive), send)
            return
        await self.app(scope, replay(body, receive), send)

    def _refusal(self, scope: Scope, body: bytes) -> Response | None:
        if scope["method"] not in _METHODS_WITH_JSON_BODY:
            return None
        refusal = self._check(scope, body)
        # Routing answers 404 / 405 first; matching the routes costs as much as
        # the checks, so it is done only when there is something to refuse.
        if refusal is None or not _route_exists(scope):
            return None
        return refusal

    def _check(self, scope: Scope, body: bytes) -> Response | None:
        content_type = header(scope, b"content-type")
        if not is_json_media_type(content_type):
            return problem_response(
                415,
                f"expected a JSON body (Content-Type: application/json), got {content_type or 'no Content-Type'}",
            )
        try:
            # The parsed body, for a route that reads it raw (compute): parsed once.
            scope[PARSED_BODY] = check_json_body(body, self.max_json_depth)
        except (LimitExceeded, InvalidRequest) as exc:
            return domain_problem_response(exc)
        except _Malformed as exc:
            items = [_item(exc.loc, exc.reason, exc.type)]
            return problem_response(400, f"malformed JSON: {exc.reason}", error_items=items)
        return None

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int, limit_name: str) -> None:
        response = problem_response(
            413,
            f"request body larger than {limit} bytes",
            slug=LimitExceeded.slug,
            error_items=[_item(("body",), f"larger than {limit} bytes", "body_bytes")],
            extra={"limit": limit_name, "value": limit},
            # The unread rest of the body is abandoned: ask the client to close.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _item(loc: tuple[str | int, ...], msg: str, type_: str) -> dict[str, Any]:
    return ErrorItem(loc, msg, type_).as_dict()


def _route_exists(scope: Scope) -> bool:
    """Whether the app has a route for this method and path (public BaseRoute API)."""
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", None)
    if routes is None:
        return True  # cannot tell: guard anyway
    # Matching may stash routing state in the scope (and dicts inside it).
    probe = {key: dict(value) if isinstance(value, dict) else value for key, value in scope.items()}
    return any(route.matches(probe)[0] == Match.FULL for route in routes)
