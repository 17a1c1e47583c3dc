"""What ``Client`` and ``AsyncClient`` share: configuration, payloads, retries, parsing."""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from convplan_client._errors import (
    ConfigurationError,
    RequestTimeoutError,
    ResponseValidationError,
    TransportError,
    api_error_from_response,
)
from convplan_client._version import __version__

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENV_BASE_URL",
    "RetryPolicy",
    "check_op",
    "encode",
    "parse",
    "resolve_base_url",
    "to_transport_error",
]

M = TypeVar("M", bound=BaseModel)

ENV_BASE_URL = "CONVPLAN_BASE_URL"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"convplan-client/{__version__} (python; httpx/{httpx.__version__})"

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0


def resolve_base_url(base_url: str | httpx.URL | None) -> str | None:
    """``base_url``, else ``$CONVPLAN_BASE_URL``, else None (in process)."""
    if base_url is None:
        base_url = os.environ.get(ENV_BASE_URL, "").strip() or None
    if base_url is None:
        return None
    text = str(base_url).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must start with http:// or https://, got {text!r}")
    return text


def encode(value: Any) -> Any:
    """Request fields as JSON data: NumPy arrays and scalars via ``.tolist()``, tuples as lists.

    Duck-typed (anything with ``tolist``), so NumPy is never imported here.
    Pydantic models are dumped; ``None`` values of top-level fields are kept
    (the caller drops them).
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return encode(tolist())
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


def body_of(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body from keyword arguments; arguments left at None are not sent."""
    return {name: encode(value) for name, value in fields.items() if value is not None}


def check_op(op: str) -> str:
    if not isinstance(op, str) or not op or "/" in op or "?" in op or "#" in op:
        raise ValueError(f"op must be a compute op name such as 'conv', got {op!r}")
    return op


def parse(response: httpx.Response, model: type[M]) -> M:
    """A 2xx response as ``model``; an error status as ``ApiError`` (raised)."""
    if response.status_code >= 400:
        raise api_error_from_response(response)
    try:
        data = response.json()
    except ValueError as exc:
        raise ResponseValidationError(
            f"{response.request.method} {response.request.url.path}: the response is not JSON",
            body=response.text,
            response=response,
        ) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ResponseValidationError(
            f"{response.request.method} {response.request.url.path}: the response does not fit "
            f"{model.__name__} (is the client older than the service?): {exc}",
            body=data,
            response=response,
        ) from exc


def to_transport_error(exc: httpx.TransportError, url: str) -> TransportError:
    cls = RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
    kind = type(exc).__name__
    message = f"no answer from {url}: {kind}: {exc}" if str(exc) else f"no answer from {url}: {kind}"
    try:
        request = exc.request
    except RuntimeError:
        request = None
    return cls(message, request=request)


class RetryPolicy:
    """Which failures are retried and how long to wait.

    Retried: connection failures (connect errors and connect timeouts: the
    request never reached the service), 408, 429 and 5xx. Never any other
    4xx. The wait is ``Retry-After`` (or ``retry-after-ms``) when the service
    sends one between 0 and 60 s, else exponential backoff with jitter:
    ``min(max_backoff, backoff * 2**attempt) * U(0.75, 1)``.
    """

    def __init__(self, max_retries: int, backoff: float = 0.5, max_backoff: float = 8.0) -> None:
        if max_retries < 0:
            raise ConfigurationError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    def retry_exception(self, exc: httpx.TransportError, attempt: int) -> float | None:
        if attempt >= self.max_retries:
            return None
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            return self._backoff(attempt)
        return None

    def retry_response(self, response: httpx.Response, attempt: int) -> float | None:
        if attempt >= self.max_retries:
            return None
        status = response.status_code
        if status not in _RETRY_STATUSES and status < 500:
            return None
        after = _retry_after(response.headers)
        return after if after is not None else self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.max_backoff, self.backoff * 2.0**attempt)
        return delay * (1.0 - 0.25 * random.random())


def _retry_after(headers: httpx.Headers) -> float | None:
    value: float | None = None
    raw_ms = headers.get("retry-after-ms")
    raw = headers.get("retry-after")
    try:
        if raw_ms is not None:
            value = float(raw_ms) / 1000.0
        elif raw is not None:
            try:
                value = float(raw)
            except ValueError:
                when = email.utils.parsedate_to_datetime(raw)
                value = when.timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None
    if value is None or value != value or not 0 <= value <= _MAX_RETRY_AFTER:
        return None
    return value
