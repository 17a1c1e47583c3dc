"""Where a refusal points, in HTTP terms: the domain's locations made the problem document's ``loc``.

The domain speaks no HTTP. It locates a refusal in the request document it was given: ``("layers", 3,
"padding", 1)``, or ``()`` for the request as a whole. Most routes take that document as their JSON body, so
the edge puts ``"body"`` in front. A route that takes a part elsewhere says so in ``ROUTE_PARTS``: compute's
op is in the path, and the ONNX import reads its model as the raw body and its shapes from the query.

Items the edge raises itself (a query parameter, a multipart field, the worker pool) are located in HTTP
terms already: they are ``HttpErrorItem`` and pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from convplan.errors import ErrorItem, Loc

__all__ = ["ROUTE_PARTS", "HttpErrorItem", "Parts", "http_items", "http_loc", "route_parts"]

Parts = Mapping[str, Loc]


@dataclass(frozen=True)
class HttpErrorItem(ErrorItem):
    """An item raised at the edge, located in the HTTP request already (``("query", "format")``)."""


# Per route (its path template), the top-level names of the domain's request document that are not members
# of the JSON body, and where they are. A name not listed is in the body.
ROUTE_PARTS: dict[str, Parts] = {
    "/v1/compute/{op}": {"op": ("path", "op")},
    "/v1/import/onnx": {
        "model": ("body",),  # the uploaded bytes are the body: ("model", "graph", "node", 3) points into them
        "input": ("query", "input"),  # the k-th ``?input=``
    },
}


def route_parts(scope: Mapping[str, Any]) -> Parts:
    """The parts of the route that matched (``{}`` before routing, and on the body-only direct routes)."""
    route = scope.get("route")
    return ROUTE_PARTS.get(getattr(route, "path", ""), {})


def http_loc(loc: Loc, parts: Parts) -> Loc:
    if loc and isinstance(loc[0], str) and loc[0] in parts:
        return (*parts[loc[0]], *loc[1:])
    return ("body", *loc)


def http_items(items: Iterable[ErrorItem], parts: Parts) -> list[ErrorItem]:
    return [item if isinstance(item, HttpErrorItem) else replace(item, loc=http_loc(item.loc, parts))
            for item in items]
