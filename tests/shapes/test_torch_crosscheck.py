"""Live cross-check against an installed PyTorch on configurations the fixtures do
not contain (fresh seeds). Skipped when torch is absent: the suite never needs it."""

from __future__ import annotations

import importlib.util
import os
from collections import Counter
from pathlib import Path

import pytest

from tests.shapes.test_golden import _check

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

GENERATOR = Path(__file__).resolve().parents[1] / "fixtures" / "make_shape_fixtures.py"
# Fixtures use seed 20251121; a different seed (or CONVPLAN_CROSSCHECK_SEED) gives unseen cases.
SEED = int(os.environ.get("CONVPLAN_CROSSCHECK_SEED", "7"))


def _generator():
    spec = importlib.util.spec_from_file_location("make_shape_fixtures", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("kind", "count"), [("single", 1500), ("stacks", 500)])
def test_engine_agrees_with_live_pytorch(kind: str, count: int) -> None:
    gen = _generator()
    stats = {"warnings": Counter(), "toobig": Counter()}
    torch.set_num_threads(1)
    with torch.no_grad():
        cases = gen.build(kind, count, SEED, stats)
    failures = {c["id"]: p for c in cases if (p := _check(c)) is not None}
    shown = "\n".join(f"{cid}: {msg}" for cid, msg in list(failures.items())[:20])
    assert not failures, (
        f"seed {SEED}: {len(failures)} of {len(cases)} disagree with torch {torch.__version__}:\n{shown}"
    )


def test_circular_pad_grid_agrees_with_live_pytorch() -> None:
    """Every circular pad of a 1-D axis of 1..8 rows with amounts in [-2n - 1, n + 1] (crops deeper than the
    input included): convplan refuses exactly where torch does (an empty output counts as refused: convplan
    sizes are at least 1), and agrees on the size elsewhere. Three channels: with one, PyTorch's copies may
    raise a memory-overlap error instead (ops/_padding.py, ``check_circular``)."""
    from convplan.errors import ConvplanError
    from tests.shapes.conftest import shapes

    disagreements = []
    for n in range(1, 9):
        for before in range(-2 * n - 1, n + 2):
            for after in range(-2 * n - 1, n + 2):
                try:
                    y = torch.nn.functional.pad(torch.zeros(2, 3, n), (before, after), mode="circular")
                    want = [int(y.shape[-1])] if y.numel() else None
                except RuntimeError:
                    want = None
                try:
                    got = shapes([n], [{"op": "pad", "mode": "circular", "padding": [[before, after]]}],
                                 in_channels=3)["output_size"]
                except ConvplanError:
                    got = None
                if got != want:
                    disagreements.append((n, before, after, got, want))
    assert not disagreements, disagreements[:20]
