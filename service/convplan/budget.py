"""A cooperative time budget for domain work.

The service runs cheap numeric requests on its event loop; a request that
turns out heavy (thousands of valid-size runs, hundreds of long expressions)
must not hold the loop. ``with limit(seconds):`` sets a deadline for the
current context (a contextvar: each request, thread or task has its own) and
the domain calls ``check()`` at its loop points (one per layer, per solver
run, per parsed expression), which raises ``BudgetExhausted`` once the
deadline has passed. Outside ``limit`` there is no deadline: library callers
are never interrupted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from convplan.errors import BudgetExhausted

__all__ = ["check", "limit"]

# (deadline and start on the monotonic clock, the budget in seconds) or None: no budget.
_DEADLINE: ContextVar[tuple[float, float, float] | None] = ContextVar("convplan_budget", default=None)


@contextmanager
def limit(seconds: float) -> Iterator[None]:
    """Work in this block gets ``seconds`` from now (a nested limit can only shorten it)."""
    now = time.monotonic()
    outer = _DEADLINE.get()
    deadline = now + seconds if outer is None else min(outer[0], now + seconds)
    token = _DEADLINE.set((deadline, now, seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check() -> None:
    """Raise ``BudgetExhausted`` when the current budget has run out (a contextvar read when none is set)."""
    current = _DEADLINE.get()
    if current is not None:
        now = time.monotonic()
        deadline, start, seconds = current
        if now > deadline:
            raise BudgetExhausted(seconds, now - start)
