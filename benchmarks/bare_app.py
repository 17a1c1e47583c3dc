"""A bare FastAPI app for the load baseline (``benchmarks/load.py``).

Same paths as convplan; every POST parses its JSON body into a ``dict`` (as a
plain FastAPI route does) and answers the response convplan gave for the same
request, as canned bytes: routing, body parsing and the HTTP stack, no domain
work. The canned responses come from the JSON file named by
``BARE_RESPONSES`` (``{case: response}``); the request names its case in the
``X-Case`` header (convplan ignores that header).

    BARE_RESPONSES=cases.json uvicorn benchmarks.bare_app:app
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

from fastapi import FastAPI, Header
from fastapi.responses import Response

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
