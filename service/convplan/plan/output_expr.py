"""The output size over the valid inputs, as an expression in ``i`` (input grammar).

On residue class ``r`` the output is ``slope*i + c_r``: the same fit as the graph's valid sizes
(``convplan.analyses.valid_sizes.fit_expression``), from one member per residue of the period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convplan.analyses.valid_sizes import fit_expression

if TYPE_CHECKING:
    from convplan.plan.valid_sizes import AxisSolution

__all__ = ["output_expression"]


def output_expression(solution: AxisSolution) -> int | str | None:
    # (n, output) with n = r (mod M): the intercept is exact for every member of the class.
    points = [(r, solution.slope * r + c) for r, c in solution.intercepts]
    return fit_expression(points, solution.slope, solution.period)  # type: ignore[arg-type]
