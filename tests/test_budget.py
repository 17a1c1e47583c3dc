"""convplan.budget: a cooperative deadline that domain loops check."""

from __future__ import annotations

import pytest

from convplan import budget
from convplan.errors import BudgetExhausted, ConvplanError


class TestBudget:
    def test_no_limit_never_stops(self) -> None:
        budget.check()

    def test_a_spent_budget_stops_at_the_next_check(self) -> None:
        with budget.limit(0), pytest.raises(BudgetExhausted) as stop:
            budget.check()
        assert stop.value.seconds == 0 and stop.value.elapsed >= 0
        budget.check()  # the limit ended with its block

    def test_a_nested_limit_cannot_extend_the_outer_one(self) -> None:
        with budget.limit(0), budget.limit(3600), pytest.raises(BudgetExhausted):
            budget.check()

    def test_it_is_not_a_refusal_that_domain_code_would_swallow(self) -> None:
        assert not issubclass(BudgetExhausted, ConvplanError)


class TestDomainCheckPoints:
    def test_the_valid_size_solver_stops_rather_than_reporting_no_valid_size(self) -> None:
        from convplan.plan.models import PlanRequest
        from convplan.plan.program import build_program
        from convplan.plan.valid_sizes import valid_input_sizes

        program, _ = build_program(PlanRequest.model_validate(
            {"input_size": [64], "encoder": [{"layers": [{"op": "conv", "kernel_size": 3, "stride": 2}]}]}))
        with budget.limit(0), pytest.raises(BudgetExhausted):
            valid_input_sizes(program, 1, [64])

    def test_the_shape_engine_stops_between_layers(self) -> None:
        from convplan.shapes import ShapesRequest, run_shapes

        request = ShapesRequest.model_validate({"input_size": [64], "layers": [{"op": "relu"}]})
        with budget.limit(0), pytest.raises(BudgetExhausted):
            run_shapes(request, symbolic=False)
