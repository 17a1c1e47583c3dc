"""RFC 9457 problem documents: the problem types, their models and builders.

Every refusal leaves the service as ``application/problem+json``. The list of
problem types below is the single source: it feeds the ``Problem`` schema's
description (so the OpenAPI document lists every type URI) and the handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from convplan import errors
from convplan.api.locations import Parts, http_items
from convplan.api.responses import ProblemResponse

__all__ = [
    "PROBLEM_TYPES",
    "PROBLEM_TYPE_BASE",
    "ErrorItem",
    "Problem",
    "ProblemType",
    "domain_problem_response",
    "problem_document",
    "problem_response",
    "problem_responses",
    "problem_type_uri",
]

PROBLEM_TYPE_BASE = "https://convplan.dev/problems/"


def problem_type_uri(slug: str) -> str:
    return PROBLEM_TYPE_BASE + slug


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    meaning: str

    @property
    def uri(self) -> str:
        return problem_type_uri(self.slug)


def _from_error(cls: type[errors.ConvplanError], meaning: str) -> ProblemType:
    return ProblemType(cls.slug, cls.status, cls.title, meaning)


# Order: by status, then slug. Titles of domain errors come from the classes.
PROBLEM_TYPES: tuple[ProblemType, ...] = (
    ProblemType("malformed-json", 400, "Malformed JSON", "The body is not parseable JSON."),
    ProblemType("not-found", 404, "Not found", "No resource at this path."),
    _from_error(errors.UnknownOp, "The op named in the path or body does not exist."),
    ProblemType(
        "method-not-allowed", 405, "Method not allowed", "The path exists; the method does not (see `Allow`)."
    ),
    _from_error(
        errors.LimitExceeded,
        "A volume limit (body bytes, JSON nesting, tensor elements, layers, stages, "
        "expression length); `GET /v1/limits` lists them.",
    ),
    ProblemType(
        "unsupported-media-type",
        415,
        "Unsupported media type",
        "The body is not JSON: send `Content-Type: application/json`.",
    ),
    _from_error(
        errors.InvalidRequest,
        "Grammar, range or semantic error, including schema validation and non-finite numbers.",
    ),
    _from_error(errors.LayerError, "A layer cannot be applied (as PyTorch would refuse it)."),
    _from_error(errors.SymbolicTimeout, "Symbolic work ran over its time budget."),
    _from_error(
        errors.WorkTimeout,
        "Numeric work ran over its time budget (`work_timeout_seconds`), e.g. valid input sizes over a long period.",
    ),
    _from_error(errors.NotOnnx, "The uploaded model is not ONNX (not a parseable ModelProto)."),
    _from_error(errors.InvalidModel, "The ONNX model is malformed: a cycle, an unknown tensor, an impossible shape."),
    _from_error(
        errors.UnsupportedModel,
        "The ONNX model has ops or shape computations with no convplan meaning; `errors` lists every one.",
    ),
    ProblemType("internal-error", 500, "Internal error", "A bug; never expected. The traceback is logged."),
    _from_error(
        errors.ServiceBusy,
        "Every worker process is busy and the queue is full, or the wait for one ran out; retry after "
        "`Retry-After` seconds.",
    ),
    _from_error(
        errors.WorkerCrashed,
        "The worker process running the request died (killed, out of memory), and again on the retry; retry "
        "after `Retry-After` seconds.",
    ),
)

_BY_SLUG = {p.slug: p for p in PROBLEM_TYPES}
_BY_STATUS: dict[int, ProblemType] = {}
for _p in PROBLEM_TYPES:
    _BY_STATUS.setdefault(_p.status, _p)


def _types_table() -> str:
    rows = "\n".join(f"| `{p.uri}` | {p.status} | {p.title} | {p.meaning} |" for p in PROBLEM_TYPES)
    return (
        "An RFC 9457 problem document, served as `application/problem+json`.\n\n"
        "Problem types (`type`):\n\n| type | status | title | meaning |\n|---|---|---|---|\n"
        f"{rows}\n\n"
        "Any other HTTP error uses `about:blank` with the HTTP reason phrase as its title. "
        "A problem may carry more members (e.g. `layers`: the layers computed before a "
        "refusing layer, so a tool can draw the partial stack)."
    )


class ErrorItem(BaseModel):
    """One reason a request was refused, pointing into the request."""

    loc: list[str | int] = Field(
        description='Where: a path into the request, e.g. `["body", "layers", 3, "padding", 1]`.'
    )
    msg: str = Field(description="What is wrong, for humans.")
    type: str = Field(description="Machine-readable error kind, e.g. `missing`, `int_type`, `layer`.")
    layer: int | None = Field(None, description="Index of the layer concerned, if any.")
    axis: int | None = Field(None, description="0-based spatial axis concerned, if any.")


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"description": _types_table()})

    type: str = Field(
        description="URI of the problem type (see the table above).",
        examples=[problem_type_uri("layer-error")],
    )
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="This occurrence, for humans.")
    errors: list[ErrorItem] = Field(default_factory=list, description="Every reason, located.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem documents.

    ``app.openapi()`` moves them from ``application/json`` (FastAPI's default)
    to ``application/problem+json``.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        kinds = [p for p in PROBLEM_TYPES if p.status == status]
        described = "; ".join(f"`{p.slug}`: {p.meaning.rstrip('.')}" for p in kinds) or HTTPStatus(status).phrase
        out[status] = {"model": Problem, "description": f"{HTTPStatus(status).phrase}. {described}"}
    return out


def problem_document(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    error_items: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body of a problem. ``slug`` defaults to the status's usual type."""
    kind = _BY_SLUG.get(slug) if slug else _BY_STATUS.get(status)
    if kind is not None:
        type_uri, default_title = kind.uri, kind.title
    else:
        type_uri, default_title = "about:blank", _phrase(status)
    doc: dict[str, Any] = {
        "type": type_uri,
        "title": title or default_title,
        "status": status,
        "detail": detail,
        "errors": error_items or [],
    }
    # Extra members never override the standard ones.
    for key, value in jsonable_encoder(extra or {}).items():
        doc.setdefault(key, value)
    return doc


def problem_response(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **kwargs: Any
) -> ProblemResponse:
    return ProblemResponse(problem_document(status, detail, **kwargs), status_code=status, headers=headers)


def domain_problem_response(exc: errors.ConvplanError, parts: Parts | None = None) -> ProblemResponse:
    """The problem document of a domain refusal; ``parts`` says where the route's request parts are
    (``convplan.api.locations``): its locations are the domain's, relative to the request document."""
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        title=exc.title,
        error_items=[item.as_dict() for item in http_items(exc.errors, parts or {})],
        extra=exc.extra,
        headers={"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.Unavailable) else None,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
