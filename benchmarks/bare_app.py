"""A bare FastAPI app for the load baseline (``benchmarks/load.py``).

Same paths as convplan; every POST parses its JSON body into a ``dict`` (as a
plain FastAPI route does) and answers the response convplan gave for the same
request, as canned bytes: routing, body parsing and the HTTP stack, no domain
work. The canned responses come from the JSON file named by
``BARE_RESPONSES`` (``{case: response}``); the request names its case in the
``X-Case`` header (convplan ignores that header).

    BARE_RESPONSES=cases.json uvicorn benchmarks.bare_app:app
    BARE_RESPONSES=cases.json uvicorn benchmarks.bare_app:starlette_app   # no FastAPI: Starlette alone

``starlette_app`` is the floor the graph-core issue measures against: Starlette's routing and the same
canned bytes, the JSON body read and parsed with ``json.loads`` as any handler must.
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

from fastapi import FastAPI, Header
from fastapi.responses import Response
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.routing import Route

app = FastAPI(title="bare", docs_url=None, redoc_url=None)

_path = os.environ.get("BARE_RESPONSES")
CANNED: dict[str, bytes] = {}
if _path:
    with open(_path, encoding="utf-8") as fd:
        CANNED = {case: json.dumps(body).encode() for case, body in json.load(fd).items()}
_DEFAULT = b'{"ok":true}'


def _answer(case: str) -> Response:
    return Response(CANNED.get(case, _DEFAULT), media_type="application/json")


@app.get("/v1/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": "bare"}


@app.post("/v1/shapes")
async def shapes(body: dict[str, Any], x_case: Annotated[str, Header()] = "") -> Response:
    return _answer(x_case)


@app.post("/v1/plan")
async def plan(body: dict[str, Any], x_case: Annotated[str, Header()] = "") -> Response:
    return _answer(x_case)


@app.post("/v1/compute/{op}")
async def compute(op: str, body: dict[str, Any], x_case: Annotated[str, Header()] = "") -> Response:
    return _answer(x_case)


async def _starlette_post(request: StarletteRequest) -> Response:
    json.loads(await request.body())
    return _answer(request.headers.get("x-case", ""))


async def _starlette_health(request: StarletteRequest) -> Response:
    return Response(b'{"status":"ok","version":"bare"}', media_type="application/json")


starlette_app = Starlette(routes=[
    Route("/v1/health", _starlette_health),
    Route("/v1/shapes", _starlette_post, methods=["POST"]),
    Route("/v1/plan", _starlette_post, methods=["POST"]),
    Route("/v1/graph", _starlette_post, methods=["POST"]),
    Route("/v1/compute/{op}", _starlette_post, methods=["POST"]),
])
