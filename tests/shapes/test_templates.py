"""Templates of numeric /v1/shapes stacks: every answer is the engine's, at whatever size it is asked."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convplan.errors import ConvplanError
from convplan.settings import Settings
from convplan.shapes import ShapesRequest, run_shapes
from convplan.shapes.engine import make_resolver, resolve_input
from convplan.shapes.prefix_memo import PrefixMemo
from convplan.shapes.templates import StackTemplates

LIMITS = Settings.model_construct()
CONV = {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 8}
POOL = {"op": "max_pool", "kernel_size": 2}
UP = {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "out_channels": 4}  # uneven: a warning
UNET = [CONV, {"op": "relu"}, CONV, POOL, CONV, {"op": "dropout"}, CONV, POOL, CONV, UP, CONV, UP, CONV]


def _request(layers: list[dict[str, Any]], size: list[Any] | None = None, **extra: Any) -> ShapesRequest:
    return ShapesRequest.model_validate({"input_size": size or [64, 64], "in_channels": 3, "layers": layers, **extra})


def _problem(exc: ConvplanError) -> tuple[Any, ...]:
    return type(exc), exc.detail, [e.as_dict() for e in exc.errors], exc.extra


def _from_template(templates: StackTemplates, request: ShapesRequest) -> dict[str, Any] | None:
    """The template's answer alone (None: it has none for this request)."""
    resolver = make_resolver(None, LIMITS, symbolic=False)
    size, channels = resolve_input(resolver, request.input_size, request.in_channels)
    return templates.answer(request, size, channels, LIMITS.max_size, LIMITS.rf_period)[1]


def _learned(layers: list[dict[str, Any]], **extra: Any) -> StackTemplates:
    templates = StackTemplates(1000)
    for size in ([64, 64], [40, 56]):  # learned the second time
        run_shapes(_request(layers, size, **extra), LIMITS, templates=templates)
    return templates


class TestAnswers:
    def test_a_stack_asked_for_again_is_answered_from_its_template_at_every_size(self) -> None:
        templates = _learned(UNET)
        for size in ([64, 64], [17, 100], [33, 8], [1000, 999]):
            request = _request(UNET, size)
            engine = run_shapes(request, LIMITS)
            assert _from_template(templates, request) == engine
            assert run_shapes(request, LIMITS, templates=templates) == engine
        assert engine["warnings"] != []  # the transposed convs' checkerboards, as the engine words them

    def test_it_is_learned_the_second_time_only(self) -> None:
        templates = StackTemplates(1000)
        run_shapes(_request(UNET), LIMITS, templates=templates)
        assert _from_template(templates, _request(UNET, [32, 32])) is None
        run_shapes(_request(UNET, [48, 48]), LIMITS, templates=templates)
        assert _from_template(templates, _request(UNET, [32, 32])) == run_shapes(_request(UNET, [32, 32]), LIMITS)

    @pytest.mark.parametrize("layers", [
        [CONV, {"op": "conv", "kernel_size": 3, "groups": 2, "out_channels": 8}, POOL],  # groups: divisible
        [{"op": "avg_pool", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, CONV],
        [{"op": "max_pool", "kernel_size": [3, 2], "stride": 1, "dilation": [2, 1], "ceil_mode": True}],
        [{"op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 1}],
        [{"op": "conv", "kernel_size": [1, 5], "padding": [[0, 0], [2, 1]], "stride": [1, 3], "bias": False}],
        [{"op": "relu"}, {"op": "identity"}, {"op": "sigmoid"}],
        [CONV, CONV, CONV, POOL, CONV, CONV],  # one layer again on its own output: its sizes again
        [{"op": "conv", "kernel_size": 1, "stride": 2}] * 3,  # again, but on a smaller input each time
        [],
    ])
    def test_each_op_with_a_rule_keeps_its_engine_answer(self, layers: list[dict[str, Any]]) -> None:
        templates = _learned(layers)
        for n in range(5, 60, 3):
            request = _request(layers, [n, n + 2])
            assert _from_template(templates, request) == run_shapes(request, LIMITS)

    def test_sizes_and_channels_given_as_strings_are_read_as_the_engine_reads_them(self) -> None:
        templates = StackTemplates(1000)
        for n in ("64", "40", "33"):
            request = ShapesRequest.model_validate({"input_size": [n, "17"], "in_channels": "3", "layers": UNET})
            assert run_shapes(request, LIMITS, templates=templates) == run_shapes(request, LIMITS)
        assert _from_template(templates, request) is not None

    def test_unknown_channels_keep_unknown_counts(self) -> None:
        layers = [{"op": "conv", "kernel_size": 3}, POOL]  # no out_channels: params and MACs unknown
        templates = StackTemplates(1000)
        for size in ([20, 20], [30, 30], [41, 40]):
            request = ShapesRequest.model_validate({"input_size": size, "layers": layers})
            assert run_shapes(request, LIMITS, templates=templates) == run_shapes(request, LIMITS)
        assert run_shapes(request, LIMITS)["params"] is None

    @pytest.mark.parametrize("size", [[2, 64], [64, 3]])
    def test_a_size_a_layer_refuses_is_the_engines_refusal(self, size: list[int]) -> None:
        templates = _learned(UNET)
        request = _request(UNET, size)
        with pytest.raises(ConvplanError) as with_templates:
            run_shapes(request, LIMITS, templates=templates)
        with pytest.raises(ConvplanError) as without:
            run_shapes(request, LIMITS)
        assert _problem(with_templates.value) == _problem(without.value)

    def test_a_computed_size_above_the_limit_is_the_engines_refusal(self) -> None:
        layers = [{"op": "conv_transpose", "kernel_size": 2, "stride": 100}] * 3
        templates = _learned(layers)
        assert _from_template(templates, _request(layers, [999, 1])) is not None
        request = _request(layers, [1001, 1])  # 1001 * 100**3 > 10**9
        with pytest.raises(ConvplanError) as with_templates:
            run_shapes(request, LIMITS, templates=templates)
        with pytest.raises(ConvplanError) as without:
            run_shapes(request, LIMITS)
        assert _problem(with_templates.value) == _problem(without.value)
        assert without.value.errors[0].type == "limit.size"

    @pytest.mark.parametrize("layers", [
        [CONV, {"op": "upsample", "scale_factor": 2}],  # no rule: the evaluator at every size
        [CONV, {"op": "flatten"}, {"op": "relu"}],
        [{"op": "conv", "kernel_size": 3, "padding": "same"}],
        [{"op": "batch_norm"}, CONV],  # refuses one element in training
        [{"op": "avg_pool", "kernel_size": 2, "divisor_override": 3}],
    ])
    def test_a_stack_with_a_layer_without_a_rule_has_no_template(self, layers: list[dict[str, Any]]) -> None:
        templates = _learned(layers)
        request = _request(layers, [30, 31])
        assert _from_template(templates, request) is None
        assert run_shapes(request, LIMITS, templates=templates) == run_shapes(request, LIMITS)

    def test_the_input_channels_and_the_training_mode_are_part_of_the_key(self) -> None:
        templates = _learned(UNET)
        assert _from_template(templates, _request(UNET, [32, 32], in_channels=1)) is None
        assert _from_template(templates, _request(UNET, [32, 32], training=True)) is None
        assert _from_template(templates, _request(UNET, [32, 32])) is not None

    def test_beside_the_memo_an_input_seen_before_goes_to_the_memo_a_new_one_to_the_template(self) -> None:
        templates, memo = StackTemplates(1000), PrefixMemo(1000)
        edited = [*UNET[:-1], {**CONV, "out_channels": 16}]
        for layers, size in ((UNET, [64, 64]), (UNET, [40, 40]), (UNET, [33, 33]), (edited, [64, 64])):
            request = _request(layers, size)
            assert run_shapes(request, LIMITS, memo=memo, templates=templates) == run_shapes(request, LIMITS)
        assert not memo.knows_input(_request(UNET, [33, 33]))  # answered by the template learned at 40
        assert memo.knows_input(_request(UNET, [64, 64])) and len(memo) == 2 * len(UNET) + 1  # the edit: one layer

    def test_symbolic_stacks_have_no_template(self) -> None:
        templates = StackTemplates(1000)
        for _ in range(2):
            request = _request(UNET, ["16*n", 64], symbols={"n": {"min": 1}})
            assert run_shapes(request, LIMITS, templates=templates) == run_shapes(request, LIMITS)
        assert len(templates) == 0


class TestBounds:
    def test_past_its_bound_the_templates_start_over(self) -> None:
        templates = StackTemplates(len(UNET) + 1)
        for size in ([64, 64], [32, 32]):
            run_shapes(_request(UNET, size), LIMITS, templates=templates)
        assert _from_template(templates, _request(UNET, [16, 16])) is not None
        for size in ([64, 64], [32, 32]):
            run_shapes(_request([CONV, POOL], size), LIMITS, templates=templates)
        assert _from_template(templates, _request(UNET, [16, 16])) is None
        assert _from_template(templates, _request([CONV, POOL], [16, 16])) is not None

    def test_zero_turns_them_off(self) -> None:
        templates = StackTemplates(0)
        for size in ([64, 64], [32, 32]):
            request = _request(UNET, size)
            assert run_shapes(request, LIMITS, templates=templates) == run_shapes(request, LIMITS)
        assert len(templates) == 0


_LAYERS = st.sampled_from([
    CONV, POOL, UP, {"op": "relu"}, {"op": "conv", "kernel_size": 1, "stride": 2},
    {"op": "avg_pool", "kernel_size": 3, "stride": 2, "ceil_mode": True}, {"op": "upsample", "scale_factor": 2},
    {"op": "pad", "padding": [1, 0]}, {"op": "conv", "kernel_size": 7}, {"op": "max_pool", "kernel_size": 3,
                                                                          "stride": 2, "padding": 1},
    {"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": 8},
])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.lists(_LAYERS, max_size=8), st.lists(st.integers(1, 90), min_size=1, max_size=3)),
                min_size=1, max_size=8),
       st.sampled_from([0, 30]))
def test_any_sequence_of_requests_gets_the_engines_answers(requests: list[tuple[list[dict], list[int]]],
                                                           memo_layers: int) -> None:
    templates, memo = StackTemplates(40), PrefixMemo(memo_layers)
    stacks = [layers for layers, _ in requests]
    for k, (_, size) in enumerate(requests):
        request = _request(stacks[k // 2], size)  # each stack twice or more, at other sizes
        try:
            engine = run_shapes(request, LIMITS)
        except ConvplanError as exc:
            with pytest.raises(ConvplanError) as info:
                run_shapes(request, LIMITS, memo=memo, templates=templates)
            assert _problem(info.value) == _problem(exc)
            continue
        assert run_shapes(request, LIMITS, memo=memo, templates=templates) == engine
