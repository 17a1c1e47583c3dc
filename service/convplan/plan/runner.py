"""`POST /v1/plan` as a library call: request in, JSON-ready dict out."""

from __future__ import annotations

from typing import Any

from convplan.plan.culprit import add_culprit
from convplan.plan.models import PlanRequest
from convplan.plan.program import build_program
from convplan.plan.render import render_plan
from convplan.plan.valid_sizes import valid_input_sizes
from convplan.plan.walk import Walker
from convplan.shapes.engine import make_resolver, resolve_input

__all__ = ["run_plan", "run_plan_json"]


def run_plan(request: PlanRequest, limits: Any = None, *, symbolic: bool = True) -> dict[str, Any]:
    """With ``symbolic=False`` a symbolic value raises ``NeedsSymbolic`` (the service then re-runs the
    request in a worker under the symbolic time budget)."""
    program, expanded = build_program(request, limits)
    resolver = make_resolver(request.symbols, limits, symbolic=symbolic)
    resolver.training = request.training
    size, channels = resolve_input(resolver, request.input_size, request.in_channels)
    walker = Walker(program, resolver, len(size), **({} if limits is None else {"rf_period": limits.rf_period}))
    walker.run(size, channels)
    if walker.mismatch is not None:
        skip = walker.skips[walker.mismatch["skip"]]
        fresh = make_resolver(request.symbols, limits, symbolic=symbolic)
        fresh.training = request.training
        add_culprit(walker.mismatch, skip.encoder_size, skip.decoder_size, program, fresh, size, channels)
    # Valid sizes come from 1-D numeric runs: independent of the requested (maybe symbolic) size.
    valid, reasons = valid_input_sizes(program, len(size), size)
    for a, (n, form) in enumerate(zip(size, valid)):
        if form is not None and not form["residues"]:
            walker.warnings.append(f"axis {a}: no input size is clean for this stack")
        elif form is not None and type(n) is int and form["nearest"]["below"] != n:
            walker.warnings.append(f"axis {a}: input size {n} is not clean (nearest valid sizes: "
                                   f"{form['nearest']['below']} below, {form['nearest']['above']} above)")
    return render_plan(walker, resolver, expanded, valid, reasons)


def run_plan_json(payload: dict[str, Any], limits: Any = None) -> dict[str, Any]:
    """Entry point of the symbolic worker processes (plain data in and out)."""
    return run_plan(PlanRequest.model_validate(payload), limits)
