"""GET /v1/limits: every limit in force, with its value, unit and meaning."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from convplan.api.deps import SettingsDep
from convplan.settings import limit_fields

router = APIRouter(prefix="/v1", tags=["service"])


class Limit(BaseModel):
    name: str = Field(description="Setting name; configurable as `CONVPLAN_<NAME>`.", examples=["max_layers"])
    value: int | float = Field(description="Value in force.", examples=[256])
    unit: str = Field(description="Unit of `value`.", examples=["layers"])
    description: str = Field(description="What the limit bounds and what exceeding it answers.")


class Limits(BaseModel):
    limits: list[Limit] = Field(description="Every limit, in a stable order.")


@router.get(
    "/limits",
    operation_id="limits",
    summary="Limits in force",
    description=(
        "Lists every limit with its value: body bytes, JSON nesting, layers, stages, "
        "sizes, expression length and exponent, tensor elements in and out, the "
        "explained convolution matrix, and the symbolic time budget. A request over a "
        "volume limit is refused with 413, over a range limit with 422."
    ),
    response_description="The limits.",
)
async def limits(settings: SettingsDep) -> Limits:
    return Limits(
        limits=[
            Limit(name=name, value=getattr(settings, name), unit=unit, description=description)
            for name, unit, description in limit_fields()
        ]
    )
