"""Upsamplers side by side (contract section 10): ``compare_upsamplers`` and its schema (no FastAPI)."""

from convplan.compare.models import (
    METHODS,
    CompareUpsamplersRequest,
    CompareUpsamplersResponse,
)
from convplan.compare.upsamplers import (
    CompareResult,
    UpsamplerResult,
    compare_upsamplers,
)

__all__ = [
    "METHODS", "CompareResult", "CompareUpsamplersRequest", "CompareUpsamplersResponse", "UpsamplerResult",
    "compare_upsamplers",
]
