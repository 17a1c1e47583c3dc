"""The prefix memo of numeric /v1/shapes stacks: every answer is the engine's, whatever was asked before."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convplan.errors import ConvplanError
from convplan.settings import Settings
from convplan.shapes import ShapesRequest, run_shapes
from convplan.shapes.prefix_memo import PrefixMemo

LIMITS = Settings.model_construct()
CONV = {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 8}
POOL = {"op": "max_pool", "kernel_size": 2}
UP = {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "out_channels": 4}  # uneven: a warning
UNET = [CONV, {"op": "relu"}, CONV, POOL, CONV, CONV, POOL, CONV, UP, CONV, UP, CONV]


def _request(layers: list[dict[str, Any]], size: list[Any] | None = None, **extra: Any) -> ShapesRequest:
    return ShapesRequest.model_validate({"input_size": size or [64, 64], "in_channels": 3, "layers": layers, **extra})


def _problem(exc: ConvplanError) -> tuple[Any, ...]:
    return type(exc), exc.detail, [e.as_dict() for e in exc.errors], exc.extra


def _both(memo: PrefixMemo, request: ShapesRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    return run_shapes(request, LIMITS, memo=memo), run_shapes(request, LIMITS)


class TestAnswers:
    def test_a_repeated_stack_is_answered_from_the_memo_as_the_engine_answers_it(self) -> None:
        memo = PrefixMemo(1000)
        first, engine = _both(memo, _request(UNET))
        assert first == engine and len(memo) == len(UNET)
        again, _ = _both(memo, _request(UNET))
        assert again == engine and len(memo) == len(UNET)
        assert again["warnings"] == engine["warnings"] != []

    @pytest.mark.parametrize("edit", ["append", "edit_last", "remove_last", "edit_first", "channels", "size"])
    def test_an_edited_stack_keeps_only_what_its_prefix_decides(self, edit: str) -> None:
        memo = PrefixMemo(1000)
        run_shapes(_request(UNET), LIMITS, memo=memo)
        layers, size, extra = list(UNET), [64, 64], {}
        if edit == "append":
            layers.append(POOL)
        elif edit == "edit_last":
            layers[-1] = {**CONV, "out_channels": 16}
        elif edit == "remove_last":
            layers.pop()
        elif edit == "edit_first":
            layers[0] = {**CONV, "kernel_size": 5, "padding": 2}
        elif edit == "channels":
            extra = {"in_channels": 1}
        else:
            size = [64, 48]
        request = ShapesRequest.model_validate({"input_size": size, "in_channels": 3, "layers": layers, **extra})
        answer, engine = _both(memo, request)
        assert answer == engine

    def test_an_empty_stack(self) -> None:
        answer, engine = _both(PrefixMemo(10), _request([]))
        assert answer == engine

    def test_a_refusal_after_a_remembered_prefix_is_the_engines(self) -> None:
        memo = PrefixMemo(1000)
        run_shapes(_request(UNET), LIMITS, memo=memo)
        bad = _request([*UNET, {"op": "conv", "kernel_size": 999}])
        with pytest.raises(ConvplanError) as with_memo:
            run_shapes(bad, LIMITS, memo=memo)
        with pytest.raises(ConvplanError) as without:
            run_shapes(bad, LIMITS)
        assert _problem(with_memo.value) == _problem(without.value)
        assert len(with_memo.value.extra["layers"]) == len(UNET)

    def test_symbolic_stacks_are_not_remembered(self) -> None:
        memo = PrefixMemo(1000)
        for request in (_request(UNET, ["16*n", 64], symbols={"n": {"min": 1}}),
                        _request([{**CONV, "kernel_size": "k"}], symbols={"k": {"min": 1}})):
            answer, engine = _both(memo, request)
            assert answer == engine
        assert len(memo) == 0

    def test_the_training_mode_is_part_of_the_input(self) -> None:
        memo = PrefixMemo(1000)
        layers = [{"op": "adaptive_avg_pool", "output_size": 1}, {"op": "batch_norm"}]
        assert run_shapes(_request(layers), LIMITS, memo=memo)["output_size"] == [1, 1]
        with pytest.raises(ConvplanError):
            run_shapes(_request(layers, training=True), LIMITS, memo=memo)

    def test_float_parameters_are_told_from_the_ints_they_equal(self) -> None:
        memo = PrefixMemo(1000)
        for factor in (2, 2.0, 2.5):
            up = {"op": "upsample", "scale_factor": factor, "mode": "nearest"}
            answer, engine = _both(memo, _request([CONV, up]))
            assert answer == engine


class TestBounds:
    def test_past_its_bound_the_memo_starts_over(self) -> None:
        memo = PrefixMemo(len(UNET) + 2)
        run_shapes(_request(UNET), LIMITS, memo=memo)
        answer, engine = _both(memo, _request(UNET, [32, 32]))
        assert answer == engine and len(memo) == len(UNET)

    def test_layers_computed_after_it_started_over_are_not_kept_under_the_input(self) -> None:
        memo = PrefixMemo(len(UNET) + 2)
        run_shapes(_request(UNET), LIMITS, memo=memo)
        longer = [*UNET, POOL, CONV, CONV]
        answer, engine = _both(memo, _request(longer))
        assert answer == engine and len(memo) == 0  # their prefix went with the rest
        answer, engine = _both(memo, _request([POOL, CONV]))  # the same input, what was layer 12 first
        assert answer == engine

    def test_a_stack_longer_than_the_bound_is_not_kept(self) -> None:
        memo = PrefixMemo(3)
        answer, engine = _both(memo, _request(UNET))
        assert answer == engine and len(memo) == 0

    def test_zero_turns_it_off(self) -> None:
        memo = PrefixMemo(0)
        answer, engine = _both(memo, _request(UNET))
        assert answer == engine and len(memo) == 0


_LAYERS = st.sampled_from([
    CONV, POOL, UP, {"op": "relu"}, {"op": "conv", "kernel_size": 1, "stride": 2},
    {"op": "avg_pool", "kernel_size": 3, "stride": 2, "ceil_mode": True}, {"op": "upsample", "scale_factor": 2},
    {"op": "pad", "padding": [1, 0]}, {"op": "conv", "kernel_size": 7},
])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(_LAYERS, max_size=8), st.sampled_from([[16, 16], [17, 16], [40, 40]])),
                min_size=1, max_size=6))
def test_any_sequence_of_requests_gets_the_engines_answers(requests: list[tuple[list[dict], list[int]]]) -> None:
    memo = PrefixMemo(30)
    for layers, size in requests:
        request = _request(layers, size)
        try:
            engine = run_shapes(request, LIMITS)
        except ConvplanError as exc:
            with pytest.raises(ConvplanError) as info:
                run_shapes(request, LIMITS, memo=memo)
            assert _problem(info.value) == _problem(exc)
            continue
        assert run_shapes(request, LIMITS, memo=memo) == engine
