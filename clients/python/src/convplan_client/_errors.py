"""Exceptions raised by the client.

``ConvplanError`` is the base of everything the client raises:

- ``ConfigurationError`` (also a ``ValueError``): no ``base_url``, no
  ``CONVPLAN_BASE_URL`` and no service installed to run in process.
- ``TransportError``: the request did not get an HTTP answer (refused
  connection, DNS, timeout: ``RequestTimeoutError``); the httpx exception is
  the ``__cause__``.
- ``ApiError``: the service answered with an error status; ``status``,
  ``type``, ``title``, ``detail`` and ``errors`` come from its
  ``application/problem+json`` document. One subclass per status.
- ``ResponseValidationError``: a 2xx body that does not fit the client's
  model (a client older than the service, or not a convplan server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from convplan_client._models import ErrorItem

__all__ = [
    "ApiError",
    "BadRequestError",
    "ConfigurationError",
    "ConvplanError",
    "InternalServerError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "TransportError",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "api_error_from_response",
]


class ConvplanError(Exception):
    """Base class of every exception raised by ``convplan_client``."""


class ConfigurationError(ConvplanError, ValueError):
    """The client cannot be built as asked (e.g. nowhere to send requests)."""


class TransportError(ConvplanError):
    """The request got no HTTP answer: connection refused, DNS failure, timeout..."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class RequestTimeoutError(TransportError):
    """The request timed out (connect, read, write or pool timeout)."""


class ResponseValidationError(ConvplanError):
    """A successful response whose body does not fit the client's model."""

    def __init__(self, message: str, *, body: Any = None, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.body = body
        self.response = response


class ApiError(ConvplanError):
    """The service refused the request: an RFC 9457 problem document.

    Attributes: ``status`` (HTTP status), ``type`` (problem type URI),
    ``title``, ``detail``, ``errors`` (list of ``ErrorItem``: ``loc``,
    ``msg``, ``type``, ``layer``, ``axis``), ``body`` (the whole decoded
    document, e.g. the partial ``layers`` of a 422 from a layer),
    ``response`` (the ``httpx.Response``).
    """

    def __init__(
        self,
        status: int,
        *,
        type: str = "about:blank",
        title: str = "",
        detail: str = "",
        errors: list[ErrorItem] | None = None,
        body: Any = None,
        response: httpx.Response | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors: list[ErrorItem] = list(errors or [])
        self.body = body
        self.response = response
        super().__init__(self._message())

    @property
    def status_code(self) -> int:
        """Alias of ``status``."""
        return self.status

    def _message(self) -> str:
        head = f"{self.status} {self.title}".rstrip()
        if self.detail:
            head = f"{head}: {self.detail}"
        lines = [head]
        for item in self.errors:
            loc = ".".join(str(part) for part in item.loc)
            lines.append(f"  {loc}: {item.msg}" if loc else f"  {item.msg}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, type={self.type!r}, detail={self.detail!r})"


class BadRequestError(ApiError):
    """400: the body is not parseable JSON."""


class NotFoundError(ApiError):
    """404: no such path, or an unknown op."""


class MethodNotAllowedError(ApiError):
    """405: the path exists, the method does not."""


class PayloadTooLargeError(ApiError):
    """413: a volume limit (body bytes, nesting, layers, stages, tensor elements, expression length)."""


class UnsupportedMediaTypeError(ApiError):
    """415: the body is not JSON."""


class UnprocessableEntityError(ApiError):
    """422: grammar, range or semantic error; see ``errors`` for where."""


class RateLimitError(ApiError):
    """429: too many requests (retried, honouring ``Retry-After``)."""


class InternalServerError(ApiError):
    """5xx: the service (or a proxy in front of it) failed."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def api_error_from_response(response: httpx.Response) -> ApiError:
    """Build the ``ApiError`` subclass for an error response (problem+json or not)."""
    from pydantic import ValidationError

    from convplan_client._models import ErrorItem

    status = response.status_code
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else ApiError)
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()
        return cls(
            status,
            title=response.reason_phrase,
            detail=text[:500],
            body=body if body is not None else text,
            response=response,
        )
    items: list[ErrorItem] = []
    for raw in body.get("errors") or []:
        try:
            items.append(ErrorItem.model_validate(raw))
        except ValidationError:
            items.append(ErrorItem(loc=[], msg=str(raw), type="unknown"))
    return cls(
        int(body.get("status") or status),
        type=str(body.get("type") or "about:blank"),
        title=str(body.get("title") or response.reason_phrase),
        detail=str(body.get("detail") or ""),
        errors=items,
        body=body,
        response=response,
    )
