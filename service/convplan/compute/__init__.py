"""The compute domain service: request models and ``run_compute`` (no FastAPI)."""

from __future__ import annotations

from convplan.compute.models import PARAMS, REQUESTS
from convplan.compute.service import run_compute

__all__ = ["PARAMS", "REQUESTS", "run_compute"]
