"""GET /v1/health: liveness, for load balancers and the Docker HEALTHCHECK."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from convplan import __version__

router = APIRouter(prefix="/v1", tags=["service"])


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always `ok` when the service answers.")
    version: str = Field(description="The service's version.", examples=[__version__])


@router.get(
    "/health",
    operation_id="health",
    summary="Liveness and version",
    description="Answers 200 while the process serves requests; does no domain work.",
    response_description="The service is up.",
)
async def health() -> Health:
    return Health(status="ok", version=__version__)
