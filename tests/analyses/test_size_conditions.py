"""Valid-size sets kept inside ``where`` conditions: the intersection of two set forms, against brute force."""

from __future__ import annotations

import random

import pytest

from convplan.analyses.size_conditions import keep_inside
from convplan.analyses.valid_sizes import AxisSets, SizeSet
from convplan.graph.schema import SizeCondition


def _random_set(rng: random.Random) -> SizeSet:
    if rng.random() < 0.15:
        return SizeSet(extra=tuple(sorted(rng.sample(range(1, 40), 5))))
    modulus = rng.choice([1, 2, 3, 4, 6, 8, 16])
    low = rng.randint(1, 30)
    return SizeSet(modulus=modulus, residues=tuple(sorted(rng.sample(range(modulus), rng.randint(1, modulus)))),
                   minimum=low, maximum=rng.choice([None, None, rng.randint(low, 120)]),
                   extra=tuple(sorted(rng.sample(range(1, low), min(low - 1, rng.randint(0, 3))))))


def _condition(s: SizeSet) -> SizeCondition:
    return SizeCondition(axis=0, modulus=s.modulus, residues=list(s.residues), min=s.minimum, max=s.maximum,
                         extra=list(s.extra))


def test_the_intersection_is_exact_at_every_size() -> None:
    rng = random.Random(12)
    for _ in range(400):
        sets = AxisSets(runs=_random_set(rng), clean=_random_set(rng), same_size=_random_set(rng), requested=None)
        conditions = [_condition(s) for s in (_random_set(rng), _random_set(rng)) if s.residues]
        (kept,), _ = keep_inside([sets], [None], conditions)
        assert kept is not None
        for kind in ("runs", "clean", "same_size"):
            for n in range(1, 300):
                expected = getattr(sets, kind).contains(n) and all(
                    SizeSet(modulus=c.modulus, residues=tuple(c.residues), minimum=c.min, maximum=c.max,
                            extra=tuple(c.extra)).contains(n) for c in conditions)
                assert getattr(kept, kind).contains(n) == expected, (kind, n, sets, conditions, kept)


def test_the_least_period_and_the_outputs_sizes_per_residue() -> None:
    runs = SizeSet(modulus=4, residues=(0, 2), minimum=4, output_size={"y": {0: "i/4", 2: "(i + 2)/4"}})
    sets = AxisSets(runs=runs, clean=runs, same_size=SizeSet(), requested=64)
    (kept,), _ = keep_inside([sets], [None], [SizeCondition(axis=0, modulus=8, residues=[0, 2, 4, 6], min=16)])
    assert kept is not None
    assert (kept.runs.modulus, kept.runs.residues, kept.runs.minimum) == (2, (0,), 16)
    assert kept.runs.output_size == {"y": {0: "floor((i + 2)/4)"}}  # i/4 at 0 mod 4, (i + 2)/4 at 2
    assert kept.same_size.residues == () and kept.same_size.minimum is None


@pytest.mark.parametrize("axis", [0, 1])
def test_only_the_conditions_axis_changes(axis: int) -> None:
    every = SizeSet(modulus=1, residues=(0,), minimum=1)
    forms = [AxisSets(runs=every, clean=every, same_size=every, requested=None) for _ in range(2)]
    kept, reasons = keep_inside(forms, [None, None], [SizeCondition(axis=axis, modulus=2, residues=[1])])
    assert kept[axis] is not None and kept[axis].runs.modulus == 2
    assert kept[1 - axis] is forms[1 - axis] and reasons == [None, None]


def test_a_period_over_the_limit_is_no_set_and_says_why() -> None:
    runs = SizeSet(modulus=3, residues=(0,), minimum=3)
    sets = AxisSets(runs=runs, clean=runs, same_size=runs, requested=None)

    class Limits:
        valid_sizes_max_period = 8
        valid_sizes_max_extra = 64

    kept, reasons = keep_inside([sets], [None], [SizeCondition(axis=0, modulus=4, residues=[0])], Limits())
    assert kept == [None] and "period of the intersection (12) is over the limit 8" in str(reasons[0])


def test_a_condition_from_near_the_largest_size_is_read_sparsely() -> None:
    every = SizeSet(modulus=1, residues=(0,), minimum=1, extra=())
    sets = AxisSets(runs=every, clean=every, same_size=SizeSet(extra=(3, 5)), requested=None)
    far = (1 << 30) - 10
    (kept,), _ = keep_inside([sets], [None], [SizeCondition(axis=0, modulus=4, residues=[1], min=far, extra=[3])])
    assert kept is not None
    first = far + (1 - far) % 4  # the first size 1 mod 4 from far
    assert (kept.runs.modulus, kept.runs.residues, kept.runs.minimum, kept.runs.extra) == (4, (1,), first, (3,))
    assert kept.same_size.extra == (3,) and kept.same_size.minimum is None
