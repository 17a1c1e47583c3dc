"""The receptive-field algebra: compose, join, rf_aligned and the JSON form (contract section 9)."""

from __future__ import annotations

from fractions import Fraction

import pytest

import convplan.analyses.receptive_field as rf
from convplan.analyses.receptive_field import (
    MAX_PERIOD,
    ReceptiveField,
    along,
    compose,
    identity,
    join,
    receptive_field_json,
    rf_aligned,
)
from convplan.ops import Window, window_of_taps
from convplan.settings import Settings

F = Fraction


def conv(k: int, s: int = 1, p: int = 0, d: int = 1) -> Window:
    return Window.strided(s, tuple(t * d - p for t in range(k)))


def transpose(k: int, s: int, p: int = 0, d: int = 1) -> Window:
    return Window.scattered(s, p, k, d)


def last(*windows: Window, max_period: int = MAX_PERIOD) -> ReceptiveField | None:
    return along(windows, max_period=max_period)[-1]


def test_identity_and_a_strided_conv() -> None:
    assert identity(2) == [ReceptiveField(F(1), 1, ((F(0), F(0)),), 1, 1, 0, F(0))] * 2
    rf = last(conv(3, 2))
    assert receptive_field_json(rf) == {"jump": 2, "period": 1, "phases": [[0, 2]], "size": 3, "size_min": 3,
                                        "start": 0, "center": 1}


def test_contract_examples() -> None:
    assert receptive_field_json(last(transpose(3, 2))) == {
        "jump": 0.5, "period": 2, "phases": [[-1, 0], [-0.5, -0.5]], "size": 2, "size_min": 1, "start": -1,
        "center": -0.5}
    assert receptive_field_json(last(transpose(3, 2, d=2)))["phases"] == [[-2, 0], None]  # type: ignore[index]


def test_non_dyadic_rationals_are_strings() -> None:
    third = window_of_taps(F(1, 3), 3, lambda y: ((-1, 0), (0,), (0, 1))[y])  # bilinear x3
    out = receptive_field_json(last(third))
    assert out is not None
    assert out["jump"] == "1/3" and out["phases"] == [[-1, 0], ["-1/3", "-1/3"], ["-2/3", "1/3"]]


def test_down_then_up_reduces_to_its_least_period() -> None:
    # 2x2 pool then a k2 s2 transposed conv: both outputs of a pair see the same 4 pixels.
    rf = last(conv(2, 2), transpose(2, 2))
    assert rf is not None and (rf.jump, rf.period, rf.phases) == (1, 2, ((0, 1), (-1, 0)))
    # k3 s2 p1 conv then its k4 s2 p1 transposed conv: jump 1, period 2, the phases differ
    rf = last(conv(3, 2, 1), transpose(4, 2, 1))
    assert rf is not None and rf.period == 2 and (rf.size, rf.size_min) == (5, 5)
    # up then down by the same factor: period 1 again
    rf = last(transpose(2, 2), conv(2, 2))
    assert rf is not None and rf.period == 1 and rf.phases == ((0, 0),)


def test_empty_phases_propagate_and_fill() -> None:
    holes = transpose(3, 2, d=2)  # odd outputs read nothing
    assert last(holes, conv(3, d=2)).phases[1] is None  # type: ignore[union-attr]  # taps of one parity
    rf = last(holes, conv(2))  # a k2 conv reads one odd and one even pixel
    assert rf is not None and all(p is not None for p in rf.phases)  # type: ignore[union-attr]
    assert (rf.size, rf.size_min) == (3, 3)


def test_dilation_and_padding_in_start() -> None:
    rf = last(conv(3, 1, 2, 2), conv(3, 2, 1))
    assert rf is not None and (rf.start, rf.size, rf.jump) == (-3, 7, 2)


def test_over_the_period_limit_only_the_jump_is_known() -> None:
    seven = window_of_taps(F(1, 7), 7, lambda y: (y // 7,))  # nearest by 7
    assert last(seven, max_period=4) == ReceptiveField.untracked(F(1, 7))
    assert receptive_field_json(last(seven, seven, max_period=4)) == {
        "jump": "1/49", "period": None, "phases": None, "size": None, "size_min": None, "start": None,
        "center": None}
    assert Settings().rf_period == MAX_PERIOD


def test_none_propagates() -> None:
    assert compose(None, conv(3)) is None
    assert compose(identity(1)[0], None) is None
    assert join([identity(1)[0], None]) is None


def test_join_takes_the_hull_per_phase() -> None:
    a = last(transpose(3, 2))
    b = last(transpose(2, 2))
    joined = join([a, b])
    assert joined is not None and joined.phases == ((-1, 0), (-F(1, 2), -F(1, 2)))
    assert join([last(conv(3, 2)), last(conv(1, 1))]) is None  # different jumps: no periodic union


def test_residual_unit_join_keeps_the_main_path_and_is_aligned() -> None:
    main = last(conv(1), conv(3, 2, 1), conv(1))
    shortcut = last(conv(1, 2))
    assert join([main, shortcut]) == main
    assert rf_aligned([main, shortcut]) is True


def test_rf_aligned_after_the_fix_shift() -> None:
    skip = last(conv(3), conv(3))  # [0, 4]: centre 2
    decoder = last(conv(2, 2), conv(3), transpose(2, 2))  # phases [0, 5] and [-1, 4]: mean centre 2
    assert rf_aligned([decoder, skip]) is True
    assert rf_aligned([decoder, skip], [0, 1]) is False  # the skip padded by 1 before: shifted by a pixel
    assert rf_aligned([last(conv(3, 1, 1)), last(conv(1))]) is True
    assert rf_aligned([last(conv(3)), last(conv(1))]) is False
    assert rf_aligned([last(conv(3)), last(conv(1))], [0, -1]) is True  # crop 1 before the 1x1 branch
    assert rf_aligned([last(conv(3, 2)), last(conv(1))]) is False  # different jumps
    assert rf_aligned([last(conv(3)), None]) is None


class TestRemembered:
    """``compose`` and the JSON of numeric fields are remembered by identity (analyses/receptive_field.py):
    the same field and window give the same object, equal to one composed afresh, and the memo's bound
    starts it over without changing any answer."""

    def test_the_same_field_and_window_give_the_same_field(self) -> None:
        chain = (conv(3, 1, 1), conv(2, 2), transpose(2, 2), conv(3))
        first, again = along(chain), along(chain)
        assert all(a is b for a, b in zip(first, again))
        field = identity(1)[0]
        for window, remembered in zip(chain, first):  # the same as composed without the memo
            field = rf._compose_numeric(field, window, MAX_PERIOD)  # type: ignore[assignment]
            assert field == remembered
        assert receptive_field_json(first[-1]) is receptive_field_json(again[-1])

    def test_past_the_bound_every_answer_stays_the_same(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(rf, "_REMEMBERED", 3)
        windows = [conv(k, s) for k in (1, 2, 3) for s in (1, 2, 3)]
        expected = [receptive_field_json(f) for f in along(windows)]
        for _ in range(3):
            assert [receptive_field_json(f) for f in along(windows)] == expected
            assert len(rf._COMPOSED) <= 3 and len(rf._RENDERED) <= 3
        field = ReceptiveField(F(5), 1, ((F(0), F(4)),), 5, 5, 0, F(2))  # equal to a remembered one, not it
        assert compose(field, conv(3)) == ReceptiveField(5, 1, ((0, 14),), 15, 15, 0, 7)
