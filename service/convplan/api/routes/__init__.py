"""The API's routers, one module per resource, each exposing ``router``.

``health`` and ``limits`` always exist; ``shapes``, ``compute``, ``plan`` and ``compare``
are included when their module is present, so they can land independently.
To add a resource: create ``routes/<name>.py`` with ``router = APIRouter()``
and add ``<name>`` to ``ROUTER_MODULES``.
"""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import APIRouter

__all__ = ["ROUTER_MODULES", "load_routers"]

ROUTER_MODULES: tuple[str, ...] = ("health", "limits", "shapes", "compute", "plan", "graph", "compare")
_OPTIONAL = frozenset({"shapes", "compute", "plan", "graph", "compare"})


def load_routers() -> list[APIRouter]:
    routers = []
    for name in ROUTER_MODULES:
        module_name = f"{__name__}.{name}"
        if name in _OPTIONAL and importlib.util.find_spec(module_name) is None:
            continue
        routers.append(importlib.import_module(module_name).router)
    return routers
