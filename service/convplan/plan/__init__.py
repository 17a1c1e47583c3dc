"""The planner: encoder/decoder stacks whose skip connections must line up.

``run_plan(PlanRequest) -> dict`` is `POST /v1/plan` as a library call (no
FastAPI here): every feature map's size, per skip the coordinate relation
(scale, offset) and every fix, and the valid input sizes per axis.
"""

from convplan.plan.models import PlanRequest
from convplan.plan.runner import run_plan, run_plan_json

__all__ = ["PlanRequest", "run_plan", "run_plan_json"]
